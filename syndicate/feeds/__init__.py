"""Feeds: which exist (plan), their entries and documents, and writing them to disk."""
