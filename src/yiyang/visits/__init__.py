"""Visits and electronic visit verification (EVV): check-in/out, alerts, ratings, settlement."""
