"""Compare a real blog's own feed with syndicate's, post by post.

    python bench/parity.py path/to/blog [--url https://its.address/] [--json]
    python bench/parity.py --fixtures      # every fixture site of tests/parity, in one table

The blog is read, never changed: Hugo runs on a scratch copy (with a JSON output format that
lists each page's terms and authors), Jekyll builds into a scratch folder (with jekyll-feed
and every post in its feed); syndicate's config and feeds go to the scratch folder too. Prints
the posts each side publishes and, per field, how many compared posts are equal.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from syndicate.content.layouts import detect
from tests.parity import compare


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("blog", type=Path, nargs="?")
    parser.add_argument("--url", help="the blog's address when its config has none")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--fixtures", action="store_true", help="the parity fixture sites")
    args = parser.parse_args()
    if args.fixtures or args.blog is None:
        return fixtures_table()
    blog: Path = args.blog.resolve()
    layout = detect(blog)
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        feed, author = compare.build_ours(blog, scratch, url=args.url)
        if layout == "jekyll":
            extra = f"url: {args.url}\n" if args.url else ""
            copy = scratch / "jekyll-source"
            import shutil

            # the feed needs the posts and what they name (collections, data, includes), not
            # the pages or layouts, whose plugin tags Jekyll without those plugins cannot parse
            copy.mkdir()
            for path in blog.iterdir():
                if path.name in ("_layouts", "_site", "_plugins"):
                    continue
                if path.is_dir() and path.name.startswith("_"):
                    shutil.copytree(path, copy / path.name, symlinks=True)
                elif path.name in ("_config.yml", "CNAME"):
                    shutil.copy(path, copy / path.name)
            theirs = compare.read_jekyll_feed(
                compare.run_jekyll(copy, extra_config=extra + "theme: null\n")
            )
        elif layout == "hugo":
            taxonomies = ["tags", "categories", *_taxonomies(blog)]
            rss, oracle = compare.run_hugo(blog, scratch, taxonomies)
            theirs = compare.read_hugo(rss, oracle)
        else:
            print(f"{blog}: not a Jekyll or Hugo blog", file=sys.stderr)
            return 2
        result = compare.compare(theirs, compare.read_ours(feed, site_author=author))
    summary = result.summary()
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
        return 0
    print(
        f"{blog.name} ({layout}): the generator publishes {summary['generator_posts']} posts, "
        f"syndicate {summary['our_posts']}; {summary['compared']} compared"
    )
    for name, count in summary["equal"].items():  # type: ignore[attr-defined]
        print(f"  {name:8} {count}/{summary['compared']} equal")
    for key in ("only_in_generator", "only_in_ours"):
        for link in summary[key][:10]:  # type: ignore[index]
            print(f"  {key}: {link}")
    for diff in summary["differences"][:15]:  # type: ignore[index]
        print(f"  differs: {diff}")
    return 0


def fixtures_table() -> int:
    """Every fixture site built by its generator and by syndicate: posts and equal fields."""
    from tests.parity import fixtures

    rows: list[tuple[str, dict[str, object]]] = []
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        for style in fixtures.JEKYLL_STYLES:
            blog = scratch / f"jekyll-{style}" / "blog"
            fixtures.jekyll_site(blog, style)
            theirs = compare.read_jekyll_feed(compare.run_jekyll(blog))
            feed, author = compare.build_ours(blog, blog.parent)
            rows.append((f"jekyll {style}", _summary(theirs, feed, author)))
        for name in fixtures.HUGO_PATTERNS:
            blog = scratch / f"hugo-{name}" / "blog"
            fixtures.hugo_site(blog, name)
            rss, oracle = compare.run_hugo(blog, blog.parent, ["tags", "categories", "series"])
            feed, author = compare.build_ours(blog, blog.parent)
            rows.append((f"hugo {name}", _summary(compare.read_hugo(rss, oracle), feed, author)))
    print(
        f"{'site':22} {'gen':>4} {'ours':>4} {'cmp':>4} "
        + " ".join(f"{f:>7}" for f in compare.FIELDS)
    )
    for name, row in rows:
        equal = row["equal"]
        assert isinstance(equal, dict)
        print(
            f"{name:22} {row['generator_posts']:>4} {row['our_posts']:>4} {row['compared']:>4} "
            + " ".join(f"{equal[f]:>7}" for f in compare.FIELDS)
        )
    for generator in ("jekyll", "hugo"):
        mine = [row for name, row in rows if name.startswith(generator)]
        compared = sum(int(str(r["compared"])) for r in mine)
        public = all(not r["only_in_generator"] and not r["only_in_ours"] for r in mine)
        fields = {f: sum(_equal(r, f) for r in mine) for f in compare.FIELDS}
        print(
            f"{generator}: {len(mine)} sites, {compared} posts compared, "
            f"public sets equal: {public}; "
            + ", ".join(f"{f} {n}/{compared}" for f, n in fields.items())
        )
    return 0


def _equal(row: dict[str, object], name: str) -> int:
    equal = row["equal"]
    return int(equal[name]) if isinstance(equal, dict) else 0


def _summary(theirs: list[compare.Published], feed: Path, author: str | None) -> dict[str, object]:
    return compare.compare(theirs, compare.read_ours(feed, site_author=author)).summary()


def _taxonomies(blog: Path) -> list[str]:
    from syndicate.content.layouts import resolve
    from syndicate.scaffold import _fields

    return _fields(blog, resolve(blog, "hugo"))["taxonomies"]


if __name__ == "__main__":
    raise SystemExit(main())
