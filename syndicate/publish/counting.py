"""How long a post is, as each network counts it (each network's TextRules, in its descriptor).

    x         twitter-text v3: NFC text, code points weighted 1 (U+0000-10FF and a few
              punctuation ranges) or 2 (everything else), an emoji sequence 2, a URL 23.
    mastodon  extended grapheme clusters, an http(s) URL 23 (the instance's
              `characters_reserved_per_url`), a remote mention `@user@host` as `@user`.
    bluesky   extended grapheme clusters of the visible text: links show shortened, the full
              URL lives in a facet. Also at most 3000 UTF-8 bytes.
    threads   Meta's Threads: grapheme clusters, an emoji as its UTF-8 bytes (Threads' own
              words: "Emojis are counted as the number of UTF-8 bytes"), URLs as written.
    slack, discord, matrix, webhook, telegram, linkedin
              code points, URLs as written.

Only http(s) URLs count as URLs here, found the way twitter-text finds them (the only URLs
the composer writes are the post's). X also links bare domains such as `example.com`, whose
TLD it looks up in a list; without that list, a word that may be a bare domain is counted as
if it were one *and* as if it were not, whichever is longer, so a post never overflows.

Emoji: any sequence of pictographs joined by U+200D counts as one emoji. X (twemoji) knows
only the sequences Unicode recommends and counts the parts of any other one separately, so a
made-up sequence (never seen in practice) counts less here than on X.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

import msgspec
import regex

from syndicate.publish.base import TextRules

# twitter-text v3 (config/v3.json): weights per code point, in hundredths.
_X_SCALE = 100
_X_DEFAULT_WEIGHT = 200
_X_LIGHT_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))

# twitter-text's valid_url, for http(s): not glued to a word, @, $ or #; trailing punctuation
# is not part of the URL; a closing parenthesis is, only when it closes one in the URL.
_URL = regex.compile(
    r"(?<![\p{L}\p{N}@\uFF20$#\uFF03\u202A-\u202E])https?://"
    r"(?:[^\s()<>\"'`]|\([^\s()<>\"'`]*\))*"
    r"(?:[\p{L}\p{N}=_#/+\-]|\([^\s()<>\"'`]*\))",
    regex.IGNORECASE,
)

# A word X might link as a bare domain (`ASP.NET`, `example.com/x`): X decides by its TLD list.
_MAYBE_BARE_DOMAIN = regex.compile(
    r"(?<![\p{L}\p{M}\p{N}@\uFF20$#\uFF03./\-_])"
    r"(?P<domain>(?:[\p{L}\p{M}\p{N}_\-]+\.)+\p{L}[\p{L}\p{M}\p{N}\-]+)"
    r"(?P<path>/[^\s]*)?(?![\p{L}\p{N}@_])"
)
_SHORTEST_BARE_DOMAIN = 4  # "a.bc"
# A domain X links whole if at all; in any other, a link may start after its first character.
_WHOLE_DOMAIN = regex.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z]+")

# What twemoji (and so X) takes for one emoji: keycaps, flags, pictographs with their skin
# tone or presentation selector, tag sequences and ZWJ sequences. © and ® are emoji only
# with U+FE0F: bare, they are Latin-1 text.
_EMOJI_ELEMENT = (
    r"(?:\p{Regional_Indicator}{2}"
    r"|[\u00A9\u00AE]\uFE0F"
    r"|[\p{Extended_Pictographic}--[\u00A9\u00AE]](?:\p{Emoji_Modifier}|\uFE0F)?"
    r"(?:[\U000E0020-\U000E007E]+\U000E007F)?)"
)
_EMOJI = regex.compile(
    rf"[#*0-9]\uFE0F?\u20E3|{_EMOJI_ELEMENT}(?:\u200D{_EMOJI_ELEMENT})*",
    regex.VERSION1,
)

# Mastodon counts a mention by its local part only.
_MASTODON_MENTION = regex.compile(
    r"(?<![\p{L}\p{N}_/@])(@[A-Za-z0-9_]+(?:[.\-]+[A-Za-z0-9_]+)*)@[\p{L}\p{N}.\-]+[\p{L}\p{N}]"
)
_GRAPHEME = regex.compile(r"\X")


class Found(msgspec.Struct, frozen=True):
    """A stretch of text, code-point offsets, end exclusive."""

    start: int
    end: int


def count(text: str, rules: TextRules) -> int:
    """The length of `text` as `rules.network` counts it against `rules.limit`."""
    if rules.counting == "x":
        return _x_weighted(text, rules.url_length)
    countable = _countable(text, rules)
    if rules.counting == "graphemes":
        return graphemes(countable)
    if rules.counting == "chars":
        return len(countable)
    if rules.counting == "emoji-bytes":
        return sum(
            len(cluster[0].encode("utf-8")) if _EMOJI.match(cluster[0]) else 1
            for cluster in _GRAPHEME.finditer(countable)
        )
    raise ValueError(f"unknown counting {rules.counting!r}")


def fits(text: str, rules: TextRules) -> bool:
    """Within the limit by the network's counting, and within its byte limit if it has one."""
    byte_limit = rules.byte_limit
    if byte_limit is not None and len(text.encode("utf-8")) > byte_limit:
        return False
    return count(text, rules) <= rules.limit


