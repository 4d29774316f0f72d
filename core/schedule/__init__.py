"""Proactive engagement: follow-ups, reminders and campaigns (docs/campaigns.md)."""
