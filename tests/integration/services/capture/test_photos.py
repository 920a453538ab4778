"""Reports with photos: multipart intake, EXIF/GPS stripping, thumbnails, bad images."""

import io
import json

from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.integration.services.capture.payloads import (
    jpeg_with_gps,
    png,
    png_bomb,
    report_body,
)


def multipart(body, photos=(), after=None):
    data = [("report", json.dumps(body))]
    data += [("photos", FileStorage(io.BytesIO(c), n, content_type=m)) for n, c, m in photos]
    if after is not None:
        data.append(
            ("after_photo", FileStorage(io.BytesIO(after[1]), after[0], content_type=after[2]))
        )
    return data


def post(api, headers, body, photos=(), after=None):
    # Encoded in memory: the test client would spool big bodies to a file it never closes.
    boundary, data = encode_multipart(MultiDict(multipart(body, photos, after)))
    return api.post(
        "/api/v1/reports",
        data=data,
        headers=headers,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def fetch(api, url, headers):
    resp = api.get(url, headers=headers)
    resp.get_data()
    resp.close()
    return resp


def test_photos_are_stored_without_exif_and_with_thumbnails(api, cells, worker):
    _, headers = worker
    body = report_body(cells[0])
    photos = [("a.jpg", jpeg_with_gps(), "image/jpeg"), ("b.png", png(), "image/png")]
    resp = post(api, headers, body, photos)
    assert resp.status_code == 201, resp.get_json()
    out = resp.get_json()
    assert [p["kind"] for p in out["photos"]] == ["before", "before"]
    assert out["photos"][0]["width"] == 640 and out["photos"][0]["media_type"] == "image/jpeg"

    original = fetch(api, out["photos"][0]["url"], headers)
    assert original.status_code == 200 and original.mimetype == "image/jpeg"
    image = Image.open(io.BytesIO(original.data))
    assert image.size == (640, 480)
    assert dict(image.getexif()) == {}
    assert "exif" not in image.info and b"PhoneMaker" not in original.data

    thumb = fetch(api, out["photos"][0]["thumbnail_url"], headers)
    assert thumb.status_code == 200
    assert max(Image.open(io.BytesIO(thumb.data)).size) == 320

    # a retry with the same files is the same report
    again = post(api, headers, body, photos)
    assert again.status_code == 200 and again.get_json() == out
    # the same id with other photos is a conflict
    other = post(api, headers, body, [("a.jpg", jpeg_with_gps(color="blue"), "image/jpeg")])
    assert other.status_code == 409


def test_handled_on_spot_with_an_after_photo(api, engine, cells, worker):
    from sqlalchemy import text

    _, headers = worker
    body = report_body(cells[1], handled_on_spot=True)
    resp = post(
        api, headers, body, [("a.jpg", jpeg_with_gps(), "image/jpeg")],
        after=("after.jpg", jpeg_with_gps(color="green"), "image/jpeg"),
    )  # fmt: skip
    assert resp.status_code == 201, resp.get_json()
    out = resp.get_json()
    assert out["handled_on_spot"] is True
    assert sorted(p["kind"] for p in out["photos"]) == ["after", "before"]
    with engine.connect() as conn:
        payload = conn.execute(
            text(
                "SELECT envelope->'payload' FROM outbox "
                "WHERE envelope->'payload'->>'report_id' = :i"
            ),
            {"i": body["id"]},
        ).scalar_one()
    assert payload["handled_on_spot"] is True
    lonely_after = post(
        api, headers, report_body(cells[1]), after=("a.jpg", jpeg_with_gps(), "image/jpeg")
    )
    assert lonely_after.status_code == 422
    assert lonely_after.get_json()["error"]["field"] == "handled_on_spot"


def test_a_photo_that_is_not_what_it_claims_is_refused(api, cells, worker):
    _, headers = worker
    cases = [
        ([("a.png", jpeg_with_gps(), "image/png")], "photos[0]"),
        ([("a.jpg", png(), "image/jpeg"), ("b.jpg", b"GIF89a not really", "image/jpeg")],
         "photos[0]"),
        ([("a.jpg", jpeg_with_gps(), "image/jpeg"), ("b.jpg", b"\xff\xd8\xff bad", "image/jpeg")],
         "photos[1]"),
        ([("a.gif", b"GIF89a", "image/gif")], "photos[0]"),
        ([("bomb.png", png_bomb(), "image/png")], "photos[0]"),
        ([("cut.jpg", jpeg_with_gps()[:600], "image/jpeg")], "photos[0]"),
    ]  # fmt: skip
    for photos, field in cases:
        resp = post(api, headers, report_body(cells[0]), photos)
        assert resp.status_code == 422, (field, resp.get_json())
        assert resp.get_json()["error"]["field"] == field


def test_photo_count_and_size_limits(api, cells, worker):
    _, headers = worker
    seven = [(f"{i}.png", png(), "image/png") for i in range(7)]
    resp = post(api, headers, report_body(cells[0]), seven)
    assert resp.status_code == 422 and resp.get_json()["error"]["field"] == "photos"
    huge = b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024 + 10)
    resp = post(api, headers, report_body(cells[0]), [("huge.jpg", huge, "image/jpeg")])
    assert resp.status_code == 413 and resp.get_json()["error"]["field"] == "photos[0]"
    resp = post(api, headers, report_body(cells[0]), [("x.png", png(), "image/png")])
    assert resp.status_code == 201


def test_missing_report_part_and_unknown_file_parts(api, worker):
    _, headers = worker
    resp = api.post(
        "/api/v1/reports", data={"x": "1"}, headers=headers, content_type="multipart/form-data"
    )
    assert resp.status_code == 422 and resp.get_json()["error"]["field"] == "report"
    resp = api.post(
        "/api/v1/reports", data={"report": "{oops"}, headers=headers,
        content_type="multipart/form-data",
    )  # fmt: skip
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "report"
