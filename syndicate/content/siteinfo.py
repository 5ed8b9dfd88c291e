"""What a blog says about itself (name, address, language) in its generator's own config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import yaml

from syndicate.content.layouts import hugo_config, read_config


class SiteInfo(msgspec.Struct, frozen=True):
    title: str | None = None
    url: str | None = None
    description: str | None = None
    language: str | None = None
    author: str | None = None
    secure: bool | None = None  # whether the blog declares it is served over https


def read_site_info(root: Path, layout: str) -> SiteInfo:
    """The site's declared facts, or an empty SiteInfo where it declares nothing readable."""
    try:
        if layout == "middleman":
            return _middleman(read_config(root / "data" / "site.yml"))
        if layout == "jekyll":
            return _jekyll(read_config(root / "_config.yml"), _cname(root))
        return _hugo(hugo_config(root))
    except (OSError, ValueError, yaml.YAMLError):
        return SiteInfo()


def _text(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("name")
    return str(value).strip() if value not in (None, "") else None


def _middleman(data: dict[str, Any]) -> SiteInfo:
    domain = _text(data.get("domain"))
    ssl = data.get("ssl")
    return SiteInfo(
        title=_text(data.get("name")),
        # `domain` is a bare host name, but some sites write it as a URL.
        url=f"https://{domain.split('://', 1)[-1].strip('/')}/" if domain else None,
        description=_text(data.get("subhead")),
        author=_text(data.get("owner")),
        secure=bool(ssl) if ssl is not None else None,
    )


def _cname(root: Path) -> str | None:
    """The domain of a GitHub Pages `CNAME` file (its first line), if there is one."""
    try:
        lines = (root / "CNAME").read_text("utf-8", "replace").split()
    except OSError:
        return None
    host = lines[0].strip().split("://")[-1].strip("/") if lines else ""
    return host or None


def _jekyll(data: dict[str, Any], cname: str | None = None) -> SiteInfo:
    url = _text(data.get("url"))
    if not url and cname:  # GitHub Pages sets site.url from CNAME, over https
        url = f"https://{cname}"
    base = (_text(data.get("baseurl")) or "").strip("/")
    if url:
        url = url.rstrip("/") + "/" + (base + "/" if base else "")
    return SiteInfo(
        title=_text(data.get("title")) or _text(data.get("name")),
        url=url,
        description=_text(data.get("description")),
        language=_text(data.get("lang")),
        author=_text(data.get("author")),
        secure=url.startswith("https:") if url else None,
    )


def _hugo(data: dict[str, Any]) -> SiteInfo:
    found = data.get("params")
    params: dict[str, Any] = found if isinstance(found, dict) else {}
    url = _text(data.get("baseURL") or data.get("baseurl"))
    return SiteInfo(
        title=_text(data.get("title")),
        url=url if not url or url.endswith("/") else url + "/",
        description=_text(params.get("description")),
        language=_text(data.get("languageCode") or data.get("defaultContentLanguage")),
        author=_text(params.get("author") or data.get("author")),
        secure=url.startswith("https:") if url else None,
    )
