"""One source file → one Post: decoding, frontmatter, dates, byline, tags and permalink."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import msgspec
from msgspec.structs import replace

from syndicate.content import files, frontmatter, lead_image, urls
from syndicate.content.authors import AuthorRegistry
from syndicate.content.dates import DateError, parse_date, plausible, split_dated_name
from syndicate.content.layouts import Layout
from syndicate.content.permalinks import (
    PageFacts,
    hugo_default_path,
    hugo_path,
    is_native,
    jekyll_path,
)
from syndicate.content.settings import ContentSettings
from syndicate.content.smartify import smartify
from syndicate.content.tags import TagResolver, slugify, split_tags
from syndicate.content.text import collapse_space, digest, digest_bytes, plain_title
from syndicate.errors import PostDataError
from syndicate.model import Post, PostOverrides, Term, Visibility

T = TypeVar("T")

# Each tag, category and author of a post gets a feed listing it: a post with thousands of tags
# would write thousands of files, each repeating them all. Real posts have a handful.
MAX_TAGS = 50
MAX_AUTHORS = 20
_UPDATED_KEYS = ("updated", "lastmod", "last_modified_at", "modified", "last_modified")
_SUMMARY_KEYS = ("summary", "description", "excerpt")
_OVERRIDE_KEYS = {"skip", "text"}  # any other key of `syndicate:` is a network or account name
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


class LoadedPost(msgspec.Struct, frozen=True):
    post: Post
    body: str | None  # None when it was not kept (a worker read it; see build.workers)
    body_format: str  # "markdown" or "html"
    content_hash: str  # of the title and body: what a reader would see change
    source_hash: str  # of the file's bytes
    warnings: tuple[str, ...] = ()
    post_json: str | None = None  # the post as the ledger stores it, when already encoded


class PostLoader:
    """Loads posts for one blog; holds what every post needs (layout, authors, tags, zone)."""

    def __init__(
        self, content: ContentSettings, site_url: str, layout: Layout, authors: AuthorRegistry
    ) -> None:
        self._site_url = site_url
        self._layout = layout
        self._authors = authors
        self._tags = TagResolver(content.tag_aliases)
        self._zone: tzinfo = ZoneInfo(content.timezone)
        self._tag_fields = content.tag_fields
        self._category_fields = content.category_fields
        self._taxonomies = content.taxonomies

    def accepts(self, rel: str) -> bool:
        """Whether a scanned path is a post (Hugo's `_index.md` list pages are not)."""
        name = rel.rsplit("/", 1)[-1]
        return not (self._layout.bundles and name.startswith("_index."))

    def load(self, rel: str, data: bytes) -> LoadedPost:
        """The post in `data` (the bytes of `rel`); raises ContentError naming file and reason."""
        text, decoded = files.decode(rel, data)
        meta, body = frontmatter.split_safe(rel, text)
        if self._layout.caseless_keys:
            meta = CaselessKeys(meta)
        warnings = list(decoded)  # _post adds its own (a date differing from the file name's)
        post = self._post(rel, meta, warnings)
        if post.image is None:
            found = lead_image.from_body(body, post.permalink, self._layout.image_base)
            if found is not None:
                post = replace(post, image=found.url, image_alt=found.alt)
        fmt = files.body_format(rel) or "markdown"
        return LoadedPost(
            post=post,
            body=body,
            body_format=fmt,
            content_hash=digest(post.title + "\n" + body),
            source_hash=digest_bytes(data),
            warnings=tuple(warnings),
        )

    def _post(self, rel: str, meta: Mapping[str, Any], warnings: list[str]) -> Post:
        raw_title = str(meta.get("title") or "") if meta.get("title") is not None else ""
        title = plain_title(smartify(raw_title) if self._layout.smart_titles else raw_title)
        if not title:
            raise PostDataError(rel, "no title: add `title:` to the frontmatter")
        stem = self._stem(rel)
        name_date, name_slug = split_dated_name(stem)
        try:
            date = self._date(rel, meta, name_date)
        except PostDataError as exc:  # the generator publishes it, dated by its file name
            if name_date is None:
                raise
            warnings.append(f"{exc.reason}; the file name's date {name_date} is used instead")
            date = self._date(rel, {}, name_date)
        if not plausible(date):
            date = self._instead_of_implausible(rel, date, name_date, warnings)
        if name_date and meta.get("date") is not None and date.date() != name_date:
            warnings.append(
                f"frontmatter date {date.date()} differs from the file name's {name_date}"
            )
        slug = name_slug
        declared_slug = meta.get("slug") if self._layout.slug_from_frontmatter else None
        if declared_slug:
            slug = str(declared_slug).strip("/ ")
        categories = self._names(meta, self._category_fields)
        url_date = date
        if self._layout.url_date_keys:
            url_date = self._optional_date(rel, meta, self._layout.url_date_keys) or date
        facts = PageFacts(
            date=url_date,
            title=title,
            slug=str(declared_slug) if declared_slug else None,
            name=stem,
            name_slug=name_slug,
            categories=tuple(categories),
            sections=self._section_path(rel),
            folders=self._sections(rel),
            path=self._collection_path(rel),
        )
        return Post(
            source=rel,
            slug=slug,
            title=title,
            date=date,
            permalink=self._safe_permalink(rel, meta, facts, warnings),
            authors=_capped(
                self._authors.resolve(meta.get("authors", meta.get("author"))),
                MAX_AUTHORS,
                "authors",
                warnings,
            ),
            tags=_capped(
                self._tags.resolve(self._names(meta, self._tag_fields)), MAX_TAGS, "tags", warnings
            ),
            categories=_capped(self._tags.resolve(categories), MAX_TAGS, "categories", warnings),
            terms=self._terms(meta),
            visibility=self._visibility(rel, meta),
            expires=None
            if self._layout.publish_expired
            else self._optional_date(
                rel, meta, ("expiryDate", "expirydate", "unpublishdate", "expires")
            ),
            waits_for_date=not self._layout.publish_future,
            declared_id=_declared_id(meta),
            declared_updated=self._updated(rel, meta, warnings),
            summary=_first_text(meta, _SUMMARY_KEYS),
            **self._image(meta, warnings),
            language=_first_text(meta, ("lang", "language")),
            overrides=_overrides(rel, meta.get("syndicate"), warnings),
        )

    def _visibility(self, rel: str, meta: Mapping[str, Any]) -> Visibility:
        """The frontmatter's word, unless the generator's config publishes such posts."""
        visibility = _visibility(rel, meta)
        if visibility is Visibility.DRAFT and self._layout.publish_drafts:
            return Visibility.PUBLIC
        if visibility is Visibility.UNPUBLISHED and self._layout.publish_unpublished:
            return Visibility.PUBLIC
        return visibility

    def _stem(self, rel: str) -> str:
        folder, _, name = rel.rpartition("/")
        if self._layout.stem_keeps_dots:
            stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
            stem = stem.rstrip(".") or stem  # Jekyll: a slug never ends with a period
        else:
            stem = name.split(".")[0]
        if self._layout.bundles and stem == "index" and folder:
            return folder.rpartition("/")[2]
        return stem

    def _sections(self, rel: str) -> tuple[str, ...]:
        """Hugo: the folders under content/ that lead to the post (a bundle's own folder not)."""
        if self._layout.name != "hugo":
            return ()
        parts = rel.removeprefix("content/").split("/")[:-1]
        if (
            self._layout.bundles
            and rel.rsplit("/", 1)[-1].split(".", maxsplit=1)[0] == "index"
            and parts
        ):
            parts = parts[:-1]
        return tuple(parts)

    def _section_path(self, rel: str) -> tuple[str, ...]:
        """Hugo's .CurrentSection path: the nearest folder holding an `_index` file, else the
        top-level folder (always a section)."""
        folders = self._sections(rel)
        for depth in range(len(folders), 1, -1):
            if "/".join(folders[:depth]) in self._layout.section_dirs:
                return folders[:depth]
        return folders[:1]

    def _collection_path(self, rel: str) -> str:
        """Jekyll's :path: the file's path in the posts folder, without its extension."""
        inside = rel.removeprefix(self._layout.posts_dir.rstrip("/") + "/")
        return inside.rsplit(".", 1)[0] if "." in inside else inside

    def _date(self, rel: str, meta: Mapping[str, Any], name_date: Any) -> datetime:
        keys = self._layout.date_keys
        value = next((meta[k] for k in keys if meta.get(k) is not None), None)
        if value is None:
            if name_date is None:
                raise PostDataError(
                    rel, "no date: add `date:` to the frontmatter or name the file YYYY-MM-DD-slug"
                )
            value = name_date
        try:
            moment = parse_date(value, self._zone, naive_utc=self._layout.naive_yaml_utc)
        except DateError as exc:
            raise PostDataError(rel, f"bad date: {exc}") from None
        # Jekyll shows every date in the site's zone (Ruby's Time#localtime); Hugo keeps the
        # offset the date was written with.
        return moment.astimezone(self._zone) if self._layout.name == "jekyll" else moment

    def _instead_of_implausible(
        self, rel: str, moment: datetime, name_date: Any, warnings: list[str]
    ) -> datetime:
        """The file name's date for a typo'd date (year 1, year 9999); an error without one."""
        said = f"implausible date {moment.isoformat()} (before 1991 or after 2999)"
        if name_date is None:
            raise PostDataError(rel, f"{said}: correct `date:` in the frontmatter")
        fallback = self._date(rel, {}, name_date)
        warnings.append(f"{said}; the file name's date {name_date} is used instead")
        return fallback

    def _updated(self, rel: str, meta: Mapping[str, Any], warnings: list[str]) -> datetime | None:
        moment = self._optional_date(rel, meta, _UPDATED_KEYS)
        if moment is None or plausible(moment):
            return moment
        warnings.append(f"implausible update date {moment.isoformat()} is left out")
        return None

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

    def _names(self, meta: Mapping[str, Any], fields: tuple[str, ...]) -> list[str]:
        """The names written in some frontmatter fields, in order, each once."""
        names: list[str] = []
        for field in fields:
            for name in self._split(meta.get(field)):
                if name not in names:
                    names.append(name)
        return names

    def _split(self, value: object) -> list[str]:
        if isinstance(value, str) and not self._layout.split_term_strings:
            return split_tags([value])  # Hugo: a string is one term, commas and all
        return split_tags(value, whitespace=self._layout.tags_split_on_space)

    def _terms(self, meta: Mapping[str, Any]) -> tuple[Term, ...]:
        return tuple(
            Term(taxonomy, tag.slug, tag.name)
            for taxonomy in self._taxonomies
            for tag in self._tags.resolve(self._split(meta.get(taxonomy)))
        )

    def _permalink(self, rel: str, meta: Mapping[str, Any], facts: PageFacts) -> str:
        layout = self._layout
        declared = next(
            (str(meta[k]).strip() for k in layout.declared_url_keys if meta.get(k)), None
        )
        pattern = declared or layout.permalink
        if layout.name == "jekyll" and "{" not in pattern:
            # A post's own `permalink:` may use the placeholders too.
            path = jekyll_path(pattern, self._local(facts))
            return urls.absolute(self._site_url, path)
        if layout.name == "hugo":
            if declared:  # Hugo's `url`, under the site's path, as written
                return urls.absolute(self._site_url, declared.lstrip("/"))
            if not pattern:
                return urls.absolute(
                    self._site_url, hugo_default_path(facts, ugly=layout.ugly_urls)
                )
            if is_native(pattern):
                path = hugo_path(pattern, facts, ugly=layout.ugly_urls)
                return urls.absolute(self._site_url, path)
        if declared:
            return urls.absolute(self._site_url, declared)
        return self._pattern_permalink(pattern, meta, facts)

    def _local(self, facts: PageFacts) -> PageFacts:
        return replace(facts, date=facts.date.astimezone(self._zone))

    def _pattern_permalink(self, pattern: str, meta: Mapping[str, Any], facts: PageFacts) -> str:
        """A pattern in syndicate's own `{field}` syntax."""
        date, slug, title, categories = facts.date, facts.name_slug, facts.title, facts.categories
        if facts.slug:
            slug = facts.slug.strip("/ ")
        fields = {"slug": slug, "filename": facts.name}
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

    def _safe_permalink(
        self, rel: str, meta: Mapping[str, Any], facts: PageFacts, warnings: list[str]
    ) -> str:
        """The permalink; one declared with a scheme feeds must not carry (`javascript:`) is
        named and the site's pattern used instead."""
        link = self._permalink(rel, meta, facts)
        if urls.is_web(link):
            return link
        keys = self._layout.declared_url_keys
        field = next((k for k in keys if meta.get(k)), "permalink")
        warnings.append(
            f"{field}: {link[:80]!r} is not an http(s) address; the site's pattern is used"
        )
        return self._permalink(rel, {k: v for k, v in meta.items() if k not in keys}, facts)

    def _image(self, meta: Mapping[str, Any], warnings: list[str]) -> dict[str, str | None]:
        found = lead_image.from_frontmatter(meta, self._site_url, warnings)
        return {"image": found.url, "image_alt": found.alt} if found else {}


class CaselessKeys(dict[str, Any]):
    """Frontmatter read as Hugo reads it: `Categories` and `categories` are one key (the last
    written wins)."""

    def __init__(self, meta: Mapping[str, Any]) -> None:
        super().__init__((str(k).lower(), v) for k, v in meta.items())

    def __getitem__(self, key: str) -> Any:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key.lower() if isinstance(key, str) else key)

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)


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


def _overrides(rel: str, value: object, warnings: list[str]) -> PostOverrides:
    if value is None:
        return PostOverrides()
    if isinstance(value, bool):  # `syndicate: false` means "do not syndicate"
        return PostOverrides(skip=not value)
    if not isinstance(value, Mapping):
        raise PostDataError(rel, "`syndicate:` must be a mapping such as {skip: true}")
    text = value.get("text")
    texts = {str(k): v for k, v in value.items() if k not in _OVERRIDE_KEYS}
    for key in sorted(k for k, v in texts.items() if not isinstance(v, str) or not v.strip()):
        warnings.append(f"syndicate: {key}: is not a text to post there; ignored")
        del texts[key]
    return PostOverrides(
        skip=_flag(rel, value, "skip", default=False),
        text=str(text) if text is not None else None,
        texts=tuple(sorted(texts.items())),
    )


def _capped(items: tuple[T, ...], cap: int, what: str, warnings: list[str]) -> tuple[T, ...]:
    if len(items) <= cap:
        return items
    warnings.append(f"{len(items)} {what}: only the first {cap} are used")
    return items[:cap]
