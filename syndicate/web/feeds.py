"""Serving feed files: the right type, validators, 304s, gzip and WebSub links.

A feed reader polls the same URL every few minutes (some every second), so the answer to "has
it changed?" must cost next to nothing: one `stat`, one dictionary lookup, no read. Both
representations (identity and gzip) have their own strong ETag, the hash of their bytes.
"""

from __future__ import annotations

import stat
from pathlib import Path
from urllib.parse import quote

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from syndicate.config import Settings
from syndicate.web.catalog import IndexView
from syndicate.web.conditions import accepts_gzip, none_match, not_modified_since
from syndicate.web.files import clean_path, locate
from syndicate.web.representations import Body, Representation, RepresentationCache, load, stamp_of
from syndicate.web.shared_feeds import SharedFeeds

# Every request revalidates (a 304 is nearly free here), so a cache in front never serves a
# feed older than the last build: a WebSub hub fetches right after being pinged and must see
# the new entry. `public` lets shared caches store it all the same.
CACHE_CONTROL = "public, no-cache"

# Feeds are public documents; browser-based readers fetch them from other origins.
_COMMON = {
    "Vary": "Accept-Encoding",
    "Cache-Control": CACHE_CONTROL,
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Link",
    "X-Content-Type-Options": "nosniff",
}


def not_found() -> Response:
    return PlainTextResponse("Not Found", status_code=404)


class FeedFiles:
    """The endpoint for every path that is not one of the app's own pages."""

    def __init__(
        self,
        settings: Settings,
        view: IndexView,
        cache: RepresentationCache,
        shared: SharedFeeds | None = None,
    ) -> None:
        self._shared = shared  # a cluster's node serves what the owner stored in the ledger
        self._root = settings.output_dir.resolve()
        self._site_url = settings.site.url
        self._hubs = settings.feeds.hubs
        self._view = view
        self._cache = cache

    async def serve(self, request: Request) -> Response:
        rel = clean_path(request.path_params["path"])
        listed = self._view.now().by_path.get(rel) if rel is not None else None
        if rel is None or listed is None:
            return not_found()  # only the feeds: nothing else in the directory is served
        if self._shared is not None:
            rep = self._shared.get(rel)
        else:
            target = locate(self._root, rel)
            rep = await self._current(rel, target) if target is not None else None
        if rep is None:
            return not_found()
        fmt, self_url = listed.format, listed.url
        response = answer(request, rep, f"{fmt.media_type}; charset=utf-8")
        if response.status_code == 200:
            for hub in self._hubs:
                response.headers.append("Link", f'<{_link_url(hub)}>; rel="hub"')
            response.headers.append("Link", f'<{_link_url(self_url)}>; rel="self"')
        return response

    async def _current(self, rel: str, target: Path) -> Representation | None:
        """The file's representations: from the cache while its stamp holds, else read anew."""
        try:
            info = target.stat()
        except OSError:
            return None
        if not stat.S_ISREG(info.st_mode):
            return None  # a directory: no listings
        cached = self._cache.get(rel, stamp_of(info))
        if cached is not None:
            return cached
        # Reading, hashing and compressing up to a megabyte blocks; keep the loop free.
        rep = await anyio.to_thread.run_sync(load, target)
        if rep is not None:
            self._cache.put(rel, rep)
        return rep


def answer(request: Request, rep: Representation, content_type: str) -> Response:
    """200 with the chosen representation, or 304 when the client's copy is current."""
    offered = _offered(rep, request.headers.get("accept-encoding"))
    headers = {**_COMMON, "Last-Modified": rep.last_modified}
    match = request.headers.get("if-none-match")
    if match is not None:
        # A client that holds one representation may be answered with that one: it is as
        # good as the other, and a 304 costs nothing.
        held = none_match(match, [body.etag for body in offered])
        if held is not None:
            return Response(status_code=304, headers={**headers, "ETag": held})
    elif not_modified_since(request.headers.get("if-modified-since"), rep.modified):
        return Response(status_code=304, headers={**headers, "ETag": offered[0].etag})
    body = offered[0]
    headers.update({"ETag": body.etag, "Content-Type": content_type})
    if body.encoding:
        headers["Content-Encoding"] = body.encoding
    return Response(body.data, headers=headers)


def _offered(rep: Representation, accept_encoding: str | None) -> list[Body]:
    """The representations this client can take, preferred first."""
    if rep.gzipped is not None and accepts_gzip(accept_encoding):
        return [rep.gzipped, rep.identity]
    return [rep.identity]


def _link_url(url: str) -> str:
    # A Link header's URI sits between < and >; encode anything that could end it early.
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~")
