"""Parley: customer conversations on the channels people already use, one asyncio core."""
