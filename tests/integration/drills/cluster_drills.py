"""The drills of a stage beyond one node: a three-broker Kafka cluster, a group of routers, a
PostgreSQL streaming replica serving the KPI pages, and a topic's partitions grown under load.

They run on a `Stage(cluster=True, replica=True)` (tests/integration/drills/stage.py) under the
same steady load of reports through the API as the single-node drills, and return the same
figures (accepted, dispatched, lost, duplicated, recovery_s, errors_seen_by_clients) plus what
is particular to each.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import requests
from sqlalchemy import text

from services.envelopes import REPORTS
from streams.topics import grow_partitions, replication
from tests.integration.drills import replica_marks
from tests.integration.drills.drills import FULL, Drills, passed
from tests.integration.drills.replica_marks import MARK
from tests.integration.streams.stream_helpers import read_topic

BROKER_OUTAGE_FULL_S = 60.0
DISPATCHED_AT = text(
    "SELECT c.report_id, EXTRACT(EPOCH FROM min(e.at)) AS at FROM case_file c JOIN case_event e "
    "ON e.case_id = c.id AND e.type IN ('CaseDispatched', 'CaseMerged') "
    "WHERE c.report_id = ANY(CAST(:ids AS uuid[])) GROUP BY c.report_id"
)


class ClusterDrills(Drills):
    """broker-down, router-group, replica-down and partitions-grow over one cluster stage."""

    # --- the KPI page and the replica ------------------------------------------------------

    def kpi_page(self, timeout_s: float = 30.0) -> tuple[int, set[str]]:
        """The KPI page's figures per department as the admin sees them: (status, the
        departments' Chinese names; empty unless 200)."""
        zone = ZoneInfo(self.stage.config.timezone)
        today = datetime.now(zone).date()
        try:
            resp = requests.get(
                f"{self.stage.api().url}/api/v1/stats/departments",
                params={"from": str(today - timedelta(days=1)), "to": str(today)},
                headers={"Authorization": f"Bearer {self.stage.admin_token}"},
                timeout=timeout_s,
            )
        except requests.RequestException:
            return -1, set()
        if resp.status_code != 200:
            return resp.status_code, set()
        return 200, {(i.get("name") or {}).get("zh") for i in resp.json()["items"]}

    def mark_replica(self) -> str:
        """Makes the replica alone show MARK as the name of a department with cases
        (`replica_marks.mark`); returns the department's real name."""
        code = replica_marks.busiest_department(self.stage)
        [marked] = replica_marks.mark(self.stage, ("department", "name_zh", code))
        return marked.real

    def unmark_replica(self) -> None:
        replica_marks.unmark(self.stage)

    def _source(self) -> tuple[int, str | None]:
        """Where the KPI page read, told by the marker: 'replica', 'primary' or None."""
        status, names = self.kpi_page()
        if status != 200:
            return status, None
        return status, "replica" if MARK in names else "primary"

    # --- the drills -----------------------------------------------------------------------

    def broker_down(self) -> dict:
        """One of three brokers SIGKILLed for outage_s (60 s at full size) and started again:
        the API accepts throughout, nothing is lost or doubled, and the under-replicated
        partitions (> 0 while it is down) are back to 0; replicated_again_s from its restart."""
        cluster = self.stage.cluster
        assert cluster is not None, "broker-down needs the stage's cluster"
        victim, seen = cluster.nodes[1], {}
        outage_s = BROKER_OUTAGE_FULL_S if self.scale == FULL else self.scale.outage_s

        def fault() -> float:
            victim.kill()
            self.log(f"  broker 2 of 3 killed; down for {outage_s} s")
            time.sleep(outage_s)
            seen["during"] = replication(self.stage.config)
            victim.start()
            back = time.monotonic()
            self.log("  broker 2 back")
            while time.monotonic() - back < 300:
                state = replication(self.stage.config)
                if state.under_replicated == 0 and len(state.brokers) == 3:
                    seen["whole_s"] = round(time.monotonic() - back, 2)
                    break
                time.sleep(0.5)
            return back

        stats, repaired = self._load_then(fault)
        during, after = seen["during"], replication(self.stage.config)
        return self._figures(stats, repaired, outage_s=outage_s,
                             under_replicated_while_down=during.under_replicated,
                             leaderless_while_down=during.leaderless,
                             under_replicated_after=after.under_replicated,
                             replicated_again_s=seen.get("whole_s"))  # fmt: skip

    def router_group(self) -> dict:
        """Three routers in one group; one SIGKILLed in the middle of a batch, a fourth added
        later: every report dispatched once; recovery_s from the kill."""
        for name in ("router-2", "router-3"):
            if name not in self.stage.procs or self.stage.procs[name].pid is None:
                self.stage.start("router", name)
        time.sleep(3.0)  # the group's first rebalance

        def fault() -> float:
            self._wait_for_backlog()
            self.stage.procs["router-2"].kill()
            killed = time.monotonic()
            self.log("  router-2 of 3 killed")
            time.sleep(self.scale.outage_s)
            self.stage.start("router", "router-4")
            self.log("  router-4 added")
            return killed

        stats, repaired = self._load_then(fault)
        figures = self._figures(stats, repaired, routers_before=3, routers_after=3)
        figures.update(self._delays(stats.accepted, repaired))
        for name in ("router-3", "router-4"):
            self.stage.procs[name].stop()
        return figures

    def replica_down(self) -> dict:
        """The KPI page is read from the replica; the replica stopped for outage_s: the page
        keeps answering, from the primary, and moves back to the replica once it is up again.
        Reports keep flowing meanwhile."""
        replica = self.stage.replica
        assert replica is not None, "replica-down needs the stage's replica"
        samples: list[tuple[float, float, int, str | None]] = []  # start, end, status, source
        stop = threading.Event()
        window: dict[str, float] = {}

        def watch() -> None:
            while not stop.is_set():
                started = time.monotonic()
                status, source = self._source()
                samples.append((started, time.monotonic(), status, source))
                stop.wait(0.5)

        def fault() -> float:
            self.mark_replica()
            watcher.start()
            deadline = time.monotonic() + 60
            while sum(1 for s in samples if s[3] == "replica") < 2:
                assert time.monotonic() < deadline, "the KPI page was never read from the replica"
                time.sleep(0.1)
            window["down"] = time.monotonic()
            replica.stop("fast")
            self.log(f"  replica stopped; down for {self.scale.outage_s} s")
            time.sleep(self.scale.outage_s)
            # a hot standby answers as soon as it is consistent, before pg_ctl returns
            window["starting"] = time.monotonic()
            replica.start()
            window["up"] = time.monotonic()
            self.log("  replica back")
            self.mark_replica()  # a fresh marker: the restarted replica replayed the first away
            return window["up"]

        watcher = threading.Thread(target=watch, daemon=True)
        stats, repaired = self._load_then(fault)
        stop.set()
        watcher.join(timeout=30)
        self.unmark_replica()
        # a request counts for a window when it was sent and answered within it
        before = [s for s in samples if s[1] < window["down"]]
        during = [s for s in samples if window["down"] + 3 <= s[0] and s[1] < window["starting"]]
        after = [s for s in samples if s[0] >= window["up"]]
        back = next((s[1] for s in after if s[3] == "replica"), None)
        return self._figures(
            stats, repaired, outage_s=self.scale.outage_s, kpi_requests=len(samples),
            kpi_failed=sum(1 for s in samples if s[2] != 200),
            kpi_slowest_s=round(max((s[1] - s[0] for s in samples), default=0.0), 2),
            kpi_from_replica_before=sum(1 for s in before if s[3] == "replica"),
            kpi_from_primary_while_down=sum(1 for s in during if s[3] == "primary"),
            kpi_while_down=len(during),
            kpi_back_on_replica_after_s=round(back - window["up"], 2) if back else None,
        )  # fmt: skip

    def partitions_grow(self) -> dict:
        """The partitions of reports.v1 raised (3 → 6) under load: nothing lost or doubled, and
        every cell's reports in order on the topic (per partition, by the API's outbox order);
        the new partitions are written to and consumed."""
        before = self.stage.partitions
        grown = before * 2

        def fault() -> float:
            grow_partitions(self.stage.config, REPORTS, grown)
            self.log(f"  {REPORTS}: {before} → {grown} partitions")
            # clients see them at their next metadata refresh (streams.kafka.METADATA_MAX_AGE_MS)
            time.sleep(max(self.scale.after_s, 12.0))
            return time.monotonic()

        stats, repaired = self._load_then(fault)
        figures = self._figures(stats, repaired, partitions_before=before,
                                partitions_after=grown)  # fmt: skip
        figures.update(self._order(set(stats.accepted), before))
        return figures

    def _delays(self, accepted: dict[str, float], since: float) -> dict:
        """How long reports accepted after `since` waited for their dispatch (the group's
        rebalances stall the partitions of a member that left until the others take them)."""
        offset = time.time() - time.monotonic()
        after = {rid: at + offset for rid, at in accepted.items() if at > since}
        with self.stage.engine.connect() as conn:
            rows = conn.execute(DISPATCHED_AT, {"ids": list(after)}).all()
        waits = sorted(float(r.at) - after[str(r.report_id)] for r in rows)
        return {
            "dispatch_wait_p50_s": round(waits[len(waits) // 2], 2) if waits else None,
            "dispatch_wait_max_s": round(waits[-1], 2) if waits else None,
            "reports_waiting_over_5s": sum(1 for w in waits if w > 5),
        }

    def _order(self, report_ids: set[str], old_partitions: int) -> dict:
        with self.stage.engine.connect() as conn:
            seq = {r.rid: r.id for r in conn.execute(text(
                "SELECT id, envelope->'payload'->>'report_id' AS rid FROM outbox "
                "WHERE topic = :t"), {"t": REPORTS})}  # fmt: skip
        per_key: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
        for key, value, partition, offset in read_topic(self.stage.config, REPORTS):
            rid = value.get("payload", {}).get("report_id") if isinstance(value, dict) else None
            if rid in report_ids and rid in seq:
                per_key[key].append((seq[rid], partition, offset))
        out_of_order = moved = 0
        for records in per_key.values():
            records.sort()
            last: dict[int, int] = {}
            for _, partition, offset in records:
                if offset < last.get(partition, -1):
                    out_of_order += 1
                last[partition] = offset
            parts = [p for _, p, _ in records]
            # a cell moves at most once (to its partition under the new count), never back
            switches = sum(1 for a, b in zip(parts, parts[1:], strict=False) if a != b)
            out_of_order += max(0, switches - 1)
            moved += switches > 0
        on_new = sum(1 for recs in per_key.values() for _, p, _ in recs if p >= old_partitions)
        return {"cells": len(per_key), "cells_moved_partition": moved,
                "reports_on_new_partitions": on_new, "out_of_order": out_of_order}  # fmt: skip


CLUSTER_NAMES = {
    "broker-down": ClusterDrills.broker_down,
    "router-group": ClusterDrills.router_group,
    "replica-down": ClusterDrills.replica_down,
    "partitions-grow": ClusterDrills.partitions_grow,
}


def cluster_passed(name: str, figures: dict) -> bool:
    """The acceptance of a cluster drill: nothing lost or doubled, and what is particular."""
    ok = passed(name, figures) and figures["errors_seen_by_clients"] == 0
    if name == "broker-down":
        ok = ok and figures["under_replicated_after"] == 0
        ok = ok and figures["replicated_again_s"] is not None
    if name == "replica-down":
        ok = ok and figures["kpi_failed"] == 0 and figures["kpi_from_replica_before"] > 0
        ok = ok and figures["kpi_while_down"] == figures["kpi_from_primary_while_down"] > 0
        ok = ok and figures["kpi_back_on_replica_after_s"] is not None
    if name == "partitions-grow":
        ok = ok and figures["out_of_order"] == 0 and figures["reports_on_new_partitions"] > 0
    return ok
