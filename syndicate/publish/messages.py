"""A delivery's post -> the Message its account would send, with the account's text rules."""

from __future__ import annotations

from msgspec.structs import replace

from syndicate.accounts import AccountSettings
from syndicate.errors import RejectedError
from syndicate.model import Post, PostOverrides
from syndicate.publish.base import Message, TextRules
from syndicate.publish.compose import compose
from syndicate.publish.evergreen import reshare_account
from syndicate.publish.thread_parts import compose_thread
from syndicate.store.cache import RenderCache


def summary_of(post_pk: int, post: Post, cache: RenderCache | None) -> str:
    """The rendered plain-text summary; the frontmatter's when the cache has none."""
    if cache is not None:
        cached = cache.get_many([post_pk]).get(post_pk)
        if cached is not None and cached.rendered.summary_text:
            return cached.rendered.summary_text
    return post.summary or ""


def message_for(
    post_pk: int,
    post: Post,
    account: AccountSettings,
    rules: TextRules,
    cache: RenderCache | None,
) -> Message:
    return compose(post, summary_of(post_pk, post, cache), account, rules)


def messages_for(
    post_pk: int,
    post: Post,
    account: AccountSettings,
    rules: TextRules,
    cache: RenderCache | None,
    *,
    reshare: bool = False,
) -> tuple[Message, ...]:
    """The message, or the thread's parts in order (an account with `thread = true`); for a
    re-share, the account's re-share text (see evergreen.py). RejectedError when the account
    requires alt text and the post's image has none."""
    if account.images and account.require_alt_text and post.image and not post.image_alt:
        raise RejectedError(
            f"the post's image has no alt text, and account {account.name!r} requires it "
            "(require_alt_text): add image_alt: to the post"
        )
    if reshare:
        account = reshare_account(account)
        post = replace(post, overrides=PostOverrides(skip=post.overrides.skip))
    return compose_thread(post, summary_of(post_pk, post, cache), account, rules)
