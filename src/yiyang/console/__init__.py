"""The composition layer: screens and reactions that combine domains (no domain imports it)."""
