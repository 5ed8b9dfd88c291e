"""Finding source files and turning their bytes into trustworthy text."""

from __future__ import annotations

import codecs
import logging
import os
import re
from operator import itemgetter
from pathlib import Path
from stat import S_ISDIR, S_ISREG
from typing import NamedTuple

from syndicate.content.text import strip_xml_unsafe
from syndicate.errors import EncodingError

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd", ".mkdn")
HTML_SUFFIXES = (".html", ".htm")

# Editor and tool droppings: swap and backup files, Emacs locks and autosaves, macOS metadata.
# is_dropping says the same with string methods, five times quicker (a scan asks per file).
_log = logging.getLogger(__name__)
DROPPING = re.compile(r"^(\.|#)|(~|\.sw[a-p]|\.swx|\.tmp|\.bak|\.orig|\.rej|#)$|^4913$")
_DROPPING_ENDS = ("~", ".swx", ".tmp", ".bak", ".orig", ".rej", "#")


class SourceStamp(NamedTuple):
    """What a scan learns about a file without reading it. (A tuple: scans make 10,000s.)"""

    rel: str  # path relative to the content root, forward slashes
    mtime_ns: int
    size: int


def is_dropping(name: str) -> bool:
    """True for files an editor or tool leaves behind, which are never posts."""
    if name.startswith((".", "#")):
        return True
    ends = (name, name[:-1]) if name.endswith("\n") else (name,)  # as a regex's `$` does
    return any(
        end.endswith(_DROPPING_ENDS)
        or (end[-4:-1] == ".sw" and "a" <= end[-1:] <= "p")
        or end == "4913"
        for end in ends
    )


def body_format(name: str) -> str | None:
    """'markdown' or 'html' from a file name, or None when it is not a post source."""
    lower = name.lower()
    if lower.endswith(".erb"):
        lower = lower[: -len(".erb")]
    if lower.endswith(MARKDOWN_SUFFIXES):
        return "markdown"
    if lower.endswith(HTML_SUFFIXES):
        return "html"
    return None


def scan(
    root: Path, subdir: str, *, recursive: bool, skip_dirs: tuple[str, ...] = ()
) -> list[SourceStamp]:
    """Every post source under root/subdir, sorted by path; droppings ignored silently."""
    base = root / subdir if subdir else root
    stamps: list[SourceStamp] = []
    if not base.is_dir():
        return stamps
    prefix = f"{subdir.strip('/')}/" if subdir else ""
    _walk(base, prefix, stamps, recursive=recursive, skip_dirs=skip_dirs, seen=set())
    stamps.sort(key=itemgetter(0))  # by path (no two stamps share one), as strings: quicker
    return stamps


def stamp(root: Path, rel: str) -> SourceStamp | None:
    """The stamp of one post source, or None when it is missing or not a post source."""
    name = rel.rsplit("/", 1)[-1]
    if is_dropping(name) or not body_format(name):
        return None
    try:
        stat = (root / rel).stat()
    except OSError:
        return None
    return SourceStamp(rel, stat.st_mtime_ns, stat.st_size) if S_ISREG(stat.st_mode) else None


# What `body_format` accepts, as one `endswith` of the lowered name (a scan asks per file).
_POST_NAMES = tuple(
    suffix + erb for erb in ("", ".erb") for suffix in MARKDOWN_SUFFIXES + HTML_SUFFIXES
)


def _walk(
    directory: Path,
    rel: str,
    stamps: list[SourceStamp],
    *,
    recursive: bool,
    skip_dirs: tuple[str, ...],
    seen: set[tuple[int, int]],
) -> None:
    """Stamp the regular files only: a FIFO would block the reader, a device is no post. A
    folder met again through a symbolic link (`ln -s . loop`), a link that loops or dangles
    and a folder that cannot be read are each named in the log and skipped."""
    try:
        identity = directory.stat()
        if (identity.st_dev, identity.st_ino) in seen:
            _log.warning("skipped %s: a link back into a folder already read", rel or ".")
            return
        seen.add((identity.st_dev, identity.st_ino))
        with os.scandir(directory) as listing:
            entries = list(listing)
    except OSError as exc:
        _log.warning("skipped %s: %s", rel or ".", exc.strerror or exc)
        return
    folders: list[os.DirEntry[str]] = []
    for entry in entries:
        name = entry.name
        if not name.lower().endswith(_POST_NAMES):
            # Not a post's name: only a folder matters, and the listing's type says which
            # without a stat (a post's name is checked by stat below: 3 µs a file here).
            if recursive and name not in skip_dirs and not is_dropping(name) and _is_dir(entry):
                folders.append(entry)
            continue
        if name[0] in ".#":  # the only droppings a post's name can be
            continue
        try:
            stat = entry.stat()  # through links
        except OSError as exc:  # a link that loops (`ln -s self.md self.md`) or dangles
            _log.warning("skipped %s%s: %s", rel, name, exc.strerror or exc)
            continue
        if S_ISREG(stat.st_mode):
            stamps.append(_new_stamp(SourceStamp, (rel + name, stat.st_mtime_ns, stat.st_size)))
        elif not S_ISDIR(stat.st_mode):
            _log.warning("skipped %s%s: not a regular file", rel, name)
        elif recursive and name not in skip_dirs:
            folders.append(entry)
    for folder in folders:
        _walk(
            Path(folder.path),
            f"{rel}{folder.name}/",
            stamps,
            recursive=True,
            skip_dirs=skip_dirs,
            seen=seen,
        )


