"""Structure census: how far a change spreads, and how big the pieces are.

Run from the repository root: ``python bench/census.py``. Prints, for the package:

- the files outside a network's own modules that name the network (what adding one touches),
  for every network in the tree;
- the files that name a feed kind (``FeedKind.X`` or the kind's settings key);
- the 10 largest modules by lines and the 10 longest functions.

Counting is textual on purpose (a word match), so the same command gives comparable figures
before and after a refactor whatever the code's shape.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

PACKAGE = Path("syndicate")
NETWORKS = ("x", "mastodon", "bluesky", "slack", "discord", "matrix", "webhook")
# A feed kind is named by its enum member or its settings key / literal.
KINDS = {
    "tag": r"FeedKind\.TAG\b|\"tag\"|feeds\.tags\b",
    "author": r"FeedKind\.AUTHOR\b|\"author\"|feeds\.authors\b",
    "category": r"FeedKind\.CATEGORY\b|\"category\"|feeds\.categories\b",
}


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _own(path: Path, network: str) -> bool:
    """A network's own modules: its file, or files named after it (bluesky_xrpc.py)."""
    return path.stem == network or path.stem.startswith(network + "_")


def network_touches(network: str) -> list[str]:
    # "x" is too short for a word match: count its literal, its module and Twitter.
    word = re.compile(r"[\"']x[\"']|publish(\.| import )x\b|\btwitter\b", re.IGNORECASE)
    if network != "x":
        word = re.compile(rf"\b{network}\b", re.IGNORECASE)
    hits = []
    for path in _sources():
        if _own(path, network):
            continue
        if word.search(path.read_text(encoding="utf-8")):
            hits.append(str(path))
    return hits


def kind_touches(pattern: str) -> list[str]:
    found = re.compile(pattern)
    return [str(p) for p in _sources() if found.search(p.read_text(encoding="utf-8"))]


def largest_modules(count: int = 10) -> list[tuple[int, str]]:
    sizes = [(len(p.read_text(encoding="utf-8").splitlines()), str(p)) for p in _sources()]
    return sorted(sizes, reverse=True)[:count]


def longest_functions(count: int = 10) -> list[tuple[int, str]]:
    lengths = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno:
                size = node.end_lineno - node.lineno + 1
                lengths.append((size, f"{path}:{node.lineno} {node.name}"))
    return sorted(lengths, reverse=True)[:count]


def main() -> int:
    sources = _sources()
    total = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in sources)
    print(f"package: {len(sources)} modules, {total} lines")
    print("\n## files naming a network, outside its own modules")
    for network in NETWORKS:
        hits = network_touches(network)
        print(f"{network}: {len(hits)}  {' '.join(hits)}")
    print("\n## files naming a feed kind")
    for kind, pattern in KINDS.items():
        hits = kind_touches(pattern)
        print(f"{kind}: {len(hits)}  {' '.join(hits)}")
    print("\n## 10 largest modules (lines)")
    for size, name in largest_modules():
        print(f"{size:5d}  {name}")
    print("\n## 10 longest functions (lines)")
    for size, name in longest_functions():
        print(f"{size:5d}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
