"""Report rows as the API shows them (ReportOut, ReportDetail, TaskOut)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from services.capture.schemas import (
    CaseRef,
    CategoryRef,
    PhotoOut,
    Placement,
    PointOut,
    ReportDetail,
    ReportOut,
    TaskOut,
    TimelineEntry,
)

PhotoUrl = Callable[[uuid.UUID, bool], str]


def _category(row: dict[str, Any]) -> CategoryRef:
    return CategoryRef(
        code=row["category_code"],
        name_zh=row["name_zh"],
        name_en=row["name_en"],
        priority=row["priority"],
    )


def report_out(row: dict[str, Any], photos: list[dict], photo_url: PhotoUrl) -> ReportOut:
    """One report row (from services.store.report_rows) with its photos."""
    return ReportOut(
        id=row["id"],
        case_no=row["case_no"],
        status=row["status"],
        channel=row["channel"],
        category=_category(row),
        description=row["description"],
        location=PointOut(
            lat=row["lat"], lng=row["lng"], accuracy_m=row["accuracy_m"], submitted_crs=row["crs"]
        ),
        placement=Placement(
            status=row["placement"],
            distance_m=row["distance_m"],
            cell_id=row["cell_id"],
            cell_code=row["cell_code"],
            community_code=row["community_code"],
            street_code=row["street_code"],
            district_code=row["district_code"],
            grid_version=row["grid_version"],
        ),
        occurred_at=row["occurred_at"],
        received_at=row["received_at"],
        handled_on_spot=row["handled_on_spot"],
        reporter_id=row["reporter_id"],
        attributes=row.get("attributes") or {},
        photos=[
            PhotoOut(
                id=p["id"],
                kind=p["kind"],
                media_type=p["media_type"],
                width=p["width"],
                height=p["height"],
                url=photo_url(p["id"], False),
                thumbnail_url=photo_url(p["id"], True),
            )
            for p in photos
        ],
        case=_case(row),
    )


def _case(row: dict[str, Any]) -> CaseRef | None:
    if row.get("case_id") is None:
        return None
    return CaseRef(
        id=row["case_id"],
        state=row["status"],
        department_code=row["department_code"],
        department_name=row["agency_responsible"],
        ack_due=row["ack_due"],
        resolve_due=row["resolve_due"],
        merged_into=row["merged_into"],
    )


def report_detail(
    row: dict[str, Any], photos: list[dict], timeline: list[dict], photo_url: PhotoUrl
) -> ReportDetail:
    base = report_out(row, photos, photo_url)
    return ReportDetail(
        **base.model_dump(), timeline=[TimelineEntry(**entry) for entry in timeline]
    )


def task_out(row: dict[str, Any]) -> TaskOut:
    return TaskOut(
        id=row["id"],
        status=row["status"],
        report_id=row["report_id"],
        case_no=row["case_no"],
        case_ref=row["case_ref"],
        cell_code=row["cell_code"],
        category=_category(row),
        description=row["description"],
        lat=row["lat"],
        lng=row["lng"],
        created_at=row["created_at"],
        due_at=row["due_at"],
    )
