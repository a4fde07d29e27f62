"""Interfaces to the outside (SMS, voice call, webhook) and their adapters, chosen by settings."""
