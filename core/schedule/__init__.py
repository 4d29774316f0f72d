"""Proactive engagement: follow-ups, reminders and campaigns (DESIGN.md, the scheduler)."""
