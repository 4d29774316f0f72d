"""SMS and WhatsApp through Twilio: signed webhooks, consent keywords, segments, the WhatsApp window."""
