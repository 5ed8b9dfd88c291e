"""What counts as an update."""

from __future__ import annotations

from syndicate.store.significance import changed_words, is_significant

LONG = " ".join(f"word{n}" for n in range(500))


def test_whitespace_and_case_are_not_changes() -> None:
    assert changed_words("Hello   world\n", "hello world") == 0


def test_a_typo_fix_is_not_significant_however_short_the_post() -> None:
    assert not is_significant("The quick brown fox", "The quikc brown fox", 0.02)
    assert not is_significant(LONG, LONG.replace("word7 ", "wrod7 "), 0.02)


def test_three_changed_words_in_a_short_post_are() -> None:
    assert is_significant("one two three four five six", "one two tres quatro cinco six", 0.02)


def test_a_long_post_needs_its_share_but_never_more_than_twenty_words() -> None:
    five = LONG + " " + "added words here and there"
    assert not is_significant(LONG, five, 0.02)
    twenty = LONG + " " + " ".join(f"new{n}" for n in range(20))
    assert is_significant(LONG, twenty, 0.5)
