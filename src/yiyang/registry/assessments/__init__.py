"""Capability assessments of elders (GB/T 42195-2022): items, scores, level."""
