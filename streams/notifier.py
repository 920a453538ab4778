"""`gridflow notifier`: each milestone of a case to its reporter, effectively once.

Two halves in one process:

* the processor (consumer group `notifier` on case-events.v1, in the one consume loop of
  `streams.loop`) turns a milestone event into notifications (`services.notify.messages`)
  and queues them in PostgreSQL, one row per (event, recipient): a redelivered batch after a
  crash, or a replay from offset 0 (a new `--group`), finds them queued and adds nothing;
* the sender sends each recipient's queued notifications in order, one at a time under the
  row's lock: delivered → recorded; failed → retried after a backoff doubling from
  GRIDFLOW_NOTIFY_BACKOFF_FIRST_S to _CAP_S, later ones of that recipient waiting behind it
  (so a receiver that comes back gets them all in order); after GRIDFLOW_NOTIFY_MAX_ATTEMPTS
  the notification is dead (dead-lettered: on the dead-letter topic, and listed to admins by
  `GET /api/v1/admin/notifications?status=dead`) and the next one goes.

A grid worker's notification (channel `app`) is delivered by handing it to Kafka
(app-notifications.v1, acknowledged by the broker): every `serve` pushes it to that account's
sockets, and the phone reads what it missed from the queue.

The one duplicate left possible is a crash between a receiver's 2xx and the record of it:
the notification is sent again with the same `X-Gridflow-Delivery` id for the receiver to drop
(a phone drops a repeated notification id the same way).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from services.config import Config
from services.envelopes import APP_NOTIFICATIONS, CASE_EVENTS, DEAD_LETTER, envelope, topic_name
from services.notify.channels import DeliveryFailed, send_sms, send_webhook
from services.notify.messages import MILESTONES, notifications_for
from services.store.db import make_engine
from services.store.notifications import (
    due_heads,
    mark_delivered,
    mark_failed,
    queue_notifications,
    reporter_of_case,
)
from streams.consumed import Event
from streams.kafka import make_consumer, make_producer
from streams.loop import ConsumeLoop
from streams.topics import wait_for_topics

log = logging.getLogger(__name__)
NOTIFIER = "notifier"
SEND_INTERVAL_S = 0.2
ERROR_PAUSE_S = 5.0
Clock = Callable[[], datetime]


def make_notifier(engine: Engine, config: Config) -> Callable[[Event], None]:
    """The processor: queues the notifications of a milestone event (idempotent)."""

    def notify(event: Event) -> None:
        if event.type not in MILESTONES:
            return
        case_id = event.payload["case_id"]
        with engine.begin() as conn:
            reporter = reporter_of_case(conn, case_id)
            rows = notifications_for(
                {"event_id": event.event_id, "type": event.type, "occurred_at": event.occurred_at,
                 "case_id": case_id, "payload": event.payload}, reporter, config,
            )  # fmt: skip
            queue_notifications(conn, rows)

    return notify


def retry_delay(config: Config, attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt (1, 2, …)."""
    first, cap = config.notify_backoff_first_s, config.notify_backoff_cap_s
    return timedelta(seconds=min(cap, first * 2 ** (attempts - 1)))


