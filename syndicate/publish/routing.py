"""Which posts an account takes: a pure function of the post and the account's settings."""

from __future__ import annotations

from syndicate.accounts import AccountSettings
from syndicate.content.tags import slugify
from syndicate.model import Post


def route(post: Post, account: AccountSettings) -> str | None:
    """None when the account takes the post, else why not (shown in the outbox)."""
    if post.overrides.skip:
        return "syndicate: skip in the post's frontmatter"
    tags = {t.slug for t in post.tags}
    authors = {_key(a.key) for a in post.authors} | {_key(a.name) for a in post.authors}
    if account.include_tags and not tags & _slugs(account.include_tags):
        return f"no tag among {', '.join(account.include_tags)}"
    if account.exclude_tags and (hit := tags & _slugs(account.exclude_tags)):
        return f"tagged {', '.join(sorted(hit))}"
    if account.include_authors and not authors & _keys(account.include_authors):
        return f"no author among {', '.join(account.include_authors)}"
    if account.exclude_authors and authors & _keys(account.exclude_authors):
        return "by an excluded author"
    return None


def _slugs(names: tuple[str, ...]) -> set[str]:
    """Tags as the config writes them (`OpenStack Summit`, `rdo`) -> slugs, as posts carry."""
    return {slugify(name) for name in names}


def _keys(names: tuple[str, ...]) -> set[str]:
    return {_key(name) for name in names}


def _key(name: str) -> str:
    return name.casefold().strip()
