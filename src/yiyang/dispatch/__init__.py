"""Dispatch: builds planner inputs from the database, stores decisions, runs offers."""
