"""The composition layer: screens and reactions that combine several domains."""
