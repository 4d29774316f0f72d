"""The web chat: one static page (``static/``) and its websocket."""
