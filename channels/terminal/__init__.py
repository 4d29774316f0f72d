"""The terminal channel behind ``parley chat``."""
