"""Settings: a typed model of `syndicate.toml`, loaded with errors that say file, line and key.

Relative paths in the file are relative to the file itself, so a config works from any
working directory. `${NAME}` in a string is replaced by the environment variable NAME.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlsplit

import msgspec
from msgspec import Meta

from syndicate.accounts import AccountSettings, PublishSettings
from syndicate.content.settings import ContentSettings
from syndicate.errors import ConfigError
from syndicate.feedkinds import KINDS, FeedKind, Kind, describe
from syndicate.sections import Section, check, parse, replace, to_plain
from syndicate.store_url import SCHEMA_NAME, with_schema

FormatName = Literal["atom", "rss", "json"]


class SiteSettings(Section, frozen=True, kw_only=True):
    title: str = "My blog"
    url: str  # the site's public base URL; every link in the feeds starts here
    description: str = ""
    language: str | None = None
    author: str | None = None  # the feeds' own author, when posts name none
    icon: str | None = None
    logo: str | None = None

    def __post_init__(self) -> None:
        check(self, "url", _absolute_url)


def _absolute_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an absolute http(s) URL, such as https://blog.example.org/")
    return value if value.endswith("/") else value + "/"


class IdentitySettings(Section, frozen=True, kw_only=True):
    # How a post's permanent id is minted the first time it is seen. Fields: {host},
    # {date} (YYYY-MM-DD), {year}, {path} (permalink path), {permalink}, {slug}, {dir} (the
    # permalink without its last segment: "{dir}/{slug}" is jekyll-feed's id).
    id_template: str = "tag:{host},{date}:/{path}"
    # Share of words that must change before an edit moves `updated` (0.02 = 2 %).
    significant_change: Annotated[float, Meta(ge=0.0, le=1.0)] = 0.02


class FeedKindSettings(Section, frozen=True, kw_only=True):
    enabled: bool = True
    title: str | None = None
    atom: str = ""
    rss: str = ""
    json_: str = msgspec.field(default="", name="json")
    page: str | None = None  # HTML page the feed mirrors, relative to the site URL
    limit: Annotated[int, Meta(ge=1)] | None = None
    max_bytes: Annotated[int, Meta(ge=1024)] | None = None
    content: Literal["full", "summary"] | None = None

    def path_for(self, fmt: FormatName) -> str:
        return {"atom": self.atom, "rss": self.rss, "json": self.json_}[fmt]


class _FeedsBase(Section, frozen=True, kw_only=True):
    """[feeds]: what every feed shares. Each kind's own table, `[feeds.<key>]`, is a field of
    FeedSettings below, made from syndicate/feedkinds.py; a kind's table that sets only some
    keys keeps the kind's defaults for the rest (`_over_defaults`, applied before converting)."""

    output: Path = Path("public")
    formats: tuple[FormatName, ...] = ("atom", "rss", "json")
    limit: Annotated[int, Meta(ge=1)] = 20
    max_bytes: Annotated[int, Meta(ge=1024)] = 1_000_000
    content: Literal["full", "summary"] = "full"
    hubs: tuple[str, ...] = ()
    # RFC 5005 archives: every post reachable from each feed, in one archive document per
    # "year" or "month" of posts older than the feed's own; "" for none.
    archives: Literal["", "year", "month"] = ""

    def of(self, kind: FeedKind) -> FeedKindSettings:
        """The settings of one kind of feed."""
        found = getattr(self, describe(kind).settings_key)
        assert isinstance(found, FeedKindSettings)
        return found


def _kind_defaults(kind: Kind) -> FeedKindSettings:
    return parse(FeedKindSettings, kind.defaults())


def _kind_field(kind: Kind) -> tuple[str, type, Any]:
    return (
        kind.settings_key,
        FeedKindSettings,
        msgspec.field(default_factory=lambda: _kind_defaults(kind)),
    )


if TYPE_CHECKING:
    FeedSettings = _FeedsBase
else:  # one field per kind of feed, named by its settings key
    FeedSettings = msgspec.defstruct(
        "FeedSettings",
        [_kind_field(kind) for kind in KINDS],
        bases=(_FeedsBase,),
        kw_only=True,
        module=__name__,
    )


