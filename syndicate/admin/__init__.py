"""The status dashboard and JSON API."""
