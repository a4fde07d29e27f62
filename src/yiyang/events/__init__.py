"""Typed domain events with their context (id, actor, cause), and the outbox for side effects."""
