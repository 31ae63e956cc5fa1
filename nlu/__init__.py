"""Text in: normalisation, Chinese tokens, synonyms, PII detection and masking."""
