"""Posts to and from the JSON kept in the ledger."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

import msgspec

from syndicate.model import Author, Post, PostOverrides, Tag, Term, Visibility


def dump_post(post: Post) -> str:
    data: dict[str, Any] = {
        "source": post.source,
        "slug": post.slug,
        "title": post.title,
        "date": post.date.isoformat(),
        "permalink": post.permalink,
        "authors": [_author(a) for a in post.authors],
        "tags": [[t.slug, t.name] for t in post.tags],
    }
    if post.categories:
        data["categories"] = [[t.slug, t.name] for t in post.categories]
    if post.terms:
        data["terms"] = [[t.taxonomy, t.slug, t.name] for t in post.terms]
    if post.visibility is not Visibility.PUBLIC:
        data["visibility"] = post.visibility.value
    optional = {
        "expires": post.expires.isoformat() if post.expires else None,
        "declared_id": post.declared_id,
        "declared_updated": post.declared_updated.isoformat() if post.declared_updated else None,
        "summary": post.summary,
        "image": post.image,
        "image_alt": post.image_alt,
        "language": post.language,
    }
    data.update({k: v for k, v in optional.items() if v is not None})
    if not post.waits_for_date:
        data["waits_for_date"] = False
    if post.overrides != PostOverrides():
        data["overrides"] = {"skip": post.overrides.skip, "text": post.overrides.text}
        if post.overrides.texts:
            data["overrides"]["texts"] = [list(pair) for pair in post.overrides.texts]
    return _encode(data).decode("utf-8")  # json.dumps(ensure_ascii=False)'s text, quicker


# Decodes the same JSON as json.loads does, in half the time: a cold build of 10,000 posts
# decodes each once in the parent, as the workers send it (pipeline/workers.py).
_decode = msgspec.json.Decoder().decode
_encode = msgspec.json.Encoder().encode
_NO_OVERRIDES = PostOverrides()


def load_post(text: str) -> Post:
    data = _decode(text)
    overrides = data.get("overrides")
    visibility = data.get("visibility")
    return Post(
        source=data["source"],
        slug=data["slug"],
        title=data["title"],
        date=datetime.fromisoformat(data["date"]),
        permalink=data["permalink"],
        authors=tuple(_shared_author(tuple(sorted(a.items()))) for a in data["authors"]),
        tags=tuple(_shared_tag(s, n) for s, n in data["tags"]),
        categories=tuple(_shared_tag(s, n) for s, n in data.get("categories", ())),
        terms=tuple(Term(x, s, n) for x, s, n in data.get("terms", ())),
        visibility=Visibility.PUBLIC if visibility is None else Visibility(visibility),
        expires=_date(data.get("expires")),
        declared_id=data.get("declared_id"),
        declared_updated=_date(data.get("declared_updated")),
        waits_for_date=data.get("waits_for_date", True),
        summary=data.get("summary"),
        image=data.get("image"),
        image_alt=data.get("image_alt"),
        language=data.get("language"),
        overrides=_overrides(overrides),
    )


def _overrides(data: dict[str, Any] | None) -> PostOverrides:
    if not data:
        return _NO_OVERRIDES  # immutable, so one serves every post
    texts = tuple((str(k), str(v)) for k, v in data.get("texts", ()))
    return PostOverrides(skip=data.get("skip", False), text=data.get("text"), texts=texts)


@functools.cache
def _shared_author(fields: tuple[tuple[str, str], ...]) -> Author:
    """One Author object per distinct author, however many posts name them."""
    return Author(**dict(fields))


@functools.cache
def _shared_tag(slug: str, name: str) -> Tag:
    return Tag(slug=slug, name=name)


def _author(author: Author) -> dict[str, str]:
    fields = {
        "key": author.key,
        "name": author.name,
        "uri": author.uri,
        "email": author.email,
        "twitter": author.twitter,
        "mastodon": author.mastodon,
        "bluesky": author.bluesky,
    }
    return {k: v for k, v in fields.items() if v is not None}


def _date(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
