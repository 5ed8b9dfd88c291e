"""The text of one social post: a post, through an account's template, fitted to the network's
limit by the network's own counting (publish/counting.py).

Each network's descriptor gives its default template (an account's `template`, or a post's
`syndicate: text:`, replaces it): publish/network.py's SOCIAL_TEMPLATE or CHAT_TEMPLATE.

When the text is too long, in this order: the summary is shortened to a word boundary, with
`…`, down to a few words, else dropped; the title is shortened to its first few words; the
hashtags go from the last; the title is shortened to a word, else dropped. If the template's
own text is still too long, the post is just its URL (a post's own text is never cut: it is
refused instead). Nothing is ever cut inside a URL, hashtag or mention. On Bluesky the URL is
shown shortened and linked in full by its span.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from urllib.parse import urlsplit

import msgspec
import regex
from msgspec.structs import replace

from syndicate.accounts import AccountSettings, parse_template
from syndicate.errors import RejectedError
from syndicate.model import Author, Post
from syndicate.publish import counting, hashtags, message_template
from syndicate.publish.base import Message, Span, TextRules
from syndicate.publish.links import tracked
from syndicate.publish.message_template import Piece
from syndicate.publish.network import describe

MIN_SUMMARY_WORDS = 3  # fewer is a fragment, not a summary
MIN_TITLE_WORDS = 4  # the title keeps this many before any hashtag goes
SHORT_LINK_LENGTH = 35  # characters of a shortened link, `…` included
ELLIPSIS = "…"

# Characters no network wants in a post: controls (newlines are the template's business)
# and the noncharacters twitter-text refuses.
_UNWANTED = regex.compile(r"[\p{Cc}\p{Cs}\uFEFF\uFFFE\uFFFF]+")
_WHITESPACE = regex.compile(r"\s+")
_DANGLING = " ,;:-\u2013\u2014"  # left at a cut, before the ellipsis


class _Cut(msgspec.Struct, frozen=True):
    """How much of each shortenable part a candidate text keeps."""

    title_words: int
    summary_words: int
    hashtags: int


def compose(post: Post, summary: str, account: AccountSettings, rules: TextRules) -> Message:
    """The message `account` publishes for `post`, within `rules.limit` as the network counts.
    Raises RejectedError when even the bare URL does not fit."""
    own_text = post.overrides.text_for(account.name, rules.network)
    chosen = own_text or account.template or describe(rules.network).template
    try:
        segments = parse_template(chosen)
    except ValueError as exc:
        raise RejectedError(str(exc)) from exc
    title_words = _clean(post.title).split()
    summary_words = _clean(summary).split()
    tags = hashtags.hashtags_for(post.tags, account)
    link = tracked(post.permalink, account)
    fixed = _fixed_values(post, link, rules)

    def attempt(cut: _Cut) -> tuple[str, tuple[Span, ...]]:
        values = {
            **fixed,
            "title": _words(title_words, cut.title_words),
            "summary": _words(summary_words, cut.summary_words),
            "hashtags": _hashtag_pieces(tags[: cut.hashtags]),
        }
        return message_template.render(segments, values)

    def fits(cut: _Cut) -> bool:
        return counting.fits(attempt(cut)[0], rules)

    whole = _Cut(len(title_words), len(summary_words), len(tags))
    cut = _fit(whole, fits)
    if cut is not None:
        text, spans = attempt(cut)
    elif own_text:
        raise RejectedError(
            f"the post's own text is {counting.count(attempt(_Cut(0, 0, 0))[0], rules)} long as "
            f"{rules.network} counts, more than its limit of {rules.limit}"
        )
    else:
        text, spans = message_template.render(parse_template("{url}"), fixed)
        if not counting.fits(text, rules):
            raise RejectedError(
                f"even the bare link ({counting.count(text, rules)} long as {rules.network} "
                f"counts) is longer than the limit of {rules.limit}"
            )
    return Message(
        text=text,
        url=link,
        title=post.title,
        description=_clean(summary),
        image=post.image,
        image_alt=post.image_alt,
        language=post.language,
        spans=with_inline_links(text, spans),
        length=counting.count(text, rules),
        limit=rules.limit,
        shortened=cut != whole,
    )


def utf8_span(text: str, span: Span) -> tuple[int, int]:
    """The span's (start, end) as UTF-8 byte offsets into `text`, as Bluesky facets want."""
    start = len(text[: span.start].encode("utf-8"))
    return start, start + len(text[span.start : span.end].encode("utf-8"))


