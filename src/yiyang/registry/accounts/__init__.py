"""Accounts bound to the registry: a street, a community, a provider, a staff member, an elder."""
