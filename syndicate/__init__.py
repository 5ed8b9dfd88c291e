"""syndicate: a blog's Markdown posts → feeds (Atom, RSS, JSON Feed) and social posts.

What a plugin or a script may import is named here (tests/test_public_api.py keeps the list
exact); everything else is private to the package and may change without notice.
"""

from syndicate.config import Settings, find_config, load_settings
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
    StoreError,
    SyndicateError,
    TransientError,
    UsageError,
)
from syndicate.model import Author, FeedFormat, FeedKind, Post, Tag, Term
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
