"""Which feeds exist and what each lists: a pure function of the entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from syndicate.config import FeedSettings, Settings, SiteSettings, parse_settings
from syndicate.feedkinds import FeedKind
from syndicate.feeds.plan import newest_first, plan
from syndicate.model import Author, Entry, Post, Tag

BASE = datetime(2024, 1, 1, tzinfo=UTC)


def entry(
    n: int, tags: tuple[str, ...] = (), author: str = "ana", *, same_day: bool = False
) -> Entry:
    date = BASE if same_day else BASE + timedelta(days=n)
    post = Post(
        source=f"p{n}.md",
        slug=f"p{n}",
        title=f"P{n}",
        date=date,
        permalink=f"https://x.org/p{n}.html",
        authors=(Author(author, author.title()),),
        tags=tuple(Tag(t.lower(), t) for t in tags),
    )
    return Entry(f"tag:x.org,2024:{n}", post, date)


def settings(extra: str = "") -> Settings:
    return parse_settings(
        f'[site]\ntitle = "X"\nurl = "https://x.org/"\n{extra}', file="t.toml", base_dir=BASE_DIR
    )


BASE_DIR = __import__("pathlib").Path("/tmp")


def test_site_tag_and_author_feeds_list_newest_first_up_to_the_limit() -> None:
    entries = newest_first([entry(n, ("Rdo",) if n % 2 else ("Rdo", "News")) for n in range(30)])
    feeds = {(f.spec.kind, f.spec.key): f for f in plan(entries, *_slices(settings()))}
    assert set(feeds) == {
        (FeedKind.SITE, ""),
        (FeedKind.TAG, "rdo"),
        (FeedKind.TAG, "news"),
        (FeedKind.AUTHOR, "ana"),
    }
    site = feeds[(FeedKind.SITE, "")]
    assert [e.post.title for e in site.entries][:3] == ["P29", "P28", "P27"]
    assert len(site.entries) == 20
    assert all(
        "News" in [t.name for t in e.post.tags] for e in feeds[(FeedKind.TAG, "news")].entries
    )


def test_ties_on_the_date_are_broken_by_id() -> None:
    entries = newest_first([entry(n, same_day=True) for n in (3, 1, 2)])
    assert [e.id for e in entries] == ["tag:x.org,2024:3", "tag:x.org,2024:2", "tag:x.org,2024:1"]


def test_the_spelling_most_posts_use_names_the_tag() -> None:
    entries = newest_first([entry(0, ("rdo",)), entry(1, ("RDO",)), entry(2, ("RDO",))])
    tag = next(f for f in plan(entries, *_slices(settings())) if f.spec.kind is FeedKind.TAG)
    assert tag.spec.title == "X: RDO"
    assert tag.spec.outputs[0].path == "tag/rdo.xml"


def test_kinds_can_be_switched_off_and_overridden() -> None:
    entries = newest_first([entry(n, ("a",)) for n in range(5)])
    text = (
        '[feeds.authors]\nenabled = false\n[feeds.tags]\nlimit = 2\ncontent = "summary"\nrss = ""'
    )
    feeds = plan(entries, *_slices(settings(text)))
    assert {f.spec.kind for f in feeds} == {FeedKind.SITE, FeedKind.TAG}
    tag = next(f for f in feeds if f.spec.kind is FeedKind.TAG)
    assert len(tag.entries) == 2 and not tag.spec.full_content
    assert [o.format.value for o in tag.spec.outputs] == ["atom", "json"]


def test_feeds_that_existed_before_are_kept_empty() -> None:
    feeds = plan([], *_slices(settings()), keep=[(FeedKind.TAG, "gone", "Gone")])
    gone = next(f for f in feeds if f.spec.key == "gone")
    assert gone.entries == () and gone.spec.title == "X: Gone"


def _slices(settings: Settings) -> tuple[FeedSettings, SiteSettings]:
    return settings.feeds, settings.site
