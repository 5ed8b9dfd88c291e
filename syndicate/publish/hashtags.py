"""A post's tags as an account's hashtags: `OpenStack Summit` -> `OpenStackSummit`.

A hashtag keeps what every network links as one: letters, combining marks, digits and `_`,
with at least one letter (X, Mastodon and Bluesky all refuse a hashtag of digits only). Words
are joined keeping their case, other characters dropped. The account's fixed `hashtags` come
first, so they are the last to go when a post is too long, then its tags' hashtags (renamed or
dropped by `tag_hashtags`), at most `max_hashtags` of those, never the same one twice whatever
the case.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import regex

from syndicate.accounts import AccountSettings
from syndicate.model import Tag

_NOT_IN_HASHTAG = regex.compile(r"[^\p{L}\p{M}\p{Nd}_]+")
_HAS_LETTER = regex.compile(r"\p{L}")
MAX_LENGTH = 64  # Bluesky's limit for a tag, in graphemes; longer ones read as sentences


def to_hashtag(text: str) -> str | None:
    """`text` as a hashtag without its `#`, or None when nothing linkable is left."""
    joined = _NOT_IN_HASHTAG.sub("", text.removeprefix("#"))
    if not _HAS_LETTER.search(joined) or len(joined) > MAX_LENGTH:
        return None
    return joined


def hashtags_for(tags: Sequence[Tag], account: AccountSettings) -> tuple[str, ...]:
    """The hashtags (without `#`) a post with `tags` carries on `account`, in order."""
    fixed = _unique(_converted(account.hashtags))
    seen = {tag.casefold() for tag in fixed}
    from_tags = [tag for tag in _unique(_tag_hashtags(tags, account)) if tag.casefold() not in seen]
    return fixed + tuple(from_tags[: account.max_hashtags])


def _tag_hashtags(tags: Sequence[Tag], account: AccountSettings) -> Iterable[str]:
    renames = {key.casefold(): value for key, value in account.tag_hashtags.items()}
    for tag in tags:
        renamed = renames.get(tag.slug.casefold(), renames.get(tag.name.casefold()))
        if renamed == "":
            continue
        hashtag = to_hashtag(renamed if renamed is not None else tag.name)
        if hashtag is not None:
            yield hashtag


def _converted(texts: Iterable[str]) -> Iterable[str]:
    for text in texts:
        hashtag = to_hashtag(text)
        if hashtag is not None:
            yield hashtag


def _unique(hashtags: Iterable[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    kept: list[str] = []
    for hashtag in hashtags:
        if hashtag.casefold() not in seen:
            seen.add(hashtag.casefold())
            kept.append(hashtag)
    return tuple(kept)
