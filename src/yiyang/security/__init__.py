"""Who is asking: accounts, login, roles and data scope."""
