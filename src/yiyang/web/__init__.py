"""The web edge: dependencies, i18n, templates, error handling, CSRF."""
