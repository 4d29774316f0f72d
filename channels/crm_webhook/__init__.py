"""Outgoing signed JSON webhooks to a CRM (leads), delivered as a channel through the durable outbox."""
