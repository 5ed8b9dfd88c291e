"""Fixture blogs for the parity tests: each rule the generators document, one post at a time.

Every site is written into a scratch folder by a function here; the tests run the real
generator and syndicate on it and compare what both publish.
"""

from __future__ import annotations

from pathlib import Path


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")


def post(
    root: Path, rel: str, front: str, body: str = "Some words.\n", *, fence: str = "---"
) -> None:
    write(root / rel, f"{fence}\n{front.strip()}\n{fence}\n{body}")


# Jekyll: every permalink placeholder appears in some post's own `permalink:` (Jekyll expands
# them there too), and each site's config takes one of the styles.
JEKYLL_STYLES = {
    "collections": "collections:\n  posts:\n    permalink: /news/:year/:month/:day/:title/\n"
    "permalink: pretty\n",  # the collection's own permalink wins over the site's
    "date": "",
    "pretty": "permalink: pretty\n",
    "ordinal": "permalink: ordinal\n",
    "weekdate": "permalink: weekdate\n",
    "none": "permalink: none\n",
    "custom": "permalink: /:categories/:short_year/:i_month/:i_day/:slug.html\n",
    # what Jekyll holds back by default, published: posts dated ahead, `published: false`
    "publish-all": "permalink: pretty\nfuture: true\nunpublished: true\n",
}
JEKYLL_ZONES = {
    "collections": "America/New_York",
    "date": None,
    "pretty": "Asia/Kolkata",
    "ordinal": "Australia/Adelaide",
    "weekdate": "Europe/Paris",
    "none": "Pacific/Chatham",
    "custom": "America/St_Johns",
    "publish-all": "Europe/Berlin",
}


def jekyll_site(root: Path, style: str) -> None:
    """A Jekyll blog with every rule the issue and Jekyll's docs name, in `style`."""
    zone = JEKYLL_ZONES[style]
    address = "url: https://jekyll.parity.example.net\nbaseurl: /log\n"
    if style == "date":  # no url: the domain is in CNAME only; the name is `name:`
        write(root / "CNAME", "cname.parity.example.net\n")
        head = "name: Parity Notes\n"
        address = ""
    else:
        head = "title: Parity Log\n"
    write(
        root / "_config.yml",
        head
        + address
        + (f"timezone: {zone}\n" if zone else "")
        + "author: Site Owner\n"
        + "exclude: [README.md]\n"
        + JEKYLL_STYLES[style],
    )
    write(root / "_data" / "authors.yml", "ana:\n  name: Ana Lima\nbo:\n  name: Bo Chen\n")
    write(root / "index.md", "---\ntitle: Home\n---\nHome.\n")
    write(root / "README.md", "Not published.\n")
    p = root / "_posts"
    post(p.parent, "_posts/2024-01-02-plain-post.md", "title: Plain post\nauthor: ana")
    post(
        p.parent,
        "_posts/2024-01-03-yaml-timestamp.md",
        "title: A YAML timestamp\ndate: 2024-01-03 10:00:00",
    )
    post(
        p.parent,
        "_posts/2024-01-04-quoted-time.md",
        'title: A quoted time\ndate: "2024-01-04 10:00:00"',
    )
    post(
        p.parent, "_posts/2024-01-05-minutes-only.md", "title: Minutes only\ndate: 2024-01-05 23:30"
    )
    post(
        p.parent,
        "_posts/2024-01-06-with-offset.md",
        "title: With an offset\ndate: 2024-01-06 23:30:00 +0900",
    )
    post(p.parent, "_posts/2024-01-07-date-only.md", "title: A date only\ndate: 2024-01-08")
    post(
        p.parent,
        "_posts/2024-01-09-categories.md",
        "title: Categories\ncategories: [Release Notes, Ops]\ntags: [Alpha]",
    )
    post(
        p.parent,
        "_posts/2024-01-10-category.md",
        "title: One category\ncategory: Events\ntags: beta gamma",
    )
    post(
        p.parent,
        "_posts/2024-01-11-category-words.md",
        "title: Spaced categories\ncategories: cloud storage",
    )
    post(p.parent, "_posts/2024-01-12-own-slug.md", "title: Its own slug\nslug: Chosen-Slug")
    post(p.parent, "_posts/2024-01-13-3.5-years-of-go.md", "title: Dots in the name")
    post(p.parent, "_posts/2024-01-14-UPPER-case.md", "title: Upper case file")
    post(p.parent, "_posts/2024-01-15-data-author.md", "title: A registry author\nauthor: bo")
    post(
        p.parent,
        "_posts/2024-01-16-unknown-author.md",
        "title: An unknown author\nauthor: Jane Doe",
    )
    post(p.parent, "_posts/2024-01-17-authors-list.md", "title: An authors list\nauthors: [ana]")
    post(p.parent, "_posts/2024-01-18-draft-flag.md", "title: A draft flag\ndraft: true")
    post(p.parent, "_posts/2024-01-19-unpublished.md", "title: Unpublished\npublished: false")
    post(p.parent, "_posts/2099-01-01-future.md", "title: From the future")
    post(p.parent, "_posts/2024-01-20-wordpress-id.md", "title: A WordPress import\nid: 1339")
    post(p.parent, "_posts/nested/2024-01-21-in-a-folder.md", "title: In a folder")
    post(
        p.parent,
        "_posts/2024-01-22-early-morning.md",
        "title: Early morning\ndate: 2024-01-22 01:30:00 +0000",
    )
    post(
        p.parent,
        "_posts/2024-01-29-repeated-year.md",
        "title: The year said twice\ndate: 2024-01-29 18:30:22 2024 -0800",
    )
    post(
        p.parent,
        "_posts/2024-01-30-smart-title.md",
        "title: It's a \"smart\" title -- from the '90s... <<ok>>",
    )
    post(p.parent, "_drafts/a-draft.md", "title: In drafts")
    placeholders = {
        "dates": "/:year/:month/:day/:hour/:minute/:second/:title/",
        "short": "/:short_year/:i_month/:i_day/:slug:output_ext",
        "names": "/:short_month/:long_month/:short_day/:long_day/:name/",
        "weeks": "/:w_year/W:week/:w_day/:y_day/:title.html",
        "cats": "/:slugified_categories/:categories/:collection/:path/",
        "fixed": "/about-this/",
    }
    for day, (key, pattern) in enumerate(placeholders.items(), start=23):
        post(
            root,
            f"_posts/2024-01-{day}-placeholder-{key}.md",
            f"title: Placeholder {key}\ncategories: [Deep Dive]\npermalink: {pattern}",
        )


