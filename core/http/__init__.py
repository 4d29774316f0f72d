"""The one aiohttp server: health, readiness, metrics, the admin API; and the outbound client for API calls."""