def graphemes(text: str) -> int:
    """Extended grapheme clusters (UAX #29), what people see as characters."""
    return sum(1 for _ in _GRAPHEME.finditer(text))


def find_urls(text: str) -> Iterator[Found]:
    """The http(s) URLs in `text`, as twitter-text and Mastodon delimit them."""
    for match in _URL.finditer(text):
        yield Found(match.start(), match.end())


def _countable(text: str, rules: TextRules) -> str:
    """`text` with every URL written as `url_length` placeholder characters, as Mastodon does
    before it counts."""
    if rules.short_mentions:
        text = _MASTODON_MENTION.sub(r"\1", text)
    if rules.url_length is None:
        return text
    return _URL.sub("x" * rules.url_length, text)


def _x_weighted(text: str, url_length: int | None) -> int:
    text = unicodedata.normalize("NFC", text)
    url_weight = (url_length if url_length is not None else 23) * _X_SCALE
    total = 0
    position = 0
    for url in find_urls(text):
        total += _x_plain(text[position : url.start], url_weight) + url_weight
        position = url.end
    total += _x_plain(text[position:], url_weight)
    return total // _X_SCALE


def _x_plain(text: str, url_weight: int) -> int:
    """Weight of text without http(s) URLs, with each word X might link as a bare domain
    counted at the larger of its two possible weights."""
    total = 0
    position = 0
    for match in _MAYBE_BARE_DOMAIN.finditer(text):
        total += _x_chars(text[position : match.start()]) + _x_bare_domain(match, url_weight)
        position = match.end()
    return total + _x_chars(text[position:])


def _x_bare_domain(match: regex.Match[str], url_weight: int) -> int:
    """The most X can count for a word that may be a bare domain: the link (and the part of
    its path X may leave out of it), or the word as text."""
    as_text = _x_chars(match[0])
    path = _x_chars(match["path"] or "")
    if not _WHOLE_DOMAIN.fullmatch(match["domain"]):
        return as_text + url_weight - _SHORTEST_BARE_DOMAIN * _X_SCALE
    return max(as_text, url_weight + path)


def _x_chars(text: str) -> int:
    total = 0
    position = 0
    for emoji in _EMOJI.finditer(text):
        total += _x_code_points(text[position : emoji.start()]) + _X_DEFAULT_WEIGHT
        position = emoji.end()
    return total + _x_code_points(text[position:])


def _x_code_points(text: str) -> int:
    return sum(_x_weight(ord(char)) for char in text)


def _x_weight(code_point: int) -> int:
    for start, end in _X_LIGHT_RANGES:
        if start <= code_point <= end:
            return 100
    return _X_DEFAULT_WEIGHT
