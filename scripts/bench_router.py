"""Benchmark: router throughput vs a bare consume→produce loop (`./scripts/bench router`).

The report topic of a scratch installation is pre-filled with M ReportCaptured events (reports
captured through the capture command, published by `gridflow relay`). Then, in the same run:

1. passthrough — a bare kafka-python loop (the project's consumer and producer settings:
   200 records a poll, idempotent producer with acks=all, flush and commit after each poll)
   consumes the M records and produces each one unchanged to another topic;
2. router — a `gridflow router` process in a new consumer group registers, routes and
   dispatches a case for each of the M records (a poll's reports in GRIDFLOW_ROUTER_LANES
   transactions side by side, GRIDFLOW_ROUTER_BATCH_SIZE reports at most a poll).

Figures: msgs/s of both (first record to last, startup excluded), ratio router/passthrough, and
the CPU each phase cost (the router process, PostgreSQL, Kafka; the loop is this process).
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import benchlib
from sqlalchemy import text

from services.envelopes import REPORTS, topic_name
from services.store.db import make_engine

DISTRICT = "330211"


def capture(config, engine, count: int, threads: int) -> list[str]:
    """`count` reports through the capture command (report row + outbox event), in threads."""
    from services.app import create_app
    from services.capture.intake import CaptureReport, capture_report
    from services.capture.placement import place

    categories = benchlib.load_demo_data(engine)
    cells = benchlib.current_cells(engine, DISTRICT)
    worker_id = benchlib.make_grid_workers(engine, config, [cells[0][0]], 1, "bench-router")[0][0]
    plan = benchlib.ReportPlan(cells, categories)
    bodies = [plan.body() for _ in range(count)]
    app = create_app(config)
    gf = app.extensions["gridflow"]

    def locate(lat, lng, crs, accuracy):
        return place(gf, lat, lng, crs, accuracy)

    def one(body: dict) -> str:
        loc = body["location"]
        cmd = CaptureReport(
            id=uuid.UUID(body["id"]), channel="grid", category_code=body["category"],
            description=body["description"], lat=loc["lat"], lng=loc["lng"], crs=loc["crs"],
            accuracy_m=loc["accuracy_m"], occurred_at=datetime.fromisoformat(body["occurred_at"]),
            canonical=body, reporter_id=worker_id,
        )  # fmt: skip
        return str(capture_report(gf.engine, config.media_dir, locate, cmd).report_id)

    try:
        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(one, bodies))
    finally:
        gf.locator.close()
        gf.engine.dispose()


def wait_for(predicate, timeout_s: float, what: str, step_s: float = 0.2):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step_s)
    raise TimeoutError(f"{what}: not done within {timeout_s} s")


def publish(config, engine) -> float:
    """Runs `gridflow relay` until the outbox is empty; returns the seconds it took."""
    started = time.monotonic()
    relay = benchlib.Process("router", "relay", ["relay"], config)
    try:
        wait_for(lambda: _unsent(engine) == 0, 900, "publishing the outbox", 0.5)
    finally:
        relay.stop()
    return time.monotonic() - started


def _unsent(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM outbox WHERE sent_at IS NULL")).scalar_one()


def passthrough(config, count: int, database: str) -> dict:
    """The bare loop: consume the report topic, produce every record unchanged elsewhere."""
    from kafka import KafkaConsumer

    from streams.kafka import CLIENT_METRICS, bootstrap, make_admin, make_producer

    out_topic = f"{config.topic_prefix}bench.passthrough"
    admin = make_admin(config)
    try:
        admin.create_topics({out_topic: {"num_partitions": config.topic_partitions,
                                         "replication_factor": 1}})  # fmt: skip
    finally:
        admin.close()
    consumer = KafkaConsumer(
        topic_name(config.topic_prefix, REPORTS), bootstrap_servers=bootstrap(config),
        group_id=f"{config.topic_prefix}bench-passthrough", enable_auto_commit=False,
        auto_offset_reset="earliest", max_poll_records=200, metrics_enabled=CLIENT_METRICS,
    )  # fmt: skip
    producer = make_producer(config, client_id="bench-passthrough")
    sampler = benchlib.Sampler({}, database).start()
    own_cpu = benchlib.self_cpu_s()
    done, first = 0, None
    try:
        deadline = time.monotonic() + 600
        while done < count and time.monotonic() < deadline:
            batches = consumer.poll(timeout_ms=500)
            for records in batches.values():
                if first is None and records:
                    first = time.monotonic()
                for record in records:
                    producer.send(out_topic, key=record.key, value=record.value)
                    done += 1
            if batches:
                producer.flush(timeout=30)
                consumer.commit()
        last = time.monotonic()
    finally:
        own_cpu = benchlib.self_cpu_s() - own_cpu
        usage = sampler.stop()
        consumer.close(autocommit=False)
        producer.close(timeout=5)
    if done < count:
        raise RuntimeError(f"passthrough saw {done} of {count} records")
    elapsed = last - (first or last)
    return {
        "messages": done,
        "seconds": round(elapsed, 3),
        "msgs_per_s": round((done - 1) / elapsed, 1) if elapsed > 0 else None,
        "cpu_s": {**usage["cpu_s"], "passthrough loop": round(own_cpu, 3)},
    }


def route(config, engine, count: int) -> dict:
    """A `gridflow router` in a new group over the pre-filled topic, until every report has a
    case; throughput from the first registration to the last case committed."""
    router = benchlib.Process("router", "router", ["router", "--group", "bench-router"], config)
    sampler = benchlib.Sampler({"router": router.pid}, engine.url.database).start()
    try:
        wait_for(lambda: _cases(engine) >= count, 1800, "routing every report", 0.1)
        done_at = datetime.now(UTC)
        usage = sampler.stop()
    finally:
        code = router.stop()
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT count(*) AS n, min(registered_at) AS first, "
                "count(*) FILTER (WHERE state = 'dispatched') AS dispatched FROM case_file"
            )
        ).one()
    # From the first batch's registration instant (a batch's cases share one) to the moment
    # the last case was seen committed (polled every 0.1 s).
    elapsed = (done_at - row.first).total_seconds()
    return {
        "messages": row.n,
        "dispatched": row.dispatched,
        "seconds": round(elapsed, 3),
        "msgs_per_s": round((row.n - 1) / elapsed, 1) if elapsed > 0 else None,
        "cpu_s": usage["cpu_s"],
        "postgres_cpu_s_by_client": usage["postgres_cpu_s_by_client"],
        "cpu_ms_per_message": round(usage["cpu_s_total"] * 1000 / row.n, 2),
        "peak_rss_mb": usage["peak_rss_mb"],
        "exit_code": code,
    }


def _cases(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM case_file")).scalar_one()


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--capture-threads", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=None,
                        help="GRIDFLOW_ROUTER_BATCH_SIZE (default: the Config's)")  # fmt: skip
    parser.add_argument("--lanes", type=int, default=None,
                        help="GRIDFLOW_ROUTER_LANES (default: the Config's)")  # fmt: skip
    parser.add_argument("--fetch-wait", type=int, default=None,
                        help="GRIDFLOW_ROUTER_FETCH_WAIT_MS (default: the Config's)")  # fmt: skip
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    info = benchlib.machine()
    with benchlib.bench_database("router", keep=args.keep_db) as db:
        changes = {} if args.batch_size is None else {"router_batch_size": args.batch_size}
        if args.lanes is not None:
            changes["router_lanes"] = args.lanes
        if args.fetch_wait is not None:
            changes["router_fetch_wait_ms"] = args.fetch_wait
        config = benchlib.bench_config(db.app, "router", **changes)
        engine = make_engine(db.owner)
        try:
            t0 = time.monotonic()
            capture(config, engine, args.messages, args.capture_threads)
            captured_s = time.monotonic() - t0
            published_s = publish(config, engine)
            bare = passthrough(config, args.messages, engine.url.database)
            routed = route(config, engine, args.messages)
        finally:
            engine.dispose()
            benchlib.drop_topics(config)
    ratio = None
    if routed["msgs_per_s"] and bare["msgs_per_s"]:
        ratio = round(routed["msgs_per_s"] / bare["msgs_per_s"], 4)
    doc = {
        "machine": info,
        "parameters": {
            "messages": args.messages,
            "topic_partitions": config.topic_partitions,
            "router_batch_size": config.router_batch_size,
            "router_lanes": config.router_lanes,
            "router_fetch_wait_ms": config.router_fetch_wait_ms,
            "prefill": f"captured in {captured_s:.1f} s, published by gridflow relay in "
            f"{published_s:.1f} s",
            "passthrough": "kafka-python consumer (200 records a poll) → idempotent producer "
            "(acks=all, linger 5 ms), flush + commit after each poll; records not decoded; "
            "kafka-python's in-client metrics off, as in gridflow's clients",
            "router": "gridflow router, one consumer, new group; every report registered and "
            "dispatched (reports spread beyond duplicate radii)",
        },
        "figures": {
            "router_msgs_per_s": routed["msgs_per_s"],
            "passthrough_msgs_per_s": bare["msgs_per_s"],
            "ratio": ratio,
            "router": routed,
            "passthrough": bare,
        },
        "targets": {"ratio": ">= 0.5"},
    }
    path = benchlib.write_result("router", doc, benchlib.Path(args.out) if args.out else None)
    print(f"wrote {path}", file=sys.stderr)
    return doc


if __name__ == "__main__":
    main()
