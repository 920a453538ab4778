"""The patrol processor's half of `./scripts/bench patrol`: `gridflow patrol`'s fold on a
topic filled with a city's worker-days of walking (workers on the streets of their cells, a
ping every 15 s, batches of 20 as phones send them), against a bare consume loop over the same
records; then lag at a steady offered rate; a full recomputation of the day's coverage; and
the storage of a worker-day (raw points, simplified track)."""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import benchlib
from patrol_stream_setup import engines_compared, full_recomputation, make_workers, storage

from services.envelopes import PATROL_PINGS, envelope, topic_name
from services.simulate.streets import StreetWalk
from streams.consumed import decode
from streams.kafka import make_consumer, make_producer
from streams.loop import ConsumeLoop
from streams.patrol import make_patrol

PER_BATCH = 20
EVERY_S = 15


def fill(config, workers, pings: int, day_start: datetime) -> int:
    """Produces every worker's `pings` points from `day_start`; returns the events sent."""
    producer = make_producer(config, client_id="bench-patrol-fill")
    topic = topic_name(config.topic_prefix, PATROL_PINGS)
    rng = random.Random(7)
    sent = 0
    try:
        for worker_id, _cell, ring in workers:
            walker = StreetWalk(ring, rng)
            for start in range(0, pings, PER_BATCH):
                points = []
                for j in range(start, min(pings, start + PER_BATCH)):
                    lat, lng = walker.step(1.2 * EVERY_S)
                    t = day_start + timedelta(seconds=EVERY_S * j)
                    points.append(
                        {
                            "t": t.isoformat(),
                            "lat": round(lat, 7),
                            "lng": round(lng, 7),
                            "accuracy_m": 8.0,
                        }
                    )
                body = envelope(
                    "PatrolPingsReceived",
                    {"worker_id": worker_id, "batch_id": f"{worker_id}-{start}", "pings": points},
                )
                producer.send(topic, key=str(worker_id), value=body)
                sent += 1
        producer.flush(timeout=120)
    finally:
        producer.close(timeout=5)
    return sent


def bare_loop(config, events: int) -> dict:
    """The same records through a bare loop: poll, decode each envelope, commit."""
    consumer = make_consumer(config, [PATROL_PINGS], group="bench-bare", client_id="bench-bare")
    done, pings, first = 0, 0, None
    try:
        deadline = time.monotonic() + 900
        while done < events and time.monotonic() < deadline:
            polled = consumer.poll(timeout_ms=500)
            for records in polled.values():
                first = first or time.monotonic()
                for record in records:
                    pings += len(decode(record).payload["pings"])
                    done += 1
            if polled:
                consumer.commit()
        last = time.monotonic()
    finally:
        consumer.close(autocommit=False)
    elapsed = last - (first or last)
    return {
        "events": done,
        "pings": pings,
        "seconds": round(elapsed, 3),
        "pings_per_s": round(pings / elapsed, 1) if elapsed > 0 else None,
    }


class Timed:
    """The processor with a stopwatch: each chunk's apply time, and each event's lag (its
    envelope's occurred_at → its chunk committed and its coverage change published)."""

    def __init__(self, engine, config) -> None:
        self.chunks: list[float] = []
        self.lags: list[float] = []
        self.pings = 0
        self.first = self.last = None
        fold, self.fold_one = make_patrol(engine, config)

        def timed(events):
            started = time.monotonic()
            refused = fold(events)
            now = time.monotonic()
            self.first = self.first or started
            self.last = now
            self.chunks.append(now - started)
            wall = datetime.now(UTC)
            self.lags += [(wall - e.occurred_at).total_seconds() for e in events]
            self.pings += sum(len(e.payload.get("pings") or ()) for e in events)
            return refused

        self.fold = timed


class Running:
    """`gridflow patrol`'s consume loop in a thread (consumer group `group`), timed."""

    def __init__(self, config, engine, group: str, batch_size: int) -> None:
        self.timed = Timed(engine, config)
        self.stop = threading.Event()
        self.consumer = make_consumer(config, [PATROL_PINGS], group=group, client_id="bench-patrol")
        self.producer = make_producer(config, client_id="bench-patrol")
        loop = ConsumeLoop(
            config,
            name="patrol",
            consumer=self.consumer,
            producer=self.producer,
            processor=self.timed.fold_one,
            stop=self.stop,
            batch_processor=self.timed.fold,
            batch_size=batch_size,
        )
        self.thread = threading.Thread(target=loop.run, daemon=True)
        self.thread.start()

    def wait_for(self, pings: int, timeout_s: float = 1800) -> None:
        deadline = time.monotonic() + timeout_s
        while self.timed.pings < pings and time.monotonic() < deadline:
            time.sleep(0.1)
        if self.timed.pings < pings:
            raise RuntimeError(f"the processor applied {self.timed.pings} of {pings} pings")

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=60)
        self.consumer.close(autocommit=False)
        self.producer.close(timeout=5)