def _over_defaults(feeds: Any) -> Any:
    """A `[feeds.tags]` table that sets only `limit` keeps the default paths and title."""
    if not isinstance(feeds, Mapping):
        return feeds
    merged = dict(feeds)
    for kind in KINDS:
        table = merged.get(kind.settings_key)
        if isinstance(table, Mapping):
            merged[kind.settings_key] = {**kind.defaults(), **table}
    return merged


class BuildSettings(Section, frozen=True, kw_only=True):
    workers: Annotated[int, Meta(ge=0, le=64)] = 0  # reading and rendering; 0 = one per core
    fsync: bool = False  # flush each feed file to disk before it replaces the old one


class WatchSettings(Section, frozen=True, kw_only=True):
    poll: bool = False  # poll the posts directory instead of file events (network filesystems)
    poll_interval: Annotated[float, Meta(gt=0)] = 1.0  # seconds between polls when polling
    debounce: Annotated[float, Meta(ge=0)] = 0.05  # seconds to gather a burst of changes
    rescan: Annotated[float, Meta(ge=0)] = 600.0  # seconds between full scans; 0 = never
    # Remote sources ([[sources]]): polls in flight to one host at once, however many of
    # them it serves (a planet of feeds on one hosting service).
    per_host: Annotated[int, Meta(ge=1, le=64)] = 1


class ServerSettings(Section, frozen=True, kw_only=True):
    host: str = "127.0.0.1"
    port: Annotated[int, Meta(ge=0, le=65535)] = 8080
    # What one client can make the server hold (web/limits.py).
    http: Literal["auto", "h11", "httptools"] = "auto"  # the parser; auto: httptools if there
    max_connections: Annotated[int, Meta(ge=1)] = 1000  # past it, the longest idle goes
    request_timeout: Annotated[float, Meta(gt=0)] = 10.0  # seconds for a head, and a body
    keep_alive: Annotated[int, Meta(ge=1)] = 5  # seconds a connection idles between requests
    max_header_bytes: Annotated[int, Meta(ge=1024)] = 16384  # a request's head
    max_headers: Annotated[int, Meta(ge=8)] = 100
    max_body: Annotated[int, Meta(ge=1024)] = 65536  # the dashboard's and API's POSTs


class AdminSettings(Section, frozen=True, kw_only=True):
    """The dashboard under /admin/ and the JSON API under /api/ (see admin/)."""

    enabled: bool = True  # on when a token exists; false turns both off whatever the token
    # The token's file, made by `syndicate token`; $SYNDICATE_ADMIN_TOKEN wins over it.
    token_file: Path = Path("admin.token")
    session_hours: Annotated[float, Meta(gt=0, le=24 * 90)] = 24.0 * 7  # how long a login lasts
    # Wrong tokens (Bearer or login) allowed in a burst and then per minute: from one client,
    # and from all together; past them a client waits (429) before it may try again.
    failures_per_client: Annotated[int, Meta(ge=1)] = 10
    failures_overall: Annotated[int, Meta(ge=1)] = 60


class SourceSettings(Section, frozen=True, kw_only=True):
    """A remote feed whose entries become posts (a planet's member blogs)."""

    name: str
    url: str
    interval: Annotated[float, Meta(ge=10)] = 1800.0  # seconds between polls (jitter added)
    tags: tuple[str, ...] = ()  # added to every entry's own tags
    author: str | None = None  # when entries name none
    include: bool = False  # also list its entries in this site's feeds
    # Seconds a whole poll may take (connecting, redirects, the download), however slowly
    # the server answers.
    timeout: Annotated[float, Meta(gt=0, le=3600)] = 120.0
    # The source is on a private network: it may be fetched from loopback, private, link-local
    # and shared addresses (else only public ones and its own url's host: watch/addresses.py).
    intranet: bool = False

    def __post_init__(self) -> None:
        check(self, "url", _http_url)


def _http_url(value: str) -> None:
    if urlsplit(value).scheme not in ("http", "https"):
        raise ValueError("must be an http(s) URL of a feed")


class LogSettings(Section, frozen=True, kw_only=True):
    format: Literal["auto", "human", "json"] = "auto"  # auto: human on a terminal, else JSON
    level: Literal["debug", "info", "warning", "error"] = "info"


