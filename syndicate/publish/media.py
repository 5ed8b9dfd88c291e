"""A post's lead image, made ready for one network: fetched once through the guarded client
(its URL may be a remote source's, so anyone's), then fitted to the network's limits on type,
bytes and dimensions with Pillow.

An image that already fits is sent as it is (an animated GIF stays animated). One that does
not is turned upright by its EXIF orientation, scaled down to the longest side allowed and
written as JPEG (PNG when it has transparency and PNG is taken) at decreasing quality, then
smaller, until it fits; its metadata (EXIF, GPS) goes with the re-encoding. An image that
cannot be had or read is logged and left out: the post still goes, with its link card.
"""

from __future__ import annotations

import io
import logging
import time
import warnings
from collections.abc import Iterator

import httpx
import msgspec
from msgspec.structs import replace
from PIL import Image as Pillow
from PIL import ImageOps, UnidentifiedImageError

from syndicate.errors import AddressRefusedError
from syndicate.publish.base import Context, Message
from syndicate.publish.httpcalls import content_client
from syndicate.watch.transport import DEADLINE

log = logging.getLogger(__name__)

WEB_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
DOWNLOAD_LIMIT = 25_000_000  # bytes read of any image before fitting it
MAX_PIXELS = 50_000_000  # larger is refused unread: a decompression bomb, not a photo
QUALITIES = (88, 80, 70, 60)
SHRINK = 0.75  # each further step scales the sides by this


class ImageLimits(msgspec.Struct, frozen=True):
    """What a network takes: bytes, the longest side in pixels, media types, alt length."""

    max_bytes: int
    max_side: int | None = None
    types: frozenset[str] = WEB_TYPES
    alt_limit: int = 1000  # characters of alt text
    max_pixels: int | None = None  # width times height


class Image(msgspec.Struct, frozen=True):
    """An image ready to upload, with the post's alt text (cut to the network's limit)."""

    data: bytes
    media_type: str
    width: int
    height: int
    alt: str | None = None

    @property
    def extension(self) -> str:
        return self.media_type.rpartition("/")[2].replace("jpeg", "jpg")


class ImageSource:
    """Fetches a message's image for one publisher and fits it to that publisher's limits. The
    last image is kept, so a retry or the next try of the same post fetches it once; only the
    last, as a publisher lives as long as the daemon."""

    def __init__(self, context: Context, network: str, client: httpx.Client | None = None) -> None:
        self._network = network
        self._timeout = context.timeout
        self._client = client or content_client(context)
        self._last: tuple[str, Image | None] | None = None

    def image(self, message: Message, limits: ImageLimits) -> Image | None:
        """The message's image fitted to `limits`, with its alt text; None when there is no
        image, or it cannot be fetched, read or fitted (logged)."""
        if not message.image:
            return None
        if self._last is None or self._last[0] != message.image:
            self._last = (message.image, self._download(message.image))
        original = self._last[1]
        if original is None:
            return None
        fitted = fit(original, limits)
        if fitted is None:
            log.warning("%s: image %s cannot be made to fit", self._network, message.image)
            return None
        alt = message.image_alt[: limits.alt_limit] if message.image_alt else None
        return replace(fitted, alt=alt)

    def close(self) -> None:
        self._client.close()

    def _download(self, url: str) -> Image | None:
        deadline = time.monotonic() + self._timeout
        try:
            with self._client.stream("GET", url, extensions={DEADLINE: deadline}) as response:
                media_type = response.headers.get("content-type", "").split(";")[0].strip()
                if response.status_code != 200 or not media_type.startswith("image/"):
                    log.warning("%s: no image: %s answered %s %s",
                                self._network, url, response.status_code, media_type)  # fmt: skip
                    return None
                data = read_at_most(response, DOWNLOAD_LIMIT)
        except (httpx.HTTPError, httpx.InvalidURL, AddressRefusedError) as exc:
            log.warning("%s: no image: %s: %s", self._network, url, exc)
            return None
        if data is None:
            log.warning("%s: no image: %s is over %d bytes", self._network, url, DOWNLOAD_LIMIT)
            return None
        image = describe(data)
        if image is None:
            log.warning("%s: no image: %s is not an image Pillow can read", self._network, url)
        return image


def read_at_most(response: httpx.Response, limit: int) -> bytes | None:
    """The body, or None as soon as it passes `limit` bytes (without reading the rest)."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def describe(data: bytes) -> Image | None:
    """`data` as an Image, its type and size read from its own bytes (not the server's word);
    None when Pillow cannot read it or it is too large to open safely."""
    try:
        with _opened(data) as picture:
            media_type = Pillow.MIME.get(picture.format or "", "")
            width, height = picture.size
    except (UnidentifiedImageError, OSError, ValueError, Pillow.DecompressionBombError):
        return None
    if not media_type.startswith("image/") or width * height > MAX_PIXELS:
        return None
    return Image(data, media_type, width, height)


def fit(image: Image, limits: ImageLimits) -> Image | None:
    """`image` within `limits`: as it is when it fits, else re-encoded smaller; None when
    even the smallest try does not fit."""
    if _fits(image, limits):
        return image
    try:
        with _opened(image.data) as picture:
            upright = ImageOps.exif_transpose(picture)
            return _reencode(upright, limits)
    except (OSError, ValueError, Pillow.DecompressionBombError):
        return None


def _fits(image: Image, limits: ImageLimits) -> bool:
    longest = max(image.width, image.height)
    return (
        image.media_type in limits.types
        and len(image.data) <= limits.max_bytes
        and (limits.max_side is None or longest <= limits.max_side)
        and (limits.max_pixels is None or image.width * image.height <= limits.max_pixels)
    )


def _reencode(picture: Pillow.Image, limits: ImageLimits) -> Image | None:
    transparent = picture.mode in {"RGBA", "LA", "P"} and "image/png" in limits.types
    scale = 1.0
    if limits.max_side is not None:
        scale = min(scale, limits.max_side / max(picture.size))
    if limits.max_pixels is not None:
        scale = min(scale, (limits.max_pixels / (picture.width * picture.height)) ** 0.5)
    while min(picture.size) * scale >= 16:
        size = (max(1, int(picture.width * scale)), max(1, int(picture.height * scale)))
        smaller = picture.resize(size, Pillow.Resampling.LANCZOS) if scale < 1 else picture
        for data, media_type in _encodings(smaller, transparent, limits):
            if len(data) <= limits.max_bytes:
                return Image(data, media_type, size[0], size[1])
        scale *= SHRINK
    return None


def _encodings(
    picture: Pillow.Image, transparent: bool, limits: ImageLimits
) -> Iterator[tuple[bytes, str]]:
    """The candidate encodings of `picture`, best first, made only as far as needed."""
    if transparent or "image/jpeg" not in limits.types:
        yield _save(picture.convert("RGBA"), "PNG", optimize=True), "image/png"
        return
    rgb = picture.convert("RGB")
    for quality in QUALITIES:
        yield _save(rgb, "JPEG", quality=quality, optimize=True), "image/jpeg"


def _save(picture: Pillow.Image, kind: str, **options: object) -> bytes:
    out = io.BytesIO()
    picture.save(out, kind, **options)
    return out.getvalue()


def _opened(data: bytes) -> Pillow.Image:
    """Pillow's image of `data`, refusing decompression bombs as errors, not warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Pillow.DecompressionBombWarning)
        picture = Pillow.open(io.BytesIO(data))
        if picture.width * picture.height > MAX_PIXELS:
            raise Pillow.DecompressionBombError(f"{picture.width}x{picture.height}")
        return picture
