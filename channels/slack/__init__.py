"""Slack: slack-bolt receives (Events API or Socket Mode), the Web API sends; translators, people lookup."""
