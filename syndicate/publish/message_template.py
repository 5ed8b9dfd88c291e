"""Post templates: `{title}`-style placeholders filled with pieces of text, some of them
spans (links, hashtags, mentions), and the whitespace an empty placeholder leaves tidied away
without moving a span off its text.

Placeholders:
    {title}           the post's title
    {summary}         its plain-text summary
    {url}             its permalink (on Bluesky shown shortened, linked in full)
    {hashtags}        `#OpenStackSummit #rdo`, the account's hashtags for the post
    {author}          the authors' names
    {author_handle}   the authors' handles on this network as it mentions people, or nothing
    {author_mention}  each author's handle if known, else their name
    {byline}          `by ` and {author_mention}, or nothing when the post names no author

`{author_handle}` is empty when no handle is known, so write `{byline}` or `{author_mention}`
where a missing handle must not leave `by` hanging.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from syndicate.accounts import EMPTY, Segment
from syndicate.publish.base import Span

_SPACES = " \t"


class Piece(msgspec.Struct, frozen=True):
    """Text a placeholder stands for; a `kind` makes it a span (see base.Span)."""

    text: str
    kind: str | None = None
    target: str = ""


def render(
    segments: tuple[Segment, ...], values: Mapping[str, tuple[Piece, ...]]
) -> tuple[str, tuple[Span, ...]]:
    """The filled template, tidied (see `tidy`), and its spans."""
    parts: list[str] = []
    spans: list[Span] = []
    position = 0
    for literal, field in segments:
        parts.append(literal)
        position += len(literal)
        pieces = values.get(field, ()) if field else ()
        if field and not any(piece.text for piece in pieces):
            parts.append(EMPTY)
            position += 1
        for piece in pieces:
            if piece.kind is not None:
                spans.append(Span(position, position + len(piece.text), piece.kind, piece.target))
            parts.append(piece.text)
            position += len(piece.text)
    return tidy("".join(parts), tuple(spans))


def tidy(text: str, spans: tuple[Span, ...]) -> tuple[str, tuple[Span, ...]]:
    """`text` without the whitespace empty placeholders leave: a line they leave blank, spaces
    at a line's ends or repeated, more than one blank line, blank lines first or last. Spans
    hold no whitespace, so they only move."""
    kept = _kept(text)
    offsets = [0] * (len(text) + 1)
    for index, keep in enumerate(kept):
        offsets[index + 1] = offsets[index] + keep
    tidied = "".join(char for char, keep in zip(text, kept, strict=True) if keep)
    moved = tuple(
        Span(offsets[span.start], offsets[span.end], span.kind, span.target) for span in spans
    )
    return tidied, moved


def _kept(text: str) -> list[bool]:
    emptied = _emptied_lines(text)
    line_ends, content_follows = _lookahead(text)
    kept: list[bool] = []
    last = "\n"  # the last character kept; a line start drops leading spaces
    newlines = 2  # newlines in a row just kept; the text's start drops leading newlines
    for index, char in enumerate(text):
        if emptied[index] or char == EMPTY:
            keep = False
        elif char in _SPACES:
            keep = last not in _SPACES + "\n" and not line_ends[index]
        elif char == "\n":
            keep = newlines < 2 and content_follows[index]
        else:
            keep = True
        kept.append(keep)
        if keep:
            last = char
            newlines = newlines + 1 if char == "\n" else 0
    return kept


def _emptied_lines(text: str) -> list[bool]:
    """Per index: whether it belongs to a line (with its newline) that only empty placeholders
    and spaces made, which goes entirely."""
    emptied: list[bool] = []
    for line in text.split("\n"):
        gone = EMPTY in line and not line.replace(EMPTY, "").strip(_SPACES)
        emptied.extend([gone] * (len(line) + 1))  # the line and the newline after it
    return emptied[: len(text)]


def _lookahead(text: str) -> tuple[list[bool], list[bool]]:
    """Per index: whether only spaces lie between it and the line's end, and whether anything
    but whitespace comes after it."""
    line_ends = [True] * (len(text) + 1)
    content_follows = [False] * (len(text) + 1)
    for index in range(len(text) - 1, -1, -1):
        char = text[index]
        blank = char in _SPACES or char == EMPTY
        line_ends[index] = char == "\n" or (blank and line_ends[index + 1])
        content_follows[index] = content_follows[index + 1] or not (blank or char.isspace())
    return line_ends, content_follows
