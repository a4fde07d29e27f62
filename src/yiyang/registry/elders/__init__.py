"""Elders with their special groups and emergency contacts."""
