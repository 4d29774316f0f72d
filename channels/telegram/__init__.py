"""Telegram: aiogram for webhook/polling set-up, a JSON Bot API client for replies, pure translators."""
