"""Where photo files live: `<media_dir>/reports/<id[:2]>/<report id>/<photo id>.<ext>` and a
`.thumb.jpg` beside it. Paths in the database are relative to `media_dir`."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from services.capture.photos import CleanPhoto


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    with open(partial, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    partial.replace(path)


def store_photo(
    media_dir: str, report_id: uuid.UUID, photo_id: uuid.UUID, photo: CleanPhoto
) -> tuple[str, str]:
    """Writes the cleaned photo and its thumbnail; returns their relative paths."""
    folder = Path("reports") / report_id.hex[:2] / str(report_id)
    original = folder / f"{photo_id}.{photo.extension}"
    thumb = folder / f"{photo_id}.thumb.jpg"
    _write(Path(media_dir) / original, photo.data)
    _write(Path(media_dir) / thumb, photo.thumbnail)
    return original.as_posix(), thumb.as_posix()


def remove_files(media_dir: str, relative_paths: list[str]) -> None:
    """Deletes files written for a report that was not stored after all."""
    for rel in relative_paths:
        Path(media_dir, rel).unlink(missing_ok=True)


def resolve(media_dir: str, relative_path: str) -> Path:
    """The absolute path of a stored file (never outside `media_dir`)."""
    root = Path(media_dir).resolve()
    path = (root / relative_path).resolve()
    if root not in path.parents:
        raise ValueError("path outside the media directory")
    return path
