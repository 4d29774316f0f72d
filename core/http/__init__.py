"""The one aiohttp server: health, readiness, metrics, the admin API; and a small HTTP/1.1 client."""