# Hugo: each site sets one `permalinks` pattern for the posts section (none: Hugo's paths).
HUGO_PATTERNS = {
    "paths": None,
    "dated": "/:year/:month/:day/:slug/",
    "sections": "/:sections/:filename/",
    "section": "/:section/:slugorfilename/",
    "title": "/:title/",
    "calendar": "/:yearday/:weekday/:weekdayname/:monthname/:contentbasename/",
    "last": "/:sections[last]/:slugorcontentbasename/",
    "build-all": "/:year/:month/:slug/",  # with buildFuture, buildDrafts and buildExpired
    "no-slash": "/posts/:year/:month/:slug",  # Hugo's pages are folders: a `/` all the same
    "ugly": "/:section/:title/",  # with uglyURLs: `.html` files instead
}
HUGO_ZONES = {
    "paths": None,
    "dated": "Europe/Paris",
    "sections": "America/Los_Angeles",
    "section": "Asia/Kathmandu",
    "title": "Australia/Lord_Howe",
    "calendar": "UTC",
    "last": "America/Sao_Paulo",
    "build-all": "Asia/Tokyo",
    "no-slash": "Europe/Helsinki",
    "ugly": None,
}
HUGO_EXTRA = {
    "build-all": ["buildFuture = true", "buildDrafts = true", "buildExpired = true"],
    "ugly": ["uglyURLs = true"],
}