class StoreSettings(Section, frozen=True, kw_only=True):
    url: str = "sqlite:///syndicate.db"  # the ledger: any SQLAlchemy URL
    cache: Path = Path("syndicate-cache.sqlite")  # rendered HTML; safe to delete
    # PostgreSQL: the schema holding this blog's tables, so several blogs share one database
    # (store/database.py); "" for the server's default (public). Written `schema` (or
    # `schema_name`, its name here) in the file.
    schema_name: str = msgspec.field(default="", name="schema")

    def __post_init__(self) -> None:
        check(self, "schema_name", _plain_schema_name)


def _plain_schema_name(value: str) -> None:
    if value and not SCHEMA_NAME.match(value):
        raise ValueError(
            "must be lower-case letters, digits and _, starting with a letter or _ "
            "(and not pg_, which is PostgreSQL's)"
        )


class ClusterSettings(Section, frozen=True, kw_only=True):
    """[cluster]: several `syndicate run` replicas sharing one PostgreSQL ledger. One of them
    at a time owns the blog's files and builds (store/ownership.py); every one serves the
    feeds it built, from the ledger; their sends are handed out as procrastinate jobs, one
    account at a time (syndicate/cluster)."""

    enabled: bool = False
    node: str = ""  # this replica's name, unique in the cluster; "" for host name and pid
    blog: str = ""  # the blog's name in the ledger; "" for the site URL's host and path
    lease_seconds: Annotated[float, Meta(ge=2.0, le=3600.0)] = 15.0  # a dead owner's wait


_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")  # S3's rules for bucket names
_REFERENCE = re.compile(r"^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$")


class MirrorSettings(Section, frozen=True, kw_only=True):
    """[mirror]: every feed file also copied to an S3-compatible bucket, for a CDN
    (daemon/mirror.py). Credentials come from the standard AWS chain (environment, shared
    files, an instance's role) unless both references below are given."""

    enabled: bool = False
    s3_bucket: str = ""
    prefix: str = ""  # the keys' start: "feeds/" puts feed.xml at feeds/feed.xml
    endpoint_url: str = ""  # "" for AWS itself; else the S3-compatible service's address
    region: str = ""  # "" for the chain's own (AWS_REGION, the shared config)
    access_key_id: str = ""  # env:NAME or file:PATH, never the key itself; "" for the chain
    secret_access_key: str = ""  # env:NAME or file:PATH, never the key itself
    # What a CDN and readers may do with a copy: revalidate each time, as the daemon asks.
    cache_control: str = "public, no-cache"

    def __post_init__(self) -> None:
        check(self, "s3_bucket", _bucket_name)
        check(self, "prefix", _key_prefix)
        check(self, "endpoint_url", _endpoint)
        check(self, "access_key_id", _reference)
        check(self, "secret_access_key", _reference)
        if self.enabled and not self.s3_bucket:
            raise ValueError("mirror.enabled needs mirror.s3_bucket, the bucket to copy into")
        if bool(self.access_key_id) != bool(self.secret_access_key):
            raise ValueError(
                "give both mirror.access_key_id and mirror.secret_access_key, or neither "
                "(then the standard AWS chain: environment, shared files, the instance's role)"
            )


def _bucket_name(value: str) -> None:
    if value and (not _BUCKET.match(value) or ".." in value):
        raise ValueError(
            "not an S3 bucket name: 3 to 63 lower-case letters, digits, dots and dashes"
        )


def _key_prefix(value: str) -> str:
    parts = value.strip("/").split("/")
    if value.startswith("/") or any(p in {".", ".."} for p in parts):
        raise ValueError('a relative key prefix, such as "feeds/" (no leading /, no ..)')
    return value.strip("/") + "/" if value.strip("/") else ""


def _endpoint(value: str) -> None:
    parts = urlsplit(value)
    if value and (parts.scheme not in ("http", "https") or not parts.netloc):
        raise ValueError("must be an absolute http(s) URL, such as https://s3.example.org")


def _reference(value: str) -> None:
    # The message never quotes the value: it may be the secret itself.
    if value and not _REFERENCE.match(value):
        raise ValueError("write env:NAME or file:PATH, never the key itself")


