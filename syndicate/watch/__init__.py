"""Noticing change: local files (events or polling) and remote feeds."""
