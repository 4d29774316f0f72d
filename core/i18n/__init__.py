"""Language and culture: locale packs, language detection, personas and formatting."""
