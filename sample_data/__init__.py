"""Synthetic sample data: generator, committed sample files and the demo warehouse builder."""
