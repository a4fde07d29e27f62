"""Alarms: rules over device signals and readings, and the life of an alarm to its close."""
