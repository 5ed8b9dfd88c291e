"""Minting ids and recognising moved posts."""

from __future__ import annotations

from datetime import date

import pytest

from syndicate.store.identity import Fingerprint, best_match, check_template, mint, title_key

DAY = date(2014, 5, 22)
URL = "https://community.redhat.com/blog/2014/05/ovirt-news.html"


def test_default_template_makes_a_tag_uri() -> None:
    assert mint("tag:{host},{date}:/{path}", url=URL, day=DAY) == (
        "tag:community.redhat.com,2014-05-22:/blog/2014/05/ovirt-news.html"
    )


def test_old_middleman_ids_are_reproduced() -> None:
    assert mint("http://{host}/{path}", url=URL, day=DAY) == (
        "http://community.redhat.com/blog/2014/05/ovirt-news.html"
    )


def test_a_declared_uri_is_kept_and_a_declared_word_stands_for_the_path() -> None:
    assert (
        mint("tag:{host},{date}:/{path}", url=URL, day=DAY, declared="urn:uuid:1") == "urn:uuid:1"
    )
    assert mint("tag:{host},{date}:/{path}", url=URL, day=DAY, declared="post 42") == (
        "tag:community.redhat.com,2014-05-22:/post%2042"
    )


def test_a_taken_id_is_never_given_twice() -> None:
    first = mint("http://{host}/{path}", url=URL, day=DAY)
    second = mint("http://{host}/{path}", url=URL, day=DAY, taken={first}, salt="other.md")
    assert second != first and second.startswith(first + "#")


@pytest.mark.parametrize("template", ["{nope}", "plain words", "{host}"])
def test_bad_templates_are_refused(template: str) -> None:
    with pytest.raises(ValueError, match="id_template"):
        check_template(template)


def test_matching_prefers_declared_id_then_content_then_title_and_day() -> None:
    new = Fingerprint("urn:x", "c1", title_key("A  Title"), DAY)
    by_title = (Fingerprint(None, "zz", "a title", DAY), 1)
    by_content = (Fingerprint(None, "c1", "other", date(2020, 1, 1)), 2)
    by_declared = (Fingerprint("urn:x", "yy", "other", DAY), 3)
    assert best_match(new, [by_title, by_content, by_declared]) == 3
    assert best_match(new, [by_title, by_content]) == 2
    assert best_match(new, [by_title]) == 1
    assert best_match(Fingerprint(None, "c9", "other", DAY), [by_title, by_content]) is None
