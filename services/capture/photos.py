"""Photo intake: check that a file is the image it claims to be, refuse image bombs, strip every
metadata block (EXIF with its GPS tags, XMP, text chunks) by re-encoding the pixels, and make a
thumbnail. Pure in-memory work; storing the results is `services.capture.media`."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from services.runtime import bounded_semaphore, offload

MAX_BYTES = 10 * 1024 * 1024
# What phones send (a 24-megapixel camera at most is usual); more is refused unread. Each
# decoded megapixel costs about 4 MB of memory, so decodes are also bounded per process.
MAX_PIXELS = 24_000_000
# Originals are stored with at most this long edge; a JPEG is decoded straight to about it.
MAX_EDGE = 4096
THUMB_EDGE = 320
DECODE_SLOTS = bounded_semaphore(2)
DECODE_WAIT_S = 20.0
FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


class PhotoRejected(ValueError):
    """The file is not an acceptable photo; `status` is 413 (too large), 422, or 503 when
    this process is decoding as many photos as it may and none finished in time."""

    def __init__(self, field: str, message: str, status: int = 422):
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status


@dataclass(frozen=True)
class CleanPhoto:
    """A photo ready to store: re-encoded without metadata, plus its thumbnail (JPEG)."""

    media_type: str
    extension: str
    data: bytes
    thumbnail: bytes
    width: int
    height: int
    sha256: str  # of the bytes as uploaded (the idempotency hash uses the same)


def upload_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _open(data: bytes, field: str) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise PhotoRejected(field, "image dimensions are too large (image bomb?)") from exc
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            raise PhotoRejected(field, "the file is not a readable image") from exc
    width, height = image.size
    if width < 1 or height < 1 or width * height > MAX_PIXELS:
        raise PhotoRejected(
            field, f"image of {width}×{height} pixels is over the limit of {MAX_PIXELS:,}"
        )
    if image.format == "JPEG":
        image.draft(image.mode, (MAX_EDGE, MAX_EDGE))  # the decoder scales by 1/2, 1/4, 1/8
    return image


def _decode(image: Image.Image, field: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            image.load()
            if getattr(image, "n_frames", 1) > 1:
                raise PhotoRejected(field, "animated images are not accepted")
            upright = ImageOps.exif_transpose(image)
    except PhotoRejected:
        raise
    except Exception as exc:  # Pillow raises many types for broken data; all mean "bad file"
        raise PhotoRejected(field, "the image data is damaged or truncated") from exc
    if upright.mode not in ("RGB", "RGBA", "L", "LA"):
        has_alpha = upright.mode in ("P", "PA") and "transparency" in upright.info
        upright = upright.convert("RGBA" if has_alpha or upright.mode == "PA" else "RGB")
    # A fresh image from the pixels alone: no info, no EXIF, no ICC, no XMP survives.
    clean = Image.new(upright.mode, upright.size)
    clean.paste(upright)
    return clean


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = _flatten(image)
        image.save(out, "JPEG", quality=88, optimize=True)
    elif fmt == "WEBP":
        image.save(out, "WEBP", quality=85)
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _flatten(image: Image.Image) -> Image.Image:
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def clean_photo(data: bytes, declared_type: str | None, field: str) -> CleanPhoto:
    """Checks and cleans one uploaded photo. Raises PhotoRejected naming `field`. Decoding and
    encoding are CPU-bound: they run off the event loop in a cooperative process, at most
    DECODE_SLOTS at once (the slot is waited for here, where a cooperative process's
    semaphore lets the other connections run)."""
    if not DECODE_SLOTS.acquire(timeout=DECODE_WAIT_S):
        raise PhotoRejected(field, "too many photos are being processed; retry", status=503)
    try:
        return offload(_clean_photo, data, declared_type, field)
    finally:
        DECODE_SLOTS.release()


def _clean_photo(data: bytes, declared_type: str | None, field: str) -> CleanPhoto:
    if len(data) > MAX_BYTES:
        raise PhotoRejected(field, f"photo is over {MAX_BYTES // (1024 * 1024)} MB", status=413)
    if not data:
        raise PhotoRejected(field, "the file is empty")
    declared = (declared_type or "").split(";")[0].strip().lower()
    if declared == "image/jpg":
        declared = "image/jpeg"
    if declared not in FORMATS:
        raise PhotoRejected(field, "photos must be image/jpeg, image/png or image/webp")
    image = _open(data, field)
    if image.format != FORMATS[declared]:
        raise PhotoRejected(
            field, f"the file claims to be {declared} but is {image.format or 'not an image'}"
        )
    clean = _decode(image, field)
    clean.thumbnail((MAX_EDGE, MAX_EDGE))
    thumb = clean.copy()
    thumb.thumbnail((THUMB_EDGE, THUMB_EDGE))
    return CleanPhoto(
        media_type=declared,
        extension=EXTENSIONS[image.format],
        data=_encode(clean, image.format),
        thumbnail=_encode(thumb, "JPEG"),
        width=clean.width,
        height=clean.height,
        sha256=upload_digest(data),
    )
