"""syndicate: a blog's Markdown posts → feeds (Atom, RSS, JSON Feed) and social posts.

What a plugin or a script may import is named here (tests/test_public_api.py keeps the list
exact); everything else is private to the package and may change without notice.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the names below load on first use: `import syndicate.model` stays light
    from syndicate.config import Settings, load_settings
    from syndicate.errors import (
        AddressRefusedError,
        AmbiguousError,
        AuthError,
        ConfigError,
        ConflictError,
        ContentError,
        DraftExistsError,
        DuplicateError,
        EncodingError,
        FrontmatterError,
        NotAFeedError,
        NotFoundError,
        OutputError,
        PostDataError,
        PublishError,
        RateLimitedError,
        RefusedError,
        RejectedError,
        StaleOwnerError,
        StoreError,
        SyndicateError,
        TransientError,
        UsageError,
    )
    from syndicate.feedkinds import FeedKind
    from syndicate.locations import find_config
    from syndicate.model import Author, FeedFormat, Post, Tag, Term
    from syndicate.publish.base import Context, Message, Publisher, Receipt, Span, TextRules

__version__ = "0.1.0"

__all__ = [
    "AddressRefusedError",
    "AmbiguousError",
    "AuthError",
    "Author",
    "ConfigError",
    "ConflictError",
    "ContentError",
    "Context",
    "DraftExistsError",
    "DuplicateError",
    "EncodingError",
    "FeedFormat",
    "FeedKind",
    "FrontmatterError",
    "Message",
    "NotAFeedError",
    "NotFoundError",
    "OutputError",
    "Post",
    "PostDataError",
    "PublishError",
    "Publisher",
    "RateLimitedError",
    "Receipt",
    "RefusedError",
    "RejectedError",
    "Settings",
    "Span",
    "StaleOwnerError",
    "StoreError",
    "SyndicateError",
    "Tag",
    "Term",
    "TextRules",
    "TransientError",
    "UsageError",
    "__version__",
    "find_config",
    "load_settings",
]


# Where each public name lives; the layers below the top import none of this module's names
# but `__version__`, so loading them here eagerly would pull every layer into each one.
_HOMES = {
    "Settings": "syndicate.config",
    "find_config": "syndicate.locations",
    "load_settings": "syndicate.config",
    "Author": "syndicate.model",
    "FeedFormat": "syndicate.model",
    "FeedKind": "syndicate.feedkinds",
    "Post": "syndicate.model",
    "Tag": "syndicate.model",
    "Term": "syndicate.model",
    "Context": "syndicate.publish.base",
    "Message": "syndicate.publish.base",
    "Publisher": "syndicate.publish.base",
    "Receipt": "syndicate.publish.base",
    "Span": "syndicate.publish.base",
    "TextRules": "syndicate.publish.base",
}


def __getattr__(name: str) -> object:
    if name in __all__ and name != "__version__":
        return getattr(import_module(_HOMES.get(name, "syndicate.errors")), name)
    raise AttributeError(f"module 'syndicate' has no attribute {name!r}")
