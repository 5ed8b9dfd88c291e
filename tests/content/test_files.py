"""Scanning for post sources and decoding their bytes into trustworthy text."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syndicate.content.files import (
    _POST_NAMES,
    DROPPING,
    body_format,
    decode,
    is_dropping,
    scan,
)
from syndicate.errors import EncodingError

FRENCH = (
    "---\ntitle: Café\n---\n\nC'est l'été à la plage, où les enfants jouent. Très agréable, "
    "n'est-ce pas ? Déjà vu, naïveté, façade, crêpe.\n"
) * 5


def _touch(path: Path, data: bytes = b"---\ntitle: x\n---\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# --- scanning ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [".#post.md", "post.md~", ".post.md.swp", "#post.md#", "4913"])
def test_editor_droppings_are_droppings(name: str) -> None:
    assert is_dropping(name)


@given(st.text(alphabet=".#~swapxtmbkorije4913\n-md", max_size=8) | st.text(max_size=12))
def test_droppings_are_what_the_pattern_says(name: str) -> None:
    assert is_dropping(name) == bool(DROPPING.search(name))


@pytest.mark.parametrize("name", ["2024-01-01-post.html.md", "post.markdown", "index.md"])
def test_ordinary_names_are_not_droppings(name: str) -> None:
    assert not is_dropping(name)


def test_scan_ignores_editor_droppings_silently(tmp_path: Path) -> None:
    posts = tmp_path / "source" / "blog"
    _touch(posts / "2024-01-01-real.html.md")
    for dropping in (".#x.md", "x.md~", ".x.md.swp", "#x.md#", ".DS_Store"):
        _touch(posts / dropping)
    stamps = scan(tmp_path, "source/blog", recursive=False)
    assert [s.rel for s in stamps] == ["source/blog/2024-01-01-real.html.md"]


def test_scan_keeps_only_post_sources(tmp_path: Path) -> None:
    for name in ("a.md", "b.markdown", "c.html.md.erb", "d.html", "e.txt", "f.png", "g.yml"):
        _touch(tmp_path / "posts" / name)
    rels = [s.rel for s in scan(tmp_path, "posts", recursive=False)]
    assert rels == ["posts/a.md", "posts/b.markdown", "posts/c.html.md.erb", "posts/d.html"]


def test_scan_is_sorted_by_path(tmp_path: Path) -> None:
    for name in ("c.md", "a.md", "b.md"):
        _touch(tmp_path / "p" / name)
    assert [s.rel for s in scan(tmp_path, "p", recursive=False)] == ["p/a.md", "p/b.md", "p/c.md"]


def test_scan_descends_only_when_recursive(tmp_path: Path) -> None:
    _touch(tmp_path / "p" / "top.md")
    _touch(tmp_path / "p" / "sub" / "deep.md")
    assert [s.rel for s in scan(tmp_path, "p", recursive=False)] == ["p/top.md"]
    assert [s.rel for s in scan(tmp_path, "p", recursive=True)] == ["p/sub/deep.md", "p/top.md"]


def test_scan_skips_named_directories(tmp_path: Path) -> None:
    _touch(tmp_path / "_posts" / "a.md")
    _touch(tmp_path / "_posts" / "_drafts" / "b.md")
    rels = [s.rel for s in scan(tmp_path, "_posts", recursive=True, skip_dirs=("_drafts",))]
    assert rels == ["_posts/a.md"]


def test_scan_skips_hidden_directories(tmp_path: Path) -> None:
    _touch(tmp_path / "p" / ".git" / "x.md")
    assert scan(tmp_path, "p", recursive=True) == []


def test_scan_of_a_missing_directory_is_empty(tmp_path: Path) -> None:
    assert scan(tmp_path, "nowhere", recursive=True) == []


def test_scan_records_size_and_mtime(tmp_path: Path) -> None:
    path = _touch(tmp_path / "p" / "a.md", b"12345")
    (stamp,) = scan(tmp_path, "p", recursive=False)
    assert stamp.size == 5
    assert stamp.mtime_ns == path.stat().st_mtime_ns


def test_scan_of_the_root_itself_has_no_prefix(tmp_path: Path) -> None:
    _touch(tmp_path / "a.md")
    assert [s.rel for s in scan(tmp_path, "", recursive=False)] == ["a.md"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("x.html.md", "markdown"),
        ("x.MD", "markdown"),
        ("x.mkdn", "markdown"),
        ("x.html.markdown.erb", "markdown"),
        ("x.html", "html"),
        ("x.htm.erb", "html"),
        ("x.txt", None),
        ("x.erb", None),
    ],
)
def test_body_format_from_the_file_name(name: str, expected: str | None) -> None:
    assert body_format(name) == expected


@given(st.text(alphabet=".mdarkownhtlerbMDHTE\nİ", max_size=16) | st.text(max_size=12))
def test_the_scan_takes_the_names_body_format_takes(name: str) -> None:
    """The scan tests a name with one `endswith` of the lowered name instead of calling
    body_format (3 ms of a 10,000-post scan): both must agree on every name."""
    assert name.lower().endswith(_POST_NAMES) == (body_format(name) is not None)


# --- decoding ------------------------------------------------------------------------------


def test_plain_utf8_decodes_without_warnings() -> None:
    assert decode("p.md", "Crème brûlée ✓".encode()) == ("Crème brûlée ✓", ())


def test_utf8_bom_is_dropped() -> None:
    text, warnings = decode("p.md", codecs.BOM_UTF8 + "---\ntitle: é\n---\n".encode())
    assert text == "---\ntitle: é\n---\n"
    assert warnings == ()


def test_crlf_and_lone_cr_become_newlines() -> None:
    assert decode("p.md", b"a\r\nb\rc\n")[0] == "a\nb\nc\n"
    assert decode("p.md", "é\r\nb\rc".encode())[0] == "é\nb\nc"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom_is_decoded_with_a_warning(codec: str) -> None:
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}.get(codec, b"")
    text, warnings = decode("p.md", bom + "title: Ünïcode\r\n".encode(codec))
    assert text == "title: Ünïcode\n"
    assert any("UTF-16" in w for w in warnings)


def test_stray_windows_1252_bytes_in_utf8_are_read_as_windows_1252() -> None:
    data = "Café — déjà vu. ".encode() * 20 + b"It\x92s a \x93quote\x94."
    text, warnings = decode("p.md", data)
    assert text.endswith("It\u2019s a \u201cquote\u201d.")
    assert text.startswith("Café — déjà vu.")
    assert any("Windows-1252" in w and "3 byte" in w for w in warnings)


def test_a_windows_1252_file_is_decoded_with_a_warning_naming_it() -> None:
    source = "Smart \u201cquotes\u201d and an em dash — it\u2019s fine. Café crème brûlée. " * 5
    text, warnings = decode("p.md", source.encode("cp1252"))
    assert text == source
    assert len(warnings) == 1
    assert "cp1252" in warnings[0]


def test_a_latin1_french_file_is_decoded_as_western_european() -> None:
    text, warnings = decode("p.md", FRENCH.encode("latin-1"))
    assert text == FRENCH
    assert any("cp1252" in w for w in warnings)


def test_a_short_latin1_file_keeps_its_accents() -> None:
    source = "---\ntitle: Café\n---\n\nJ'ai mangé une crêpe.\n"
    assert decode("p.md", source.encode("latin-1"))[0] == source


def test_a_latin1_german_file_is_named_windows_1252() -> None:
    source = "Die Straße ist schön und die Bäume blühen. Über den Fluß führt eine Brücke. " * 3
    text, warnings = decode("p.md", source.encode("latin-1"))
    assert text == source
    assert any("cp1252" in w for w in warnings)


def test_a_central_european_file_is_not_read_as_western() -> None:
    source = "Příliš žluťoučký kůň úpěl ďábelské ódy. Čeština je krásný jazyk. " * 3
    text, warnings = decode("p.md", source.encode("cp1250"))
    assert text == source
    assert any("cp1250" in w for w in warnings)


def test_a_cyrillic_windows_1251_file_is_decoded() -> None:
    source = "Привет, мир! Это текст на русском языке, в кодировке Windows-1251. " * 4
    text, warnings = decode("p.md", source.encode("cp1251"))
    assert text == source
    assert any("cp1251" in w for w in warnings)


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(128, 256)) * 4,
        bytes([0x81, 0x8D, 0x8F, 0x90, 0x9D]) * 30,
        ("日本語のテキストです。これはテストです。" * 4).encode("shift_jis"),
    ],
    ids=["high-bytes", "undefined-in-1252", "shift-jis"],
)
def test_unidentifiable_bytes_raise_an_encoding_error(data: bytes) -> None:
    with pytest.raises(EncodingError) as caught:
        decode("source/blog/p.md", data)
    assert caught.value.path == "source/blog/p.md"
    assert "not UTF-8" in caught.value.reason
    assert "convert it to UTF-8" in caught.value.reason


@pytest.mark.parametrize(
    ("mojibake", "fixed"),
    [
        ("don\u00e2\u20ac\u2122t stop", "don\u2019t stop"),
        ("Caf\u00c3\u00a9 au lait", "Café au lait"),
    ],
)
def test_mojibake_is_repaired_with_a_warning(mojibake: str, fixed: str) -> None:
    text, warnings = decode("p.md", mojibake.encode())
    assert text == fixed
    assert any("mojibake" in w for w in warnings)


def test_genuine_accents_and_symbols_are_not_repaired() -> None:
    source = "São Paulo, € 5, naïve, Ærø, ™, Â bientôt"
    assert decode("p.md", source.encode()) == (source, ())


def test_characters_xml_forbids_are_removed_from_ascii() -> None:
    assert decode("p.md", b"a\x00b\x07c\x1bd\x7fe\x0cf\tg") == ("abcdef\tg", ())


def test_characters_xml_forbids_are_removed_from_utf8() -> None:
    text, _ = decode("p.md", "é\x00x\x0b\ufffe\uffffz".encode())
    assert text == "éxz"
