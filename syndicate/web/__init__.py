"""The HTTP side: serving feeds, health and metrics."""
