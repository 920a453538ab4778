"""Processor groups beyond the routers: three notifiers and three patrol processors side by
side in their consumer groups, one SIGKILLed while the group holds records not yet committed,
a fourth added `outage_s` later, under a steady load through the API. Both groups are started
with the stage's processes, as in a deployment.

- `notifier-group`: requests of 16 Open311 apps, each reporter told the dispatch by webhook
  at a real local receiver: every accepted request's notification arrives, and none twice
  (the receiver counts each `X-Gridflow-Delivery` id it got);
- `patrol-group`: the stage's grid workers' ping batches: every accepted ping is stored once,
  and every figure (worker-days, cell coverage, flags) equals what one processor alone folds
  from the same topic (the ground truth: the group's figures kept, the patrol tables emptied,
  a single processor in a fresh group replaying the topic from offset 0).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter

from sqlalchemy import text

from services.auth.apikeys import create_client
from services.envelopes import CASE_EVENTS, PATROL_PINGS
from streams.patrol import run_patrol
from tests.integration.drills.cluster_drills import CLUSTER_NAMES, ClusterDrills, cluster_passed
from tests.integration.drills.figures import PATROL_FIGURES, compare_patrol
from tests.integration.drills.group_load import Open311Fleet, PingPlan
from tests.integration.drills.groups import joined, lag
from tests.integration.drills.load import Fleet
from tests.integration.streams.webhooks import Receiver

MEMBERS = 3
# Apps the requests are spread over: a recipient's notifications go one at a time, in order
# (streams/notifier.py), so one app's webhook takes a few a second whatever the group's size.
APPS = 16
DISPATCH_EVENTS = text(
    "SELECT c.report_id, e.event_id, r.open311_client_id AS client FROM case_file c "
    "JOIN report r ON r.id = c.report_id JOIN case_event e ON e.case_id = c.id "
    "AND e.type IN ('CaseDispatched', 'CaseMerged') WHERE c.report_id = ANY(CAST(:ids AS uuid[]))"
)
WORKERS = text(
    "SELECT username, id FROM app_user WHERE role = 'grid_worker' AND username LIKE 'drill-%'"
)
STORED = text("SELECT worker_id, count(*) AS n FROM patrol_point GROUP BY worker_id")


class GroupDrills(ClusterDrills):
    """notifier-group and patrol-group, beside the cluster drills, on the cluster stage."""

    # --- shared ---------------------------------------------------------------------------

    def start_processes(self) -> None:
        """Every process of a deployment: serve, relay, router, and the notifier and patrol
        groups (started now, they have formed by the time their drill comes)."""
        super().start_processes()
        for kind in ("notifier", "patrol"):
            for i in range(1, MEMBERS + 1):
                self.stage.start(kind, f"{kind}-{i}")

    def _members(self, kind: str, timeout_s: float = 300.0) -> list[str]:
        """The MEMBERS processes of `kind` (started if not running), once its group holds
        them all."""
        names = [f"{kind}-{i}" for i in range(1, MEMBERS + 1)]
        for name in names:
            if name not in self.stage.procs or self.stage.procs[name].pid is None:
                self.stage.start(kind, name)
        self._formed(kind, MEMBERS, timeout_s)
        return names

    def _formed(self, group: str, members: int, timeout_s: float = 300.0) -> None:
        """Waits until `group` is stable with at least `members` members (a process's first
        join may take minutes on a loaded machine)."""
        deadline = time.monotonic() + timeout_s
        while (state := joined(self.stage.config, group))[0] != "Stable" or state[1] < members:
            assert time.monotonic() < deadline, f"the {group} group did not form"
            time.sleep(0.5)

    def _kill_one_then_add(self, kind: str, logical: str) -> float:
        """Waits until the group holds records not yet committed, SIGKILLs its second member,
        adds a fourth after outage_s; the time of the kill."""
        deadline = time.monotonic() + 20
        while lag(self.stage.config, kind, logical) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.stage.procs[f"{kind}-2"].kill()
        killed = time.monotonic()
        self.log(f"  {kind}-2 of {MEMBERS} killed")
        time.sleep(self.scale.outage_s)
        self.stage.start(kind, f"{kind}-{MEMBERS + 1}")
        self.log(f"  {kind}-{MEMBERS + 1} added")
        return killed

    def _stop(self, kind: str) -> None:
        """Stops every process of `kind` (SIGTERM to all first, then each awaited)."""
        procs = [p for p in self.stage.procs.values() if p.kind == kind and p.pid is not None]
        for proc in procs:
            proc.popen.terminate()
        for proc in procs:
            proc.stop()

    def _until(self, done, idle_s: float = 60.0) -> float | None:
        """Polls `done()` (a count that grows, and whether it is complete) while it moves;
        time.monotonic() when complete, None if it stopped moving or settle_s passed."""
        deadline = time.monotonic() + self.scale.settle_s
        best, moved = -1, time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - moved < idle_s:
            count, complete = done()
            if complete:
                return time.monotonic()
            if count > best:
                best, moved = count, time.monotonic()
            time.sleep(0.3)
        return None

    # --- the drills -----------------------------------------------------------------------

    def notifier_group(self) -> dict:
        """Three notifiers; one SIGKILLed while the group holds records, a fourth added: every
        accepted Open311 request's dispatch reaches the app's webhook exactly once."""
        receiver = Receiver()
        with self.stage.engine.begin() as conn:
            keys = [create_client(conn, f"drill-app-{uuid.uuid4().hex[:8]}",
                                  webhook_url=receiver.url, webhook_secret="drill")
                    for _ in range(APPS)]  # fmt: skip
        try:
            self._members("notifier")
            self._formed("router", 1)  # the requests' dispatches are what is notified
            fleet = Open311Fleet([self.stage.api().url], self.plan, keys, self.scale.rate)
            stats, killed = self._load_then(
                lambda: self._kill_one_then_add("notifier", CASE_EVENTS), fleet=fleet
            )
            figures = self._figures(stats, killed, notifiers_before=MEMBERS,
                                    notifiers_after=MEMBERS)  # fmt: skip
            with self.stage.engine.connect() as conn:
                rows = conn.execute(DISPATCH_EVENTS, {"ids": list(stats.accepted)}).all()
            expected = {f"{r.event_id}:webhook:{r.client}": str(r.report_id) for r in rows}

            def delivered() -> tuple[int, bool]:
                got = {d["headers"]["X-Gridflow-Delivery"] for d in receiver.deliveries()}
                return len(got & set(expected)), set(expected) <= got

            settled = self._until(delivered)
            got = receiver.deliveries()
            times = Counter(d["headers"]["X-Gridflow-Delivery"] for d in got)
            first = {}
            for d in got:
                first.setdefault(d["headers"]["X-Gridflow-Delivery"], d["at"])
            waits = sorted(first[i] - stats.accepted[r] for i, r in expected.items()
                           if i in first and stats.accepted[r] > killed)  # fmt: skip
            figures.update(
                notifications_expected=len(expected),
                notifications_delivered=sum(1 for i in expected if i in times),
                notifications_lost=sum(1 for i in expected if i not in times)
                + (figures["accepted"] - len(expected)),
                # The same delivery again: a notifier SIGKILLed between the receiver's 2xx and
                # its commit leaves the row to the next one (at least once over HTTP); a
                # receiver drops a repeated X-Gridflow-Delivery, so it is no second effect.
                notifications_redelivered=sum(n - 1 for n in times.values() if n > 1),
                notifications_unexpected=sum(1 for i in times if i not in expected),
                all_notified_after_kill_s=round(settled - killed, 2) if settled else None,
                notify_wait_p50_s=round(waits[len(waits) // 2], 2) if waits else None,
                notify_wait_max_s=round(waits[-1], 2) if waits else None,
            )  # fmt: skip
            self.log(f"  {figures}")
            return figures
        finally:
            self._stop("notifier")
            receiver.close()

    def patrol_group(self) -> dict:
        """Three patrol processors; one SIGKILLed while the group holds records, a fourth
        added: every accepted ping stored once, every figure as one processor folds it."""
        plan = PingPlan(self.stage.cells)
        self._members("patrol")
        fleet = Fleet([self.stage.api().url], plan, self.stage.token_for, self.scale.rate,
                      path="/api/v1/patrol/pings", ident="batch_id")  # fmt: skip
        try:
            stats, killed = self._load_then(
                lambda: self._kill_one_then_add("patrol", PATROL_PINGS), fleet=fleet
            )
            workers = self._workers()
            expected: Counter = Counter()
            for batch in stats.accepted:
                street, pings = plan.batches[batch]
                expected[workers[street]] += pings
            settled = self._until(lambda: self._stored_against(expected))
            stored = self._stored()
            group = self._patrol_figures()
        finally:
            self._stop("patrol")
        truth, truth_s = self._ground_truth(expected)
        differing, largest = compare_patrol(group, truth)
        figures = {
            "batches_accepted": len(stats.accepted),
            "pings_accepted": sum(expected.values()),
            "pings_stored": sum(stored.values()),
            "lost": sum(max(0, n - stored.get(w, 0)) for w, n in expected.items())
            + len(stats.refused),
            "duplicated": sum(max(0, n - expected.get(w, 0)) for w, n in stored.items()),
            "workers": len(expected),
            "worker_days": len(group["days"]),
            "cell_days_covered": len(group["coverage"]),
            "figures_differing_from_one_processor": differing,
            "coverage_largest_difference": largest,
            "all_folded_after_kill_s": round(settled - killed, 2) if settled else None,
            "one_processor_replay_s": truth_s,
            "errors_seen_by_clients": stats.errors,
            "generated": stats.generated,
            "refused": len(stats.refused),
            "patrol_before": MEMBERS,
            "patrol_after": MEMBERS,
        }
        self.log(f"  {figures}")
        return figures

    # --- patrol figures -------------------------------------------------------------------

    def _workers(self) -> dict[str, int]:
        """street → the id of its grid worker (the stage's `drill-<street>`)."""
        with self.stage.engine.connect() as conn:
            rows = conn.execute(WORKERS).all()
        return {r.username.removeprefix("drill-"): r.id for r in rows}

    def _stored(self) -> dict[int, int]:
        with self.stage.engine.connect() as conn:
            return {r.worker_id: r.n for r in conn.execute(STORED)}

    def _stored_against(self, expected: Counter) -> tuple[int, bool]:
        stored = self._stored()
        return sum(stored.values()), all(stored.get(w, 0) >= n for w, n in expected.items())

    def _patrol_figures(self) -> dict[str, list[tuple]]:
        with self.stage.engine.connect() as conn:
            return {k: [tuple(r) for r in conn.execute(text(sql))]
                    for k, sql in PATROL_FIGURES.items()}  # fmt: skip

    def _ground_truth(self, expected: Counter) -> tuple[dict[str, list[tuple]], float | None]:
        """The patrol tables emptied and the topic folded again by one processor (the
        processor's own loop, `run_patrol`, here in a thread) in a fresh group from offset 0:
        its figures, and how long it took."""
        with self.stage.engine.begin() as conn:
            for table in ("patrol_coverage_area", "patrol_coverage", "patrol_day", "patrol_point"):
                conn.execute(text(f"DELETE FROM {table}"))
        started, stop = time.monotonic(), threading.Event()
        group = f"truth-{uuid.uuid4().hex[:6]}"
        truth = threading.Thread(target=run_patrol, args=(self.stage.config, stop),
                                 kwargs={"group": group}, daemon=True)  # fmt: skip
        truth.start()
        try:
            # a chunk's figures are committed with its points
            done = self._until(lambda: self._stored_against(expected))
            return self._patrol_figures(), round(done - started, 2) if done else None
        finally:
            stop.set()
            truth.join(timeout=60)


GROUP_NAMES = {
    "notifier-group": GroupDrills.notifier_group,
    "patrol-group": GroupDrills.patrol_group,
}
# Every drill of the cluster stage: GroupDrills runs them all.
STAGE_NAMES = {**CLUSTER_NAMES, **GROUP_NAMES}


def group_passed(name: str, figures: dict) -> bool:
    """The acceptance of a drill of the cluster stage (cluster_passed for the cluster
    drills): nothing lost or doubled, and every effect once."""
    if name not in GROUP_NAMES:
        return cluster_passed(name, figures)
    ok = figures["lost"] == 0 and figures["duplicated"] == 0
    ok = ok and figures["errors_seen_by_clients"] == 0
    if name == "notifier-group":
        ok = ok and figures["accepted"] > 0 and figures["dispatched"] == figures["accepted"]
        # A second effect would come under another delivery id: `unexpected`.
        ok = ok and figures["notifications_lost"] == 0
        ok = ok and figures["notifications_unexpected"] == 0
        ok = ok and figures["notifications_delivered"] == figures["accepted"]
        ok = ok and figures["all_notified_after_kill_s"] is not None
    if name == "patrol-group":
        ok = ok and figures["pings_accepted"] > 0
        ok = ok and figures["pings_stored"] == figures["pings_accepted"]
        ok = ok and not any(figures["figures_differing_from_one_processor"].values())
        ok = ok and figures["all_folded_after_kill_s"] is not None
        ok = ok and figures["one_processor_replay_s"] is not None
    return ok
