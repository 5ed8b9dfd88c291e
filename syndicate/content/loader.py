"""One source file → one Post: decoding, frontmatter, dates, byline, tags and permalink."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from syndicate.config import Settings
from syndicate.content import files, frontmatter, urls
from syndicate.content.authors import AuthorRegistry
from syndicate.content.dates import DateError, parse_date, split_dated_name
from syndicate.content.layouts import Layout
from syndicate.content.tags import TagResolver, slugify, split_tags
from syndicate.content.text import collapse_space, digest, plain_title
from syndicate.errors import PostDataError
from syndicate.model import Post, PostOverrides, Visibility, _reduce_by_fields

_UPDATED_KEYS = ("updated", "lastmod", "last_modified_at", "modified", "last_modified")
_DATE_KEYS = ("date", "publishDate", "publishdate", "pubDate")
_SUMMARY_KEYS = ("summary", "description", "excerpt")
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


@dataclass(frozen=True, slots=True)
class LoadedPost:
    post: Post
    body: str | None  # None when it was not kept (a worker read it; see build.workers)
    body_format: str  # "markdown" or "html"
    content_hash: str  # of the title and body: what a reader would see change
    source_hash: str  # of the file's bytes
    warnings: tuple[str, ...] = ()
    post_json: str | None = None  # the post as the ledger stores it, when already encoded

    __reduce__ = _reduce_by_fields


class PostLoader:
    """Loads posts for one blog; holds what every post needs (layout, authors, tags, zone)."""

    def __init__(self, settings: Settings, layout: Layout, authors: AuthorRegistry) -> None:
        self._site_url = settings.site.url
        self._layout = layout
        self._authors = authors
        self._tags = TagResolver(settings.content.tag_aliases)
        self._zone: tzinfo = ZoneInfo(settings.content.timezone)
        self._tag_fields = settings.content.tag_fields

    def accepts(self, rel: str) -> bool:
        """Whether a scanned path is a post (Hugo's `_index.md` list pages are not)."""
        name = rel.rsplit("/", 1)[-1]
        return not (self._layout.bundles and name.startswith("_index."))

    def load(self, rel: str, data: bytes) -> LoadedPost:
        """The post in `data` (the bytes of `rel`); raises ContentError naming file and reason."""
        text, decoded = files.decode(rel, data)
        meta, body = frontmatter.split(rel, text)
        warnings = list(decoded)  # _post adds its own (a date differing from the file name's)
        post = self._post(rel, meta, warnings)
        fmt = files.body_format(rel) or "markdown"
        return LoadedPost(
            post=post,
            body=body,
            body_format=fmt,
            content_hash=digest(post.title + "\n" + body),
            source_hash=hashlib.blake2b(data, digest_size=16).hexdigest(),
            warnings=tuple(warnings),
        )

    def _post(self, rel: str, meta: Mapping[str, Any], warnings: list[str]) -> Post:
        title = plain_title(str(meta.get("title") or "")) if meta.get("title") is not None else ""
        if not title:
            raise PostDataError(rel, "no title: add `title:` to the frontmatter")
        stem = self._stem(rel)
        name_date, name_slug = split_dated_name(stem)
        date = self._date(rel, meta, name_date)
        if name_date and meta.get("date") is not None and date.date() != name_date:
            warnings.append(
                f"frontmatter date {date.date()} differs from the file name's {name_date}"
            )
        slug = name_slug
        if self._layout.slug_from_frontmatter and meta.get("slug"):
            slug = str(meta["slug"]).strip("/ ")
        categories = split_tags(  # Jekyll's `categories: a b` is two, like its tags
            meta.get("categories", meta.get("category")),
            whitespace=self._layout.tags_split_on_space,
        )
        return Post(
            source=rel,
            slug=slug,
            title=title,
            date=date,
            permalink=self._permalink(rel, meta, date, slug, title, categories, stem),
            authors=self._authors.resolve(meta.get("authors", meta.get("author"))),
            tags=self._tags.resolve(self._tag_names(meta)),
            visibility=_visibility(rel, meta),
            expires=self._optional_date(rel, meta, ("expiryDate", "expirydate", "expires")),
            declared_id=_declared_id(meta),
            declared_updated=self._optional_date(rel, meta, _UPDATED_KEYS),
            summary=_first_text(meta, _SUMMARY_KEYS),
            image=self._image(meta),
            language=_first_text(meta, ("lang", "language")),
            overrides=_overrides(rel, meta.get("syndicate")),
        )

    def _stem(self, rel: str) -> str:
        folder, _, name = rel.rpartition("/")
        stem = name.split(".")[0]
        if self._layout.bundles and stem == "index" and folder:
            return folder.rpartition("/")[2]
        return stem

    def _date(self, rel: str, meta: Mapping[str, Any], name_date: Any) -> datetime:
        value = next((meta[k] for k in _DATE_KEYS if meta.get(k) is not None), None)
        if value is None:
            if name_date is None:
                raise PostDataError(
                    rel, "no date: add `date:` to the frontmatter or name the file YYYY-MM-DD-slug"
                )
            value = name_date
        try:
            return parse_date(value, self._zone)
        except DateError as exc:
            raise PostDataError(rel, f"bad date: {exc}") from None

    def _optional_date(
        self, rel: str, meta: Mapping[str, Any], keys: tuple[str, ...]
    ) -> datetime | None:
        value = next((meta[k] for k in keys if meta.get(k) is not None), None)
        if value is None:
            return None
        try:
            return parse_date(value, self._zone)
        except DateError as exc:
            raise PostDataError(rel, f"bad date in {keys[0]}: {exc}") from None

    def _tag_names(self, meta: Mapping[str, Any]) -> list[str]:
        names: list[str] = []
        for field in self._tag_fields:
            names.extend(split_tags(meta.get(field), whitespace=self._layout.tags_split_on_space))
        return names

    def _permalink(
        self,
        rel: str,
        meta: Mapping[str, Any],
        date: datetime,
        slug: str,
        title: str,
        categories: list[str],
        stem: str,
    ) -> str:
        declared = meta.get("permalink") or meta.get("url")
        if isinstance(declared, str) and declared.strip():
            return urls.absolute(self._site_url, declared.strip())
        pattern = self._layout.permalink
        fields = {"slug": slug, "filename": stem}
        if "{section}" in pattern:
            fields["section"] = (
                self._layout.posts_dir.split("/")[-1] if self._layout.name == "hugo" else ""
            )
        if "{title}" in pattern:
            fields["title"] = slugify(title)
        if "{slug_or_title}" in pattern:  # Hugo's :slug, which falls back to the title
            fields["slug_or_title"] = (
                str(meta["slug"]).strip("/ ") if meta.get("slug") else slugify(title)
            )
        if "{categories}" in pattern:
            fields["categories"] = "/".join(slugify(c) for c in categories)
        return urls.absolute(self._site_url, urls.expand(pattern, date, fields))

    def _image(self, meta: Mapping[str, Any]) -> str | None:
        value = meta.get("image") or meta.get("cover") or meta.get("featured_image")
        if isinstance(value, Mapping):
            value = value.get("path") or value.get("src") or value.get("url")
        if isinstance(value, list) and value:
            value = value[0]
        if not isinstance(value, str) or not value.strip():
            return None
        return urls.absolute(self._site_url, value.strip())


def _visibility(rel: str, meta: Mapping[str, Any]) -> Visibility:
    if _flag(rel, meta, "draft", default=False):
        return Visibility.DRAFT
    if not _flag(rel, meta, "published", default=True):
        return Visibility.UNPUBLISHED
    return Visibility.PUBLIC


def _flag(rel: str, meta: Mapping[str, Any], key: str, *, default: bool) -> bool:
    value = meta.get(key)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise PostDataError(rel, f"`{key}:` must be true or false, not {value!r}")


def _declared_id(meta: Mapping[str, Any]) -> str | None:
    value = meta.get("id")
    if value is None or isinstance(value, bool | dict | list):
        return None
    text = str(value).strip()
    return text or None


def _first_text(meta: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = meta.get(key)
        if isinstance(value, str) and value.strip():
            return collapse_space(plain_title(value))
    return None


def _overrides(rel: str, value: object) -> PostOverrides:
    if value is None:
        return PostOverrides()
    if isinstance(value, bool):  # `syndicate: false` means "do not syndicate"
        return PostOverrides(skip=not value)
    if not isinstance(value, Mapping):
        raise PostDataError(rel, "`syndicate:` must be a mapping such as {skip: true}")
    text = value.get("text")
    return PostOverrides(
        skip=_flag(rel, value, "skip", default=False),
        text=str(text) if text is not None else None,
    )
