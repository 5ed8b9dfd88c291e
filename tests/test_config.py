"""Loading the config: defaults, relative paths, environment values, errors with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndicate.config import load_settings, locate_key, parse_settings
from syndicate.errors import ConfigError
from syndicate.feedkinds import FeedKind
from syndicate.locations import find_config

MINIMAL = '[site]\nurl = "https://x.org"\n'


def test_minimal_config_gets_every_default(tmp_path: Path) -> None:
    settings = parse_settings(MINIMAL, file="c.toml", base_dir=tmp_path)
    assert settings.site.url == "https://x.org/"
    assert settings.feeds.of(FeedKind.TAG).atom == "tag/{slug}.xml"
    assert settings.output_dir == (tmp_path / "public").resolve()
    assert settings.store_url == f"sqlite:///{(tmp_path / 'syndicate.db').resolve()}"


def test_a_partial_kind_table_keeps_the_other_defaults(tmp_path: Path) -> None:
    settings = parse_settings(
        MINIMAL + "[feeds.tags]\nlimit = 5\n", file="c.toml", base_dir=tmp_path
    )
    assert settings.feeds.of(FeedKind.TAG).limit == 5
    assert (
        settings.feeds.of(FeedKind.TAG).rss == "tag/{slug}.rss"
        and settings.feeds.of(FeedKind.TAG).title == "{site}: {tag}"
    )


def test_environment_values_are_substituted(tmp_path: Path) -> None:
    text = MINIMAL + '[store]\nurl = "${DB_URL}"\n'
    settings = parse_settings(
        text, file="c.toml", base_dir=tmp_path, environ={"DB_URL": "sqlite:///:memory:"}
    )
    assert settings.store_url == "sqlite:///:memory:"
    with pytest.raises(
        ConfigError, match=r"c.toml:4: store.url: environment variable DB_URL is not set"
    ):
        parse_settings(text, file="c.toml", base_dir=tmp_path, environ={})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[site]\ntitle = "x"\n', r"c.toml:1: site.url: required setting is missing"),
        (
            '[site]\nurl = "blog.example.org"\n',
            r"c.toml:2: site.url: must be an absolute http\(s\) URL",
        ),
        (
            MINIMAL + '[content]\ntimezone = "Mars/Olympus"\n',
            r"c.toml:4: content.timezone: unknown time zone",
        ),
        (
            MINIMAL + "[feeds]\nlimit = 0\n",
            r"c.toml:4: feeds.limit: Input should be greater than or equal to 1",
        ),
        (MINIMAL + "[feeds.tags]\nlimt = 3\n", r"c.toml:4: feeds.tags.limt: unknown setting"),
        ('base_dir = "/etc"\n' + MINIMAL, r"c.toml:1: base_dir: unknown setting"),
        (MINIMAL + "[feeds\n", r"c.toml:3: not valid TOML"),
        (
            MINIMAL + '[[sources]]\nname = "Planet RDO"\nurl = "https://a.example/feed"\n'
            '[[sources]]\nname = "planet rdo"\nurl = "https://b.example/feed"\n',
            r"sources 'Planet RDO' and 'planet rdo': names must differ",
        ),
        (
            MINIMAL + '[[sources]]\nname = "x"\nurl = "ftp://a.example/feed"\n',
            r"c.toml:5: sources.0.url: must be an http\(s\) URL of a feed",
        ),
        (
            MINIMAL + '[feeds]\nformats = ["atom", "rdf"]\n',
            r"c.toml:4: feeds.formats.1: Input should be 'atom', 'rss' or 'json'",
        ),
        (MINIMAL + "[watch]\npoll_interval = 0\n", r"watch.poll_interval: .* greater than 0$"),
        (
            MINIMAL + '[store]\nschema = "Bad-Name"\n',
            r"c.toml:4: store.schema: must be lower-case letters",
        ),
        (
            MINIMAL + "[server]\nhost = 127\n",
            r"c.toml:4: server.host: Input should be a valid string, not int",
        ),
    ],
)
def test_errors_say_file_line_key_and_what_is_expected(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_settings(text, file="c.toml", base_dir=tmp_path, environ={})


def test_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="syndicate init"):
        load_settings(tmp_path / "nope.toml")


def test_find_config_order() -> None:
    assert find_config("a.toml", {"SYNDICATE_CONFIG": "b.toml"}) == Path("a.toml")
    assert find_config(None, {"SYNDICATE_CONFIG": "b.toml"}) == Path("b.toml")
    assert find_config(None, {}) == Path("config/syndicate.toml")


def test_locate_key_finds_dotted_and_nested_keys() -> None:
    text = '[site]\nurl = "x"\n\n[feeds.tags]\n# comment\nlimit = 3\n\n[feeds]\n"max_bytes" = 9\n'
    assert locate_key(text, ("feeds", "tags", "limit")) == 6
    assert locate_key(text, ("feeds", "max_bytes")) == 9
    assert locate_key(text, ("feeds", "tags", "missing")) == 4


# sha256 of pydantic's `model_dump_json` of these settings, taken before the settings moved to
# msgspec: the build's fingerprints must not change, or an upgrade would rebuild every blog.
FINGERPRINTS = {
    "every_table.toml": (
        "8bbf04e3050bda73e9ff3ba473f7f32591ad379c863b534d49343da6bf53b09b",
        "0448ff80707563be1ff7bb71f27d1ae0fc8d1c50d80642f22cc1cab4bce69c2d",
    ),
    '[site]\nurl = "https://x.example.org/"\n': (
        "6892f46f2b57424ac9a7667b2a330e2cede6bfd35a737134899e8425364a85b2",
        "b3363b823684eca50c22ddab28848cbc46a634959fd13c46fb15e6ae8182df0d",
    ),
}


@pytest.mark.parametrize("config", list(FINGERPRINTS))
def test_the_builds_fingerprints_of_the_settings_keep_their_bytes(
    tmp_path: Path, config: str
) -> None:
    import hashlib

    from syndicate.config import settings_json

    path = Path(__file__).parent / "data" / config
    text = path.read_text("utf-8") if config.endswith(".toml") else config
    settings = parse_settings(text, file="c.toml", base_dir=tmp_path, environ={})
    made = (
        settings_json(settings, include={"site", "content", "identity"}),
        settings_json(settings, exclude=frozenset({"store", "build", "cluster"})),
    )
    assert tuple(hashlib.sha256(m.encode()).hexdigest() for m in made) == FINGERPRINTS[config]


def test_numbers_and_booleans_may_come_from_the_environment(tmp_path: Path) -> None:
    text = MINIMAL + '[server]\nport = "${PORT}"\n[build]\nfsync = "${FSYNC}"\n'
    settings = parse_settings(
        text, file="c.toml", base_dir=tmp_path, environ={"PORT": "8200", "FSYNC": "true"}
    )
    assert settings.server.port == 8200 and settings.build.fsync is True
