"""Tags as an account's hashtags."""

from __future__ import annotations

import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from syndicate.accounts import AccountSettings
from syndicate.model import Tag
from syndicate.publish.hashtags import hashtags_for, to_hashtag
from syndicate.sections import parse


def _account(**settings: object) -> AccountSettings:
    return parse(AccountSettings, {"name": "a", "network": "x", **settings})


def _tags(*names: str) -> tuple[Tag, ...]:
    return tuple(Tag(name.lower().replace(" ", "-"), name) for name in names)


def test_words_are_joined_keeping_their_case() -> None:
    assert to_hashtag("OpenStack Summit") == "OpenStackSummit"
    assert to_hashtag("rdo") == "rdo"
    assert to_hashtag("ci/cd") == "cicd"
    assert to_hashtag("Node.js") == "Nodejs"
    assert to_hashtag("#Already") == "Already"
    assert to_hashtag("Café Olé") == "CaféOlé"
    assert to_hashtag("open_source") == "open_source"


def test_nothing_linkable_is_no_hashtag() -> None:
    assert to_hashtag("2018") is None  # digits only
    assert to_hashtag("++") is None
    assert to_hashtag("") is None
    assert to_hashtag("a" * 65) is None


def test_fixed_hashtags_come_first_then_tags_up_to_the_maximum() -> None:
    account = _account(hashtags=["RDOCommunity"], max_hashtags=2)
    tags = _tags("OpenStack Summit", "rdo", "Kubernetes")
    assert hashtags_for(tags, account) == ("RDOCommunity", "OpenStackSummit", "rdo")


def test_renames_and_drops_by_slug_or_name() -> None:
    account = _account(tag_hashtags={"openstack-summit": "OpenStack", "RDO": ""})
    assert hashtags_for(_tags("OpenStack Summit", "rdo", "TripleO"), account) == (
        "OpenStack",
        "TripleO",
    )


def test_no_duplicates_whatever_the_case() -> None:
    account = _account(hashtags=["RDO", "rdo"])
    assert hashtags_for(_tags("rdo", "RDO", "Rdo Project", "rdoproject"), account) == (
        "RDO",
        "RdoProject",
    )


def test_digit_tags_are_skipped_not_counted() -> None:
    account = _account(max_hashtags=1)
    assert hashtags_for(_tags("2018", "Queens"), account) == ("Queens",)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_a_hashtag_is_letters_marks_digits_and_underscores(text: str) -> None:
    hashtag = to_hashtag(text)
    if hashtag is not None:
        assert hashtag
        assert regex.search(r"\p{L}", hashtag)  # Python's own Unicode tables may be older
        assert not any(char.isspace() or char == "#" for char in hashtag)