def shorten_link(url: str, length: int = SHORT_LINK_LENGTH) -> str:
    """`url` as a reader needs to see it: no scheme or `www.`, the host whole, the rest cut to
    fit `length` characters with `…`."""
    full_host = urlsplit(url).netloc
    host = full_host.removeprefix("www.")  # room for the path, which says more
    rest = url.split(full_host, 1)[1] if full_host else url
    shown = host + ("" if rest == "/" else rest)
    if len(shown) <= length:
        return shown
    room = max(length - len(host) - len(ELLIPSIS), 1)
    return host + rest[:room] + ELLIPSIS


def _fit(full: _Cut, fits: Callable[[_Cut], bool]) -> _Cut | None:
    """The longest cut that fits, shortening parts in the module docstring's order."""
    if fits(full):
        return full
    least = min(MIN_SUMMARY_WORDS, full.summary_words)
    summary = _largest(
        least, full.summary_words - 1, lambda n: fits(replace(full, summary_words=n))
    )
    if summary is not None:
        return replace(full, summary_words=summary)
    cut = replace(full, summary_words=0)
    floor = min(MIN_TITLE_WORDS, full.title_words)
    title = _longest_title(cut, floor, full.title_words, fits)
    if title is not None:
        return title
    shortest = replace(cut, title_words=floor)
    kept = _largest(0, full.hashtags - 1, lambda n: fits(replace(shortest, hashtags=n)))
    if kept is not None:
        # Fewer hashtags may leave room for more of the title.
        cut = replace(cut, hashtags=kept)
        return _longest_title(cut, floor, full.title_words, fits) or replace(cut, title_words=floor)
    return _longest_title(replace(cut, hashtags=0), 0, floor - 1, fits)


def _longest_title(cut: _Cut, low: int, high: int, fits: Callable[[_Cut], bool]) -> _Cut | None:
    title = _largest(low, high, lambda n: fits(replace(cut, title_words=n)))
    return None if title is None else replace(cut, title_words=title)


def _largest(low: int, high: int, fits: Callable[[int], bool]) -> int | None:
    """The largest n in [low, high] that fits, or None; lengths grow with n, so a binary
    search finds it (and a check of `low` first keeps a non-fitting range cheap)."""
    if low > high or not fits(low):
        return None
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _clean(text: str) -> str:
    """One line of NFC text: control characters gone, whitespace runs made single spaces, no
    combining mark left to attach to whatever precedes the placeholder."""
    text = _WHITESPACE.sub(" ", _UNWANTED.sub(" ", unicodedata.normalize("NFC", text)))
    return regex.sub(r"^\p{M}+", "", text.strip()).strip()


def _words(words: list[str], kept: int) -> tuple[Piece, ...]:
    if kept <= 0:
        return ()
    if kept >= len(words):
        return (Piece(" ".join(words)),)
    return (Piece(" ".join(words[:kept]).rstrip(_DANGLING) + ELLIPSIS),)


def _hashtag_pieces(tags: tuple[str, ...]) -> tuple[Piece, ...]:
    pieces = [Piece(f"#{tag}", "tag", tag) for tag in tags]
    return _joined(pieces, " ")


def _fixed_values(post: Post, link: str, rules: TextRules) -> dict[str, tuple[Piece, ...]]:
    """The placeholders that are never shortened: the link and the authors."""
    shown = shorten_link(link) if rules.shortens_links else link
    mentions = [_mention(author, rules.network) for author in post.authors]
    names = [Piece(_clean(author.name)) for author in post.authors if _clean(author.name)]
    known = [mention for mention in mentions if mention is not None]
    either = [
        mention or Piece(_clean(author.name))
        for author, mention in zip(post.authors, mentions, strict=True)
        if mention or _clean(author.name)
    ]
    mention_or_name = _joined(either, ", ")
    return {
        "url": (Piece(shown, "link", link),),
        "author": _joined(names, ", "),
        "author_handle": _joined(known, " "),
        "author_mention": mention_or_name,
        "byline": ((Piece("by "), *mention_or_name) if mention_or_name else ()),
    }


def _mention(author: Author, network: str) -> Piece | None:
    found = describe(network).handle(author)
    return None if found is None else Piece(f"@{found}", "mention", found)


def _joined(pieces: list[Piece], separator: str) -> tuple[Piece, ...]:
    joined: list[Piece] = []
    for piece in pieces:
        if joined:
            joined.append(Piece(separator))
        joined.append(piece)
    return tuple(joined)


def with_inline_links(text: str, spans: tuple[Span, ...]) -> tuple[Span, ...]:
    """The composed spans plus links for URLs written in the title or summary."""
    taken = [(span.start, span.end) for span in spans]
    inline = [
        Span(found.start, found.end, "link", text[found.start : found.end])
        for found in counting.find_urls(text)
        if not any(start < found.end and found.start < end for start, end in taken)
    ]
    return tuple(sorted((*spans, *inline), key=lambda span: span.start))
