"""Cases and case events for the live tests, written the way the router writes them: a
case_file row, case_event rows, and each event's envelope on the case-events topic (keyed by
case id). The live server under test only reads these; it never writes them."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from kafka import KafkaProducer
from sqlalchemy import Engine, text

from services.config import Config
from services.envelopes import CASE_EVENTS, PATROL_POSITIONS, envelope, topic_name

# 花坛 (flower bed): a category no other test files reports in, so the router never takes
# another test's report for a duplicate of a case written here.
CATEGORY = "104003"
STATE_AFTER = {
    "CaseRegistered": "registered",
    "CaseDispatched": "dispatched",
    "CaseAcknowledged": "acknowledged",
    "CaseReturned": "returned",
    "CaseResolved": "resolved",
    "CaseClosed": "closed",
}


class CaseWriter:
    """Writes cases and events into the run's database and publishes them to its topics."""

    def __init__(self, config: Config, engine: Engine):
        self.config = config
        self.engine = engine
        self.case_ids: list[str] = []
        self.producer = KafkaProducer(
            bootstrap_servers=config.kafka_bootstrap_servers.split(","),
            acks="all",
        )

    def new_case(self, cell_code: str, department: str = "sanitation", **report) -> str:
        """A registered and dispatched case in `cell_code`; returns its id."""
        report_id, case_id = uuid.uuid4(), uuid.uuid4()
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            lat, lng = conn.execute(
                text(
                    "SELECT ST_Y(ST_PointOnSurface(geom)), ST_X(ST_PointOnSurface(geom)) "
                    "FROM grid_cell WHERE code = :c ORDER BY version_id DESC LIMIT 1"
                ),
                {"c": cell_code},
            ).one()
            case_no = "T" + report_id.hex[:12]
            conn.execute(
                text(
                    "INSERT INTO report (id, case_no, channel, category_code, description, lat, "
                    "lng, crs, placement, cell_code, community_code, street_code, district_code, "
                    "occurred_at, body_hash) VALUES (:id, :no, 'grid', :cat, :d, :lat, :lng, "
                    "'wgs84', 'inside', :cell, left(:cell, 12), left(:cell, 9), left(:cell, 6), "
                    ":now, :hash)"
                ),
                {
                    "id": report_id, "no": case_no, "cat": CATEGORY, "lat": lat, "lng": lng,
                    "cell": cell_code, "now": now, "hash": report_id.hex,
                    "d": report.get("description", "花坛护栏损坏"),
                },
            )  # fmt: skip
            conn.execute(
                text(
                    "INSERT INTO department (code, name_zh, name_en, kind, jurisdiction_code) "
                    "VALUES (:dept, :dept, :dept, 'department', left(:cell, 6)) "
                    "ON CONFLICT (code) DO NOTHING"
                ),
                {"dept": department, "cell": cell_code},
            )
            conn.execute(
                text(
                    "INSERT INTO case_file (id, case_no, report_id, state, category_code, "
                    "priority, department_code, cell_code, community_code, street_code, "
                    "district_code, geom, created_at, ack_due, resolve_due) VALUES (:id, :no, "
                    ":rid, 'reported', :cat, 'normal', :dept, :cell, left(:cell, 12), "
                    "left(:cell, 9), left(:cell, 6), ST_SetSRID(ST_MakePoint(:lng, :lat), 4326), "
                    ":now, :ack, :resolve)"
                ),
                {
                    "id": case_id, "no": case_no, "rid": report_id, "cat": CATEGORY,
                    "dept": department, "cell": cell_code, "lat": lat, "lng": lng, "now": now,
                    "ack": now + timedelta(minutes=30), "resolve": now + timedelta(hours=4),
                },
            )  # fmt: skip
        self.case_ids.append(str(case_id))
        self.event(str(case_id), "CaseRegistered")
        self.event(str(case_id), "CaseDispatched", department_code=department)
        return str(case_id)

    def event(self, case_id: str, event_type: str, *, ago_s: float = 0.0, **payload) -> int:
        """Records one event on a case (moving its state), written `ago_s` seconds before now,
        and publishes it; returns its id."""
        body = envelope(event_type, {"case_id": case_id, **payload})
        with self.engine.begin() as conn:
            state = STATE_AFTER.get(event_type)
            if state:
                conn.execute(
                    text("UPDATE case_file SET state = :s WHERE id = :id"),
                    {"s": state, "id": case_id},
                )
            seq = conn.execute(
                text(
                    "INSERT INTO case_event (event_id, case_id, type, actor, at, payload) "
                    "VALUES (:eid, :cid, :type, 'test', now() - make_interval(secs => :ago), "
                    "CAST(:payload AS jsonb)) "
                    "RETURNING id"
                ),
                {
                    "eid": body["event_id"], "cid": case_id, "type": event_type,
                    "payload": json.dumps(body["payload"]), "ago": ago_s,
                },
            ).scalar_one()  # fmt: skip
        topic = topic_name(self.config.topic_prefix, CASE_EVENTS)
        self._send(topic, case_id, body)
        return int(seq)

    def pings(self, worker_id: int, lat: float, lng: float) -> None:
        """A worker's latest patrol point, as the relay publishes it from the outbox."""
        body = envelope(
            "WorkerPositionReported",
            {"worker_id": worker_id, "t": datetime.now(UTC).isoformat(), "lat": lat, "lng": lng},
        )
        topic = topic_name(self.config.topic_prefix, PATROL_POSITIONS)
        self._send(topic, str(worker_id), body)

    def _send(self, topic: str, key: str, body: dict) -> None:
        self.producer.send(topic, key=key.encode(), value=json.dumps(body).encode()).get(timeout=10)

    def close(self) -> None:
        """Closes the cases written here (no open case outlives its test) and the producer."""
        self.producer.close()
        if self.case_ids:
            with self.engine.begin() as conn:
                conn.execute(
                    text(
                        "UPDATE case_file SET state = 'closed', closed_at = now() "
                        "WHERE id::text = ANY(:ids)"
                    ),
                    {"ids": self.case_ids},
                )
