"""The service catalog: categories, items and their dated price versions."""