def hugo_site(root: Path, name: str) -> None:
    """A Hugo blog with every rule the issue and Hugo's docs name, its posts per `name`."""
    pattern, zone = HUGO_PATTERNS[name], HUGO_ZONES[name]
    config = [
        'baseURL = "https://hugo.parity.example.net/blog/"',
        'title = "Parity Garden"',
        f'timeZone = "{zone}"' if zone else "",
        *HUGO_EXTRA.get(name, []),
        "[params]",
        'author = "Site Gardener"',
        "[taxonomies]",
        'tag = "tags"',
        'category = "categories"',
        'series = "series"',
    ]
    if pattern:
        config += ["[permalinks]", f'posts = "{pattern}"']
    write(root / "hugo.toml", "\n".join(config) + "\n")
    c = "content/posts"
    write(root / c / "_index.md", "---\ntitle: Posts\n---\n")
    post(root, f"{c}/plain.md", "title: Plain\ndate: 2024-02-01T09:00:00Z\ntags: [Go, Web Dev]")
    post(root, f"{c}/naive.md", "title: Naive time\ndate: 2024-02-02 10:00:00")
    post(root, f"{c}/date-only.md", "title: Date only\ndate: 2024-02-03")
    post(root, f"{c}/offset.md", "title: Offset\ndate: 2024-02-04T23:30:00-08:00")
    post(
        root,
        f"{c}/toml-local.md",
        'title = "TOML local"\ndate = 2024-02-05T08:15:00\ncategories = ["Notes"]',
        fence="+++",
    )
    post(
        root,
        f"{c}/toml-offset.md",
        'title = "TOML offset"\ndate = 2024-02-06T08:15:00+05:30\nseries = ["Basics"]',
        fence="+++",
    )
    post(root, f"{c}/3.5-years-of-go.md", "title: Three and a half years\ndate: 2024-02-07")
    post(root, f"{c}/slugged.md", "title: Slugged\ndate: 2024-02-08\nslug: My Chosen Slug")
    post(root, f"{c}/with-url.md", "title: With url\ndate: 2024-02-09\nurl: /elsewhere/page/")
    post(root, f"{c}/bundle/index.md", "title: A bundle\ndate: 2024-02-10\ntags: Single, Term")
    post(root, f"{c}/2023/deep/Nested File.md", "title: Héllo Wörld & Co\ndate: 2024-02-11")
    post(root, f"{c}/publish-later.md", "title: Later\ndate: 2024-02-12\npublishDate: 2099-01-01")
    post(
        root,
        f"{c}/publish-date.md",
        "title: Published later\ndate: 2024-01-01\npublishDate: 2024-02-13",
    )
    post(root, f"{c}/expired.md", "title: Expired\ndate: 2024-02-14\nexpiryDate: 2024-03-01")
    post(
        root,
        f"{c}/expires-later.md",
        "title: Expires later\ndate: 2024-02-15\nexpiryDate: 2099-01-01",
    )
    post(root, f"{c}/draft.md", "title: Draft\ndate: 2024-02-16\ndraft: true")
    post(root, f"{c}/future.md", "title: Future\ndate: 2099-02-17")
    post(root, f"{c}/authored.md", "title: Authored\ndate: 2024-02-18\nauthor: Ana Lima")
    post(
        root,
        f"{c}/authors.md",
        "title: Two authors\ndate: 2024-02-19\nauthors: [Ana Lima, Bo Chen]",
    )
    post(root, f"{c}/Mixed Case.md", "title: Mixed case\ndate: 2024-02-20\ncategories: [Deep Dive]")
    post(root, f"{c}/pubdate.md", "title: Pubdate key\npubdate: 2024-02-21T07:00:00+01:00")
    # Nested sections: a folder with an `_index` file is one (its chain is Hugo's :sections),
    # one without is not, even below one that is; a bundle's folder never is.
    write(root / c / "ai" / "_index.md", "---\ntitle: AI\n---\n")
    write(root / c / "ai" / "deep" / "_index.md", "---\ntitle: Deep\n---\n")
    write(root / c / "loose" / "inner" / "_index.md", "---\ntitle: Inner\n---\n")
    post(root, f"{c}/ai/in-section.md", "title: In a section\ndate: 2024-02-23")
    post(root, f"{c}/ai/a-bundle/index.md", "title: A bundle in a section\ndate: 2024-02-24")
    post(root, f"{c}/ai/deep/deeper.md", "title: Two sections down\ndate: 2024-02-25")
    post(root, f"{c}/ai/plain/not-one.md", "title: Below a section\ndate: 2024-02-26")
    post(root, f"{c}/loose/inner/skipped.md", "title: Past a plain folder\ndate: 2024-02-27")
    post(
        root,
        f"{c}/capital-keys.md",
        'Title = "Capital keys"\nDate = 2024-02-28\nCategories = ["Capital"]\nTags = ["Upper"]',
        fence="+++",
    )  # Hugo reads frontmatter keys in any case
    post(
        root,
        f"{c}/unpublish.md",
        "title: Unpublished date\ndate: 2024-02-22\nunpublishdate: 2024-03-01",
    )
