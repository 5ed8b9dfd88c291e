"""syndicate: a blog's Markdown posts → feeds (Atom, RSS, JSON Feed) and social posts."""

__version__ = "0.1.0"

__all__ = ["__version__"]
