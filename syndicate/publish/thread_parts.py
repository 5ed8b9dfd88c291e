"""A post as a thread, for accounts with `thread = true`: when the template's whole text would
be shortened, the first part is the template without the summary (title, link, hashtags) and
the summary follows, whole, in replies numbered `(2/4)`, each fitted by the network's own
counting. Parts end at a sentence where one ends in the second half of a part, else at a word.
With more summary than `thread_parts` allows, the last part ends with `…`.

A post's own text (`syndicate: text:`) is never made a thread, nor is a template without
{summary}: what it leaves out stays out.
"""

from __future__ import annotations

from collections.abc import Callable

from msgspec.structs import replace

from syndicate.accounts import AccountSettings
from syndicate.model import Post
from syndicate.publish import counting
from syndicate.publish.base import Message, TextRules
from syndicate.publish.compose import ELLIPSIS, compose, with_inline_links
from syndicate.publish.network import describe

MARKER = " ({part}/{parts})"
_WIDEST_MARKER = MARKER.format(part=25, parts=25)  # accounts allow at most 25 parts
_SENTENCE_END = (".", "!", "?", "…", ".)", '."', ".”")


def compose_thread(
    post: Post, summary: str, account: AccountSettings, rules: TextRules
) -> tuple[Message, ...]:
    """The messages `account` posts for `post`: one, or a thread when it asks for threads and
    one post would be shortened."""
    whole = compose(post, summary, account, rules)
    template = account.template or describe(rules.network).template
    own_text = post.overrides.text_for(account.name, rules.network)
    if not (account.thread and whole.shortened) or own_text or "{summary}" not in template:
        return (whole,)
    chunks = _chunks(whole.description.split(), rules, account.thread_parts - 1)
    if not chunks:
        return (whole,)
    head = compose(post, "", account, rules)
    parts = 1 + len(chunks)
    replies = [_reply(head, chunk, number, parts, rules) for number, chunk in enumerate(chunks, 2)]
    return (replace(head, part=1, parts=parts), *replies)


def _reply(head: Message, chunk: str, number: int, parts: int, rules: TextRules) -> Message:
    text = chunk + MARKER.format(part=number, parts=parts)
    return replace(
        head,
        text=text,
        spans=with_inline_links(text, ()),
        length=counting.count(text, rules),
        image=None,  # the image goes with the first part
        image_alt=None,
        shortened=False,
        part=number,
        parts=parts,
    )


def _chunks(words: list[str], rules: TextRules, most: int) -> list[str]:
    """The summary's words in parts that fit with their marker; at most `most` of them."""

    def fits(text: str) -> bool:
        return counting.fits(text + _WIDEST_MARKER, rules)

    chunks: list[list[str]] = []
    pending = list(words)
    while pending and len(chunks) <= most:
        taken = _take(pending, fits)
        chunks.append(pending[:taken])
        pending = pending[taken:]
    texts = [" ".join(chunk) for chunk in chunks[:most]]
    if len(chunks) > most:
        texts[-1] = _ended(chunks[most - 1], fits)
    return texts


def _take(words: list[str], fits: Callable[[str], bool]) -> int:
    """How many of `words` the next part takes; a word too long alone is cut to fit."""
    count = 0
    while count < len(words) and fits(" ".join(words[: count + 1])):
        count += 1
    if count == 0:
        head = _cut_word(words[0], fits)
        words[0:1] = [head, words[0][len(head) :]]
        return 1
    if count == len(words):
        return count
    ends = [i + 1 for i in range(count // 2, count) if words[i].endswith(_SENTENCE_END)]
    return ends[-1] if ends else count


def _ended(words: list[str], fits: Callable[[str], bool]) -> str:
    """The last allowed part, ended with `…` for the summary that does not fit."""
    kept = list(words)
    while kept and not fits(" ".join(kept) + ELLIPSIS):
        kept.pop()
    return " ".join(kept) + ELLIPSIS if kept else ELLIPSIS


def _cut_word(word: str, fits: Callable[[str], bool]) -> str:
    low, high = 1, len(word)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(word[:middle]):
            low = middle
        else:
            high = middle - 1
    return word[:low]