def offer(config, workers, rate: float, duration_s: float) -> int:
    """Today's pings at `rate` a second for `duration_s`, in batches of PER_BATCH (their
    envelope's occurred_at is the send time); each worker's pings a second apart in device
    time, a batch going on from where the worker's last one ended (from 5 minutes ago), as a
    phone's batches do: in order, none inside another's stretch (a batch overlapping the
    last one would be late data, each walking its day again). Returns the pings sent."""
    producer = make_producer(config, client_id="bench-patrol-offer")
    topic = topic_name(config.topic_prefix, PATROL_PINGS)
    rng = random.Random(11)
    walkers = [(w, StreetWalk(ring, rng)) for w, _c, ring in workers]
    clocks = dict.fromkeys((w for w, _c, _r in workers), datetime.now(UTC) - timedelta(minutes=5))
    every = PER_BATCH / rate
    sent, started = 0, time.monotonic()
    try:
        i = 0
        while time.monotonic() - started < duration_s:
            due = started + i * every
            time.sleep(max(0.0, due - time.monotonic()))
            worker_id, walker = walkers[i % len(walkers)]
            now = datetime.now(UTC)
            points = []
            for j in range(PER_BATCH):
                lat, lng = walker.step(1.2)
                points.append(
                    {
                        "t": (clocks[worker_id] + timedelta(seconds=j + 1)).isoformat(),
                        "lat": round(lat, 7),
                        "lng": round(lng, 7),
                        "accuracy_m": 8.0,
                    }
                )
            clocks[worker_id] += timedelta(seconds=PER_BATCH)
            body = envelope(
                "PatrolPingsReceived",
                {"worker_id": worker_id, "batch_id": f"live-{i}", "pings": points},
                occurred_at=now,
            )
            producer.send(topic, key=str(worker_id), value=body)
            sent += PER_BATCH
            i += 1
        producer.flush(timeout=60)
    finally:
        producer.close(timeout=5)
    return sent


def run(
    config,
    engine,
    *,
    workers: int,
    pings: int,
    rate: float,
    duration_s: float,
    batch_size: int = 200,
) -> dict:
    """Every figure of the processor's half (see the module text)."""
    zone = ZoneInfo(config.timezone)
    day = datetime.now(zone).date() - timedelta(days=1)
    made = make_workers(engine, workers, f"bench-walker-{random.randrange(10**6)}-")
    events = fill(
        config, made, pings, datetime.combine(day, datetime.min.time(), zone) + timedelta(hours=8)
    )
    bare = bare_loop(config, events)
    patrol = Running(config, engine, "bench-patrol", batch_size)
    try:
        patrol.wait_for(bare["pings"])
        timed = patrol.timed
        elapsed = timed.last - timed.first
        folded = {
            "pings": timed.pings,
            "seconds": round(elapsed, 3),
            "pings_per_s": round(timed.pings / elapsed, 1) if elapsed > 0 else None,
            "chunk_apply_p50_ms": benchlib.ms(benchlib.percentile(timed.chunks, 50)),
            "chunk_apply_p99_ms": benchlib.ms(benchlib.percentile(timed.chunks, 99)),
        }
        timed.lags, timed.chunks = [], []
        offered = offer(config, made, rate, duration_s)
        patrol.wait_for(bare["pings"] + offered, timeout_s=600)
        lags, chunks = list(timed.lags), list(timed.chunks)
    finally:
        patrol.close()
    ratio = None
    if folded["pings_per_s"] and bare["pings_per_s"]:
        ratio = round(folded["pings_per_s"] / bare["pings_per_s"], 4)
    return {
        "parameters": {
            "workers": workers,
            "pings_per_worker_day": pings,
            "pings_per_batch": PER_BATCH,
            "ping_every_s": EVERY_S,
            "lag_offered_pings_per_s": rate,
            "lag_duration_s": duration_s,
            "lag_batches_in_device_time_order": True,
            "processor_batch_size": batch_size,
        },
        "bare_loop": bare,
        "processor": folded,
        "ratio": ratio,
        "lag": {
            "offered_pings": offered,
            "lag_p50_ms": benchlib.ms(benchlib.percentile(lags, 50)),
            "lag_p99_ms": benchlib.ms(benchlib.percentile(lags, 99)),
            "layer_update_p50_ms": benchlib.ms(benchlib.percentile(chunks, 50)),
            "layer_update_p99_ms": benchlib.ms(benchlib.percentile(chunks, 99)),
        },
        "full_recomputation_of_the_day": full_recomputation(engine, config, day),
        "coverage_postgis_against_shapely": engines_compared(engine, config, day),
        "storage": storage(engine, day),
    }
