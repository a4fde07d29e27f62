"""Staff of providers with their skills and certificates."""