# A SourceStamp without its class's Python-level __new__: 0.3 µs less a file, 3 ms a scan of
# 10,000 (the scan is most of adding one post to a large blog).
_new_stamp = tuple.__new__


def _is_dir(entry: os.DirEntry[str]) -> bool:
    """A folder, or a link to one; a link that loops or dangles is neither (and, not being
    named as a post, not worth a warning)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def decode(path: str, data: bytes) -> tuple[str, tuple[str, ...]]:
    """Text of a source file, with line endings normalised; warnings say what was repaired.

    UTF-8 (with or without BOM) is the norm. UTF-16 with a BOM is decoded. A UTF-8 file with a
    few stray Windows-1252 bytes (text pasted from a word processor) keeps its UTF-8 and reads
    the strays as Windows-1252. A file in a single legacy encoding is decoded when it can be
    identified with confidence. Anything else is refused rather than guessed.
    """
    if data.isascii():
        text = data.decode("ascii")
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        return (strip_xml_unsafe(text) if data.translate(None, _ASCII_SAFE) else text), ()
    warnings: list[str] = []
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16")
        warnings.append("file is UTF-16; decoded it (UTF-8 is recommended)")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text, note = _decode_legacy(path, data)
            warnings.append(note)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _may_be_mojibake(text) and _MOJIBAKE_HINT.search(text):
        text, repaired = _repair_mojibake(text)
        if repaired:
            warnings.append("repaired mis-decoded characters (mojibake) in the text")
    return strip_xml_unsafe(text), tuple(warnings)


_ASCII_SAFE = bytes([9, 10, 13, *range(32, 127)])  # deleting these leaves only control bytes
_CP1252_STRAY = "syndicate-cp1252-stray"


def _cp1252_strays(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    chunk = error.object[error.start : error.end]
    return bytes(chunk).decode("cp1252", errors="replace"), error.end


codecs.register_error(_CP1252_STRAY, _cp1252_strays)

# Encodings that plain-text blogs were actually written in; a guess outside this set is refused.
_LEGACY = {
    "cp1252",
    "latin_1",
    "iso8859_15",
    "cp1250",
    "iso8859_2",
    "mac_roman",
    "cp1251",
    "koi8_r",
}
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


def _decode_legacy(path: str, data: bytes) -> tuple[str, str]:
    if _UTF8_MULTIBYTE.search(data):
        strays = _count_invalid_utf8(data)
        if strays <= max(4, len(data) // 500):
            text = data.decode("utf-8", errors=_CP1252_STRAY)
            return text, f"{strays} byte(s) were not UTF-8; read them as Windows-1252"
    from charset_normalizer import from_bytes

    # Only the encodings we accept compete: left to itself the detector names Baltic or Asian
    # code pages for plain French or German text and the file would be refused.
    matches = from_bytes(data, cp_isolation=sorted(_LEGACY))
    best = matches.best()
    if best is not None and best.chaos < 0.2:
        name = best.encoding
        western = next((m for m in matches if "cp1252" in m.could_be_from_charset), None)
        if western is not None and western.chaos <= best.chaos:
            # Latin-1 and Windows-1252 text scores no worse as Central European (crêpe read as
            # crępe); on a tie the far commoner Western encoding is the right reading.
            best, name = western, "cp1252"
        return str(best), f"file is not UTF-8; decoded it as {name} (convert it to UTF-8)"
    guess = f" (best guess: {best.encoding})" if best is not None else ""
    raise EncodingError(
        path,
        f"not UTF-8 and its encoding cannot be identified with confidence{guess}; "
        "convert it to UTF-8",
    )


def _count_invalid_utf8(data: bytes) -> int:
    """How many invalid sequences `data` holds, in one pass (each becomes one U+FFFD)."""
    return data.decode("utf-8", errors="replace").count("\ufffd") - data.count(b"\xef\xbf\xbd")


# Sequences that appear when UTF-8 was decoded as Windows-1252 or Latin-1 somewhere upstream.
_MOJIBAKE_HINT = re.compile("[\u00c2\u00c3][\u0080-\u00bf]|\u00e2\u20ac|[\u0080-\u009f]")
_C1 = re.compile("[\u0080-\u009f]")


def _may_be_mojibake(text: str) -> bool:
    """Whether `text` holds a character a _MOJIBAKE_HINT match starts with. A substring test
    is many times quicker than the hint's scan, and most texts hold none (curly quotes are
    U+2019, not U+00E2 U+20AC)."""
    return "\u00c2" in text or "\u00c3" in text or "\u00e2" in text or bool(_C1.search(text))


def _repair_mojibake(text: str) -> tuple[str, bool]:
    import ftfy

    config = ftfy.TextFixerConfig(
        unescape_html=False,
        remove_terminal_escapes=False,
        fix_latin_ligatures=False,
        fix_character_width=False,
        uncurl_quotes=False,
        fix_line_breaks=False,
        remove_control_chars=False,
        normalization=None,
        explain=False,
    )
    fixed = ftfy.fix_text(text, config)
    return fixed, fixed != text
