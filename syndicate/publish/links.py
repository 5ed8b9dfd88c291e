"""The link an account posts: the post's permalink with the account's query added (UTM
parameters or any other), for new posts and re-shares alike.

`link_query = "utm_source={network}&utm_medium=social&utm_campaign={account}"` adds those
three; a parameter the permalink already has is replaced, so a link is never tagged twice.
The fragment stays last, where browsers look for it.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from syndicate.accounts import AccountSettings


def tracked(permalink: str, account: AccountSettings) -> str:
    """`permalink` with `account.link_query` added; unchanged when the account adds none."""
    if not account.link_query.strip():
        return permalink
    filled = account.link_query.replace("{network}", quote(account.network, safe=""))
    filled = filled.replace("{account}", quote(account.name, safe=""))
    added = parse_qsl(filled.lstrip("?&"), keep_blank_values=True)
    parts = urlsplit(permalink)
    names = {name for name, _ in added}
    kept = [pair for pair in parse_qsl(parts.query, keep_blank_values=True) if pair[0] not in names]
    query = urlencode(kept + added, quote_via=quote, safe="/:@!$'()*+,;=-._~")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
