"""Report bodies and images for capture tests."""

from __future__ import annotations

import io
import struct
import uuid
import zlib
from datetime import UTC, datetime, timedelta

from PIL import Image

EXPOSED_GARBAGE = "201001"


def report_body(point, **changes) -> dict:
    body = {
        "id": str(uuid.uuid4()),
        "category": EXPOSED_GARBAGE,
        "description": "垃圾桶满溢，周边散落生活垃圾",
        "location": {"lat": point.lat, "lng": point.lng, "crs": "wgs84", "accuracy_m": 8.0},
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
    }
    body.update(changes)
    return body


def jpeg_with_gps(size=(640, 480), color="red") -> bytes:
    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (29.0, 57.0, 30.0), 3: "E", 4: (121.0, 42.0, 0.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png(size=(32, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 128, 0, 200)).save(out, "PNG")
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width=100_000, height=100_000) -> bytes:
    """A few hundred bytes claiming ten billion pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )
