"""Durable timers: rows with a due time, claimed by the worker, so a restart loses nothing."""
