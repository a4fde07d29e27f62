"""Audit trail: who read an elder's full record or changed anything, when, before and after."""
