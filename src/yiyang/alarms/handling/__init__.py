"""Handling an alarm: the call centre's actions, escalation, the review and the figures."""