class Settings(Section, frozen=True, kw_only=True):
    """The whole configuration. `base_dir` is where relative paths are resolved from."""

    site: SiteSettings
    content: ContentSettings = msgspec.field(default_factory=ContentSettings)
    identity: IdentitySettings = msgspec.field(default_factory=IdentitySettings)
    feeds: FeedSettings = msgspec.field(default_factory=FeedSettings)
    build: BuildSettings = msgspec.field(default_factory=BuildSettings)
    watch: WatchSettings = msgspec.field(default_factory=WatchSettings)
    server: ServerSettings = msgspec.field(default_factory=ServerSettings)
    admin: AdminSettings = msgspec.field(default_factory=AdminSettings)
    sources: tuple[SourceSettings, ...] = ()
    accounts: tuple[AccountSettings, ...] = ()
    publish: PublishSettings = msgspec.field(default_factory=PublishSettings)
    log: LogSettings = msgspec.field(default_factory=LogSettings)
    store: StoreSettings = msgspec.field(default_factory=StoreSettings)
    cluster: ClusterSettings = msgspec.field(default_factory=ClusterSettings)
    mirror: MirrorSettings = msgspec.field(default_factory=MirrorSettings)
    # Set by the loader, never read from the file (`parse_settings` refuses them there).
    base_dir: Path = Path()
    source_file: Path | None = None

    def __post_init__(self) -> None:
        check(self, "sources", _distinct_sources)
        check(self, "accounts", _distinct_accounts)
        # The lease, the job queue, the claims' row locks and NOTIFY are PostgreSQL's.
        if self.cluster.enabled and not self.store.url.startswith("postgresql"):
            raise ValueError(
                "cluster.enabled needs a PostgreSQL store.url, which every replica reaches "
                "(postgresql+psycopg://user:password@host/db)"
            )
        if self.store.schema_name and not self.store.url.startswith("postgresql"):
            raise ValueError(
                "store.schema is for a PostgreSQL store.url; on SQLite each blog has a file"
            )

    @property
    def node_name(self) -> str:
        if self.cluster.node:
            return self.cluster.node
        import socket  # for the host's name alone: a few ms of every command's start

        return f"{socket.gethostname()}:{os.getpid()}"

    @property
    def blog_name(self) -> str:
        if self.cluster.blog:
            return self.cluster.blog
        parts = urlsplit(self.site.url)
        return f"{parts.netloc}{parts.path}".rstrip("/")

    @property
    def jobs_url(self) -> str:
        """Where a cluster's procrastinate tables live: the ledger's database, outside any
        blog's schema, so the blogs of a deployment share them (and a host's poll lock)."""
        return self.store.url if self.store.schema_name else self.store_url

    @property
    def content_root(self) -> Path:
        return (self.base_dir / self.content.root).resolve()

    @property
    def output_dir(self) -> Path:
        return (self.base_dir / self.feeds.output).resolve()

    @property
    def token_path(self) -> Path:
        return (self.base_dir / self.admin.token_file).resolve()

    @property
    def cache_path(self) -> Path:
        return (self.base_dir / self.store.cache).resolve()

    @property
    def store_url(self) -> str:
        """The SQLAlchemy URL, with a relative SQLite path made relative to the config file."""
        url = self.store.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/"):
            rest = url[len(prefix) :]
            if rest and not rest.startswith(":memory:"):
                return prefix + str((self.base_dir / rest).resolve())
        if self.store.schema_name:
            return with_schema(url, self.store.schema_name)
        return url


def _distinct_sources(sources: tuple[SourceSettings, ...]) -> None:
    # Entries are keyed by the slug of their source's name: two sources whose names
    # slug alike would mix their entries.
    if not sources:
        return
    from syndicate.content.tags import slugify  # with the post model: not for every command

    seen: dict[str, str] = {}
    for source in sources:
        key = slugify(source.name) or source.name
        if key in seen:
            raise ValueError(f"sources {seen[key]!r} and {source.name!r}: names must differ")
        seen[key] = source.name


def _distinct_accounts(accounts: tuple[AccountSettings, ...]) -> None:
    names = [a.name for a in accounts]
    for name in names:
        if names.count(name) > 1:
            raise ValueError(f"two accounts are named {name!r}: names must differ")


