"""Discord: the gateway receives, REST sends (discord.py), and the pure translators between them and Parley's messages."""