class Sender:
    """Sends the due notifications, each recipient's in order (see the module text)."""

    def __init__(self, engine: Engine, config: Config, producer: Any = None,
                 clock: Clock = lambda: datetime.now(UTC)) -> None:  # fmt: skip
        self.engine, self.config, self.producer, self.clock = engine, config, producer, clock

    def deliver_due(self) -> int:
        """One round: every recipient whose oldest pending notification is due gets one
        attempt. Returns how many were delivered."""
        with self.engine.connect() as conn:
            heads = [h["id"] for h in due_heads(conn, self.clock())]
            conn.rollback()
        return sum(self._attempt(notification_id) for notification_id in heads)

    def _attempt(self, notification_id: int) -> bool:
        with self.engine.begin() as conn:
            row = conn.execute(
                text("SELECT * FROM notification WHERE id = :id AND status = 'pending' "
                     "FOR UPDATE SKIP LOCKED"), {"id": notification_id},
            ).mappings().first()  # fmt: skip
            if row is None:
                return False
            try:
                self._send(dict(row))
            except DeliveryFailed as exc:
                attempts = row["attempts"] + 1
                last = attempts >= self.config.notify_max_attempts
                retry_at = None if last else self.clock() + retry_delay(self.config, attempts)
                mark_failed(conn, row["id"], error=str(exc), retry_at=retry_at)
                outcome = "dead" if last else "retried"
                log.warning("notification %s to %s failed (%s), attempt %d, %s", row["id"],
                            row["recipient"], exc, attempts, outcome)  # fmt: skip
                if last:
                    self._dead_letter(dict(row), str(exc))
                return False
            mark_delivered(conn, row["id"], self.clock())
            return True

    def _send(self, row: dict[str, Any]) -> None:
        if row["channel"] == "app":
            self._send_to_app(row)
            return
        if row["channel"] == "sms":
            gateway = self.config.sms_gateway(row["body"].get("district_code"))
            if gateway is None:
                raise DeliveryFailed("no SMS gateway is configured")
            send_sms(gateway, row["body"], timeout_s=self.config.notify_timeout_s)
            return
        with self.engine.connect() as conn:
            secret = conn.execute(
                text("SELECT webhook_secret FROM open311_client WHERE id = :id"),
                {"id": int(row["recipient"].split(":", 1)[1])},
            ).scalar()
        send_webhook(row["target"], secret, row["body"], delivery_id=f"{row['event_id']}:"
                     f"{row['recipient']}", timeout_s=self.config.notify_timeout_s)  # fmt: skip

    def _send_to_app(self, row: dict[str, Any]) -> None:
        """Hands a phone app notification to Kafka (acknowledged by the broker): every `serve`
        pushes it to the account's sockets; a phone that is not connected reads it from the
        queue when it is (GET /api/v1/me/notifications)."""
        if self.producer is None:
            raise DeliveryFailed("no Kafka producer")
        account = row["recipient"].split(":", 1)[1]
        payload = {"id": row["id"], "account_id": int(account), "case_id": str(row["case_id"]),
                   **row["body"]}  # fmt: skip
        message = envelope("ReporterNotified", payload)
        topic = topic_name(self.config.topic_prefix, APP_NOTIFICATIONS)
        try:
            self.producer.send(topic, key=account, value=message).get(
                timeout=self.config.notify_timeout_s
            )
        except Exception as exc:  # noqa: BLE001 - any failure of the broker is a failed delivery
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from None

    def _dead_letter(self, row: dict[str, Any], reason: str) -> None:
        if self.producer is None:
            return
        payload = {"consumer": NOTIFIER, "source_topic": "notification", "key": str(row["case_id"]),
                   "reason": reason, "error": "DeliveryFailed", "event_id": str(row["event_id"]),
                   "event_type": row["event_type"], "recipient": row["recipient"]}  # fmt: skip
        letter = envelope("EventDeadLettered", payload, occurred_at=self.clock())
        topic = topic_name(self.config.topic_prefix, DEAD_LETTER)
        self.producer.send(topic, key=payload["key"], value=letter)

    def run(self, stop: threading.Event) -> None:
        """Rounds every SEND_INTERVAL_S until `stop`. A database outage pauses sending until
        the next round; any other failure of a round is logged with its traceback and sending
        resumes after ERROR_PAUSE_S (the consumer half goes on queueing meanwhile)."""
        while not stop.wait(SEND_INTERVAL_S):
            try:
                self.deliver_due()
            except DBAPIError as exc:
                log.warning("notifier: sending paused (%s)", type(exc).__name__)
            except Exception:  # noqa: BLE001 - logged; the thread must outlive one bad round
                log.exception("notifier: a sending round failed")
                stop.wait(ERROR_PAUSE_S)


def run_notifier(config: Config, stop: threading.Event, *, group: str = NOTIFIER) -> None:
    """Runs the notifier until `stop` is set: topics, the sender thread, the consume loop.
    A new `group` starts at offset 0 (a replay: nothing is sent twice)."""
    if not wait_for_topics(config, stop):
        return
    engine = make_engine(config.database_url, pool_size=4)
    consumer = make_consumer(config, [CASE_EVENTS], group=group, client_id="gridflow-notifier")
    producer = make_producer(config, client_id="gridflow-notifier")
    sender = threading.Thread(target=Sender(engine, config, producer).run, args=(stop,),
                              name="notifier-send", daemon=True)  # fmt: skip
    sender.start()
    try:
        ConsumeLoop(config, name=NOTIFIER, consumer=consumer, producer=producer,
                    processor=make_notifier(engine, config), stop=stop).run()  # fmt: skip
    finally:
        stop.set()
        sender.join(timeout=30)
        consumer.close(autocommit=False)
        producer.close(timeout=5)
        engine.dispose()
