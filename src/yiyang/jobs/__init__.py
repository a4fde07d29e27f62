"""Durable work claimed by the worker: timers (due at a time) and long jobs with progress."""
