"""The template syntax real posts carry: Hugo's shortcodes here, Jekyll's Liquid in liquid.py.

A generator expands these before rendering; a feed that showed them as written would be wrong,
and a feed without what they stand for (the video, the figure, the code) would be poorer. So
the common shortcodes are expanded here to the Markdown or HTML they produce; the rest are
removed, with a warning naming them. Both generators expand their syntax everywhere, code
blocks included, except inside Liquid's `{% raw %}` and Hugo's `{{</* ... */>}}` escapes.
"""

from __future__ import annotations

import html
import re
import shlex
from collections.abc import Callable, Mapping

import msgspec

Resolver = Callable[[str], str | None]  # a post reference → its permalink, or None

_SHORTCODE = re.compile(r"\{\{([<%])\s*(/?)\s*([\w./-]+)(.*?)\s*[>%]\}\}", re.DOTALL)
_ESCAPED_SHORTCODE = re.compile(r"\{\{([<%])/\*(.*?)\*/([>%])\}\}", re.DOTALL)
_HUGO_HIGHLIGHT = re.compile(
    r"\{\{<\s*highlight\s+([\w+#.-]+)[^>]*>\}\}\n?(.*?)\n?\{\{<\s*/highlight\s*>\}\}", re.DOTALL
)
_PLACEHOLDER = "\ue001{}\ue001"


class Expansion(msgspec.Struct):
    text: str
    warnings: list[str] = msgspec.field(default_factory=list)


def needs_expanding(body: str) -> bool:
    return "{%" in body or "{{" in body


def expand_shortcodes(body: str, resolve: Resolver) -> Expansion:
    """Hugo: highlight, figure, youtube, vimeo, tweet/x, gist, instagram, ref/relref."""
    out = Expansion(body)
    kept: list[str] = []

    def keep(match: re.Match[str]) -> str:
        kept.append("{{" + match.group(1) + match.group(2) + match.group(3) + "}}")
        return _PLACEHOLDER.format(len(kept) - 1)

    text = _ESCAPED_SHORTCODE.sub(keep, body)
    text = _HUGO_HIGHLIGHT.sub(lambda m: f"```{m.group(1)}\n{m.group(2)}\n```", text)
    text = _SHORTCODE.sub(lambda m: _shortcode(m, resolve, out), text)
    for index, raw in enumerate(kept):
        text = text.replace(_PLACEHOLDER.format(index), raw)
    out.text = text
    return out


def _shortcode(match: re.Match[str], resolve: Resolver, out: Expansion) -> str:
    closing, name, raw_args = match.group(2), match.group(3), match.group(4)
    if closing:
        return ""  # the end of a paired shortcode: its inner text stays
    try:
        words = shlex.split(raw_args)
    except ValueError:
        words = raw_args.split()
    positional = [w for w in words if "=" not in w]
    named = dict(w.split("=", 1) for w in words if "=" in w)
    handler = _SHORTCODES.get(name)
    if handler is None:
        out.warnings.append(f"Hugo shortcode {{{{< {name} >}}}} is not expanded in feeds; removed")
        return ""
    return handler(positional, named, resolve, out)


def _arg(positional: list[str], named: Mapping[str, str], key: str, index: int = 0) -> str:
    if key in named:
        return named[key]
    return positional[index] if len(positional) > index else ""


def _youtube(positional: list[str], named: Mapping[str, str], _r: Resolver, _o: Expansion) -> str:
    video = _arg(positional, named, "id")
    title = named.get("title", "")
    src = f"https://www.youtube.com/embed/{html.escape(video)}"
    return f'<iframe src="{src}" title="{html.escape(title)}"></iframe>'


def _vimeo(positional: list[str], named: Mapping[str, str], _r: Resolver, _o: Expansion) -> str:
    video = _arg(positional, named, "id")
    return f'<iframe src="https://player.vimeo.com/video/{html.escape(video)}"></iframe>'


def _figure(positional: list[str], named: Mapping[str, str], _r: Resolver, _o: Expansion) -> str:
    src = html.escape(named.get("src", ""))
    alt = html.escape(named.get("alt", named.get("caption", "")))
    image = f'<img src="{src}" alt="{alt}">'
    if named.get("link"):
        image = f'<a href="{html.escape(named["link"])}">{image}</a>'
    caption = named.get("caption") or named.get("title")
    figcaption = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f"<figure>{image}{figcaption}</figure>"


def _tweet(positional: list[str], named: Mapping[str, str], _r: Resolver, _o: Expansion) -> str:
    user = named.get("user", "")
    post = named.get("id", positional[-1] if positional else "")
    url = f"https://x.com/{user or 'i/web'}/status/{post}"
    return f'<a href="{html.escape(url)}">View the post on X</a>'


def _gist(positional: list[str], named: Mapping[str, str], _r: Resolver, _o: Expansion) -> str:
    user, gist = _arg(positional, named, "user", 0), _arg(positional, named, "id", 1)
    url = f"https://gist.github.com/{html.escape(user)}/{html.escape(gist)}"
    return f'<a href="{url}">View the code on GitHub</a>'


def _instagram(positional: list[str], named: Mapping[str, str], _r: Resolver, _o: Expansion) -> str:
    post = _arg(positional, named, "id")
    return f'<a href="https://www.instagram.com/p/{html.escape(post)}/">View on Instagram</a>'


def _ref(positional: list[str], named: Mapping[str, str], resolve: Resolver, out: Expansion) -> str:
    target = _arg(positional, named, "path")
    found = resolve(target)
    if found is None:
        out.warnings.append(f"{{{{< ref {target} >}}}} names no post that exists")
        return ""
    return found


_SHORTCODES: dict[str, Callable[[list[str], Mapping[str, str], Resolver, Expansion], str]] = {
    "youtube": _youtube,
    "vimeo": _vimeo,
    "figure": _figure,
    "tweet": _tweet,
    "x": _tweet,
    "gist": _gist,
    "instagram": _instagram,
    "ref": _ref,
    "relref": _ref,
}


def reference_keys(source: str, posts_dir: str) -> set[str]:
    """The ways a post can be named in `post_url`, `link` or `ref`: its file, with or without
    its folders and extensions, and a page bundle's folder."""
    rel = source.removeprefix(posts_dir.rstrip("/") + "/") if posts_dir else source
    in_content = source.removeprefix("content/")
    keys = {source, rel, in_content}
    for path in (source, rel, in_content):
        folder, _, name = path.rpartition("/")
        stem = name.split(".")[0]
        keys.add(f"{folder}/{stem}" if folder else stem)
        keys.add(name)
        keys.add(stem)
        if stem == "index" and folder:  # a Hugo page bundle is named by its folder
            keys.add(folder)
            keys.add(folder.rpartition("/")[2])
    return keys


def normalise_reference(reference: str) -> list[str]:
    """The keys to look a written reference up by, most specific first."""
    ref = reference.strip().strip("'\"").split("#")[0].lstrip("/")
    ref = ref.removeprefix("content/")
    folder, _, name = ref.rpartition("/")
    stem = name.split(".")[0]
    return [ref, f"{folder}/{stem}" if folder else stem, stem]
