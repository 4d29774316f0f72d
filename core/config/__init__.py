"""Configuration: settings, TOML positions for error messages, ``check``, logging and hot reload."""
