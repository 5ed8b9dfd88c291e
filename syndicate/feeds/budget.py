"""Which entries a feed document carries within its byte budget (`max_bytes`), and how.

Entries go newest first. One that fits is carried whole. One that does not fit but is large
(over BRIEF_OVER bytes, so it has a brief form: its summary and a link in place of its text)
is carried in brief, so a single huge post neither disappears nor pushes every older post out.
The first entry that fits in neither form ends the document: only the oldest are left out.
The newest entry is always carried, in brief if it has one.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

BRIEF_OVER = 16_384  # entries serialised larger than this also get a brief form
SEPARATOR = 1  # the newline between entries


class Fit(enum.Enum):
    WHOLE = "whole"
    BRIEF = "brief"


def fit(sizes: Sequence[tuple[int, int | None]], budget: int) -> list[Fit]:
    """For each entry (its size, and its brief's size or None) that the document carries, in
    order, whether whole or in brief; entries past the returned list are left out."""
    chosen: list[Fit] = []
    used = 0
    for whole, brief in sizes:
        if used + whole + SEPARATOR <= budget:
            chosen.append(Fit.WHOLE)
            used += whole + SEPARATOR
        elif brief is not None and (used + brief + SEPARATOR <= budget or not chosen):
            chosen.append(Fit.BRIEF)
            used += brief + SEPARATOR
        elif not chosen:
            chosen.append(Fit.WHOLE)  # nothing smaller exists: the newest still goes out
            used += whole + SEPARATOR
        else:
            break
    return chosen
