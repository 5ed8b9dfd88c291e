"""Whether a site address is a placeholder. Its own module so that `syndicate build`, which
warns of one after every build, need not import the whole of `syndicate check`."""

from __future__ import annotations

from urllib.parse import urlsplit

PLACEHOLDER_HOSTS = frozenset(
    f"{sub}example.{tld}" for sub in ("", "www.", "blog.") for tld in ("com", "org", "net")
)


def is_placeholder(url: str) -> bool:
    """An address that names no blog: example.com/.org/.net themselves (RFC 2606), the
    placeholder earlier versions of `init` wrote, or a `.invalid` name."""
    host = urlsplit(url).hostname or "localhost"
    return host in PLACEHOLDER_HOSTS or host.endswith(".invalid")
