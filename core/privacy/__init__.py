"""Privacy: PII detection and redaction before a log line or a model sees text."""