_LOADER_SET = frozenset(("base_dir", "source_file"))


def settings_json(
    settings: Settings, *, include: set[str] | None = None, exclude: frozenset[str] = frozenset()
) -> str:
    """The settings as compact JSON with the Python names of their keys, the tables in
    `include` (default all) but those in `exclude`: what the build's fingerprints hash."""
    tables = [
        name
        for name in Settings.__struct_fields__
        if name not in _LOADER_SET and (include is None or name in include) and name not in exclude
    ]
    plain = {name: to_plain(getattr(settings, name)) for name in tables}
    return msgspec.json.encode(plain).decode()


def load_settings(path: Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate a config file; every problem becomes a ConfigError naming file and line."""
    environ = os.environ if environ is None else environ
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(
            "no such file; create one with `syndicate init BLOG_DIR` or pass --config",
            file=str(path),
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", file=str(path)) from exc
    return parse_settings(text, file=str(path), base_dir=path.parent, environ=environ)


def parse_settings(
    text: str, *, file: str, base_dir: Path, environ: Mapping[str, str] | None = None
) -> Settings:
    environ = os.environ if environ is None else environ
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _toml_error_line(str(exc))
        raise ConfigError(f"not valid TOML: {exc}", file=file, line=line) from None
    raw = _expand_env(raw, (), environ, text, file)
    for key in sorted(_LOADER_SET & raw.keys()):  # the loader's to set, never the file's
        message = "unknown setting (check its spelling and section)"
        raise ConfigError(message, file=file, line=locate_key(text, (key,)), key=key)
    try:
        settings = parse(Settings, _from_file(raw))
    except msgspec.ValidationError as exc:
        from syndicate.settings_errors import explain  # only for a file with a mistake

        message, loc = explain(exc, Settings)
        raise ConfigError(
            message, file=file, line=locate_key(text, loc), key=".".join(loc)
        ) from None
    return replace(settings, base_dir=base_dir.resolve(), source_file=Path(file))


def _from_file(raw: dict[str, Any]) -> dict[str, Any]:
    """The file's tables as the models take them: kinds' tables over their defaults, the
    store's schema under either of its names."""
    raw = dict(raw)
    if "feeds" in raw:
        raw["feeds"] = _over_defaults(raw["feeds"])
    store = raw.get("store")
    if isinstance(store, Mapping) and "schema_name" in store and "schema" not in store:
        raw["store"] = {("schema" if k == "schema_name" else k): v for k, v in store.items()}
    return raw


_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _expand_env(
    value: Any, loc: tuple[str, ...], environ: Mapping[str, str], text: str, file: str
) -> Any:
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in environ:
                raise ConfigError(
                    f"environment variable {name} is not set",
                    file=file,
                    line=locate_key(text, loc),
                    key=".".join(loc),
                )
            return environ[name]

        return _ENV_REF.sub(replace, value)
    if isinstance(value, Mapping):
        return {k: _expand_env(v, (*loc, k), environ, text, file) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_env(v, (*loc, str(i)), environ, text, file) for i, v in enumerate(value)]
    return value


def _toml_error_line(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None


_TABLE = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.\-" ]+?)\s*=""")


def locate_key(text: str, loc: Sequence[str]) -> int | None:
    """The 1-based line where the setting at `loc` (e.g. feeds.tags.limit) is written.

    Falls back to the line of the nearest enclosing table, or None if nothing matches.
    """
    want = [part for part in loc if not part.isdigit()]
    best: int | None = None
    best_depth = 0
    table: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        header = _TABLE.match(line)
        if header:
            table = _split_dotted(header.group(1))
            if table and table == want[: len(table)] and len(table) > best_depth:
                best, best_depth = number, len(table)
            continue
        key = _KEY.match(line)
        if key:
            full = table + _split_dotted(key.group(1))
            if full == want[: len(full)]:
                return number
    return best


def _split_dotted(key: str) -> list[str]:
    parts = re.findall(r'"([^"]*)"|\'([^\']*)\'|([^.\s]+)', key)
    return [a or b or c for a, b, c in parts]
