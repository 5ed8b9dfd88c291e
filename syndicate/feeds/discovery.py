"""Autodiscovery: the `<link rel="alternate">` tags a blog's pages carry so readers find feeds."""

from __future__ import annotations

import html

from syndicate.config import Settings
from syndicate.feedkinds import FeedKind
from syndicate.feeds.plan import feed_spec
from syndicate.model import FeedSpec

_FORMAT_NAMES = {"atom": "Atom", "rss": "RSS", "json": "JSON Feed"}


def link_tags(
    settings: Settings, kind: FeedKind = FeedKind.SITE, key: str = "", name: str | None = None
) -> list[dict[str, str]]:
    """The link tags for one feed (the site's by default), one per format, for a page's <head>."""
    if kind is FeedKind.SITE and not settings.feeds.of(FeedKind.SITE).enabled:
        return []
    spec = feed_spec(settings.feeds, settings.site, kind, key, name or settings.site.title)
    return tags_for(spec)


def tags_for(spec: FeedSpec) -> list[dict[str, str]]:
    tags = []
    for output in spec.outputs:
        title = f"{spec.title} ({_FORMAT_NAMES[output.format.value]})"
        markup = (
            f'<link rel="alternate" type="{output.format.media_type}" '
            f'title="{html.escape(title)}" href="{html.escape(output.url)}">'
        )
        tags.append(
            {
                "format": output.format.value,
                "type": output.format.media_type,
                "title": title,
                "href": output.url,
                "html": markup,
            }
        )
    return tags
