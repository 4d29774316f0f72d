"""Configuration: settings, the URL check, the data-file loader, ``check``, logging and hot reload."""
