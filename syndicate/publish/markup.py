"""A message's text in the markup of chat networks: Slack mrkdwn, Discord markdown, Matrix
HTML. Text is escaped so a title cannot format or ping; link spans become real links to their
full target, whatever the text shows."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from syndicate.publish.base import Message, Span

# Discord markdown that works anywhere in a line; the backslash first, so it is not doubled.
_DISCORD_INLINE = re.compile(r"([\\*_~`|\[\]<])")
# Headings (`# `, `-# `), quotes and lists only start a line: escape them only there.
_DISCORD_LINE_START = re.compile(r"^([ \t]*)([#>\-])", re.MULTILINE)


def pieces(message: Message) -> Iterator[tuple[str, Span | None]]:
    """The text in order, cut at its spans: (stretch, the span it is, or None for plain).
    Spans that overlap an earlier one or fall outside the text are read as plain text."""
    text, at = message.text, 0
    for span in sorted(message.spans, key=lambda span: (span.start, span.end)):
        if span.start < at or span.end > len(text) or span.start >= span.end:
            continue
        if span.start > at:
            yield text[at : span.start], None
        yield text[span.start : span.end], span
        at = span.end
    if at < len(text):
        yield text[at:], None


def slack_mrkdwn(message: Message) -> str:
    """Slack's mrkdwn: `&`, `<` and `>` escaped, links as `<url|shown>` (or `<url>`)."""
    out: list[str] = []
    for stretch, span in pieces(message):
        if span is None or span.kind != "link":
            out.append(_slack_escape(stretch))
            continue
        # A `|` would end the URL early: percent-encode it, as it would be on the wire.
        url = _slack_escape(span.target.replace("|", "%7C"))
        out.append(f"<{url}>" if stretch == span.target else f"<{url}|{_slack_escape(stretch)}>")
    return "".join(out)


def discord_markdown(message: Message) -> str:
    """Discord's markdown: formatting characters escaped, links in `<...>` so Discord adds no
    card of its own beside the publisher's embed; shortened links masked `[shown](<url>)`."""
    out: list[str] = []
    for stretch, span in pieces(message):
        if span is None or span.kind != "link":
            out.append(_discord_escape(stretch))
        elif stretch == span.target:
            out.append(f"<{span.target}>")
        else:
            out.append(f"[{_discord_escape(stretch)}](<{span.target}>)")
    return _DISCORD_LINE_START.sub(r"\1\\\2", "".join(out))


def matrix_html(message: Message) -> str:
    """Matrix's `org.matrix.custom.html`: text escaped, links as anchors, newlines as <br>."""
    out: list[str] = []
    for stretch, span in pieces(message):
        shown = html.escape(stretch, quote=False)
        if span is not None and span.kind == "link":
            out.append(f'<a href="{html.escape(span.target, quote=True)}">{shown}</a>')
        else:
            out.append(shown)
    return "<br>".join("".join(out).split("\n"))


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _discord_escape(text: str) -> str:
    return _DISCORD_INLINE.sub(r"\\\1", text)
