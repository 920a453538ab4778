"""Photo cleaning without I/O: formats, metadata stripping, bombs, damaged files."""

import io

import pytest
from PIL import Image

from services.capture.photos import MAX_BYTES, PhotoRejected, clean_photo


def encoded(fmt, size=(400, 300), mode="RGB", **save):
    out = io.BytesIO()
    Image.new(mode, size, "orange" if mode == "RGB" else 128).save(out, fmt, **save)
    return out.getvalue()


def gps_exif():
    exif = Image.Exif()
    exif[0x0110] = "Model X"
    exif.get_ifd(0x8825).update({1: "N", 2: (30.0, 1.0, 2.0)})
    return exif


@pytest.mark.parametrize(
    ("fmt", "media_type"), [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")]
)
def test_each_format_is_re_encoded_without_exif(fmt, media_type):
    data = encoded(fmt, exif=gps_exif())
    assert b"Model X" in data
    photo = clean_photo(data, media_type, "photos[0]")
    assert b"Model X" not in photo.data
    image = Image.open(io.BytesIO(photo.data))
    assert image.format == fmt and image.size == (400, 300)
    assert dict(image.getexif()) == {}
    thumb = Image.open(io.BytesIO(photo.thumbnail))
    assert thumb.format == "JPEG" and thumb.size == (320, 240)


def test_orientation_is_applied_before_the_tag_is_dropped():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    photo = clean_photo(encoded("JPEG", size=(400, 300), exif=exif), "image/jpeg", "p")
    assert (photo.width, photo.height) == (300, 400)


def test_palette_and_greyscale_images_are_kept_readable():
    assert clean_photo(encoded("PNG", mode="P"), "image/png", "p").width == 400
    assert clean_photo(encoded("JPEG", mode="L"), "image/jpg", "p").media_type == "image/jpeg"


@pytest.mark.parametrize(
    ("data", "media_type", "status"),
    [
        (b"", "image/jpeg", 422),
        (b"not an image at all", "image/jpeg", 422),
        (encoded("PNG"), "image/jpeg", 422),
        (encoded("JPEG"), "image/gif", 422),
        (encoded("JPEG"), None, 422),
        (encoded("JPEG")[:200], "image/jpeg", 422),
        (b"\xff\xd8" + b"\0" * MAX_BYTES, "image/jpeg", 413),
    ],
)
def test_refusals_name_the_field_and_status(data, media_type, status):
    with pytest.raises(PhotoRejected) as caught:
        clean_photo(data, media_type, "photos[2]")
    assert caught.value.field == "photos[2]" and caught.value.status == status


def test_an_image_bomb_is_refused_before_decoding():
    from tests.integration.services.capture.payloads import png_bomb

    with pytest.raises(PhotoRejected) as caught:
        clean_photo(png_bomb(), "image/png", "photos[0]")
    assert "large" in caught.value.message or "limit" in caught.value.message


def test_more_pixels_than_a_phone_camera_are_refused_unread():
    from tests.integration.services.capture.payloads import png_bomb

    with pytest.raises(PhotoRejected) as caught:  # 25 MP: over what phones send
        clean_photo(png_bomb(5000, 5000), "image/png", "photos[0]")
    assert "over the limit" in caught.value.message and caught.value.status == 422


def test_a_large_photo_is_stored_with_a_sane_long_edge():
    photo = clean_photo(encoded("JPEG", size=(6000, 4000)), "image/jpeg", "photos[0]")
    assert max(photo.width, photo.height) <= 4096
    assert max(Image.open(io.BytesIO(photo.data)).size) <= 4096


def test_decodes_are_bounded_per_process(monkeypatch):
    from services.capture import photos

    monkeypatch.setattr(photos, "DECODE_WAIT_S", 0.0)
    held = 0
    while photos.DECODE_SLOTS.acquire(blocking=False):
        held += 1
    try:
        with pytest.raises(PhotoRejected) as caught:
            clean_photo(encoded("JPEG"), "image/jpeg", "photo[0]")
    finally:
        for _ in range(held):
            photos.DECODE_SLOTS.release()
    assert held >= 1 and caught.value.status == 503
    assert clean_photo(encoded("JPEG"), "image/jpeg", "photo[0]").width == 400
