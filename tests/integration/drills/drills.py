"""The drills: each runs a steady load of reports through the API, breaks one thing, brings it
back, and returns its figures: accepted, dispatched, lost, duplicated, recovery_s,
errors_seen_by_clients (plus what is particular to it).

`Scale` says how long and how hard: the suite runs them small, `scripts/drill` at full size.
All drills of a run share one `Stage` (private PostgreSQL and Kafka, so both can be broken);
each counts only the reports its own load filed.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from tests.integration.drills.figures import last_dispatch_at, published_twice, settle
from tests.integration.drills.load import Fleet, FleetStats, ReportPlan
from tests.integration.drills.stage import Stage
from tests.integration.drills.storm import Generators, delivery, plan_clients
from tests.integration.drills.watchers import Watcher


@dataclass(frozen=True)
class Scale:
    rate: float  # reports per second during the fault drills
    warm_s: float  # load before the fault
    outage_s: float  # how long the broken thing stays down (kafka-down, db-restart)
    after_s: float  # load after the repair
    soak_rate: float
    soak_s: float
    soak_warm_s: float
    settle_s: float  # at most this long for the backlog to drain after the load (while it moves)
    watchers: int  # Socket.IO pages in socket-restart
    storm_clients: int  # live clients in socket-storm (a district's mix of roles)


FULL = Scale(rate=50, warm_s=20, outage_s=30, after_s=20, soak_rate=100, soak_s=600,
             soak_warm_s=120, settle_s=1800, watchers=5, storm_clients=10_000)  # fmt: skip
SMALL = Scale(rate=8, warm_s=4, outage_s=6, after_s=4, soak_rate=15, soak_s=20,
              soak_warm_s=6, settle_s=120, watchers=2, storm_clients=200)  # fmt: skip


class Drills:
    """The drills over one stage, with the serve/relay/router processes running."""

    def __init__(self, stage: Stage, scale: Scale, log: Callable[[str], None] = print) -> None:
        self.stage, self.scale, self.log = stage, scale, log
        self.plan = ReportPlan(stage.cells, stage.categories)

    def start_processes(self) -> None:
        for kind in ("serve", "relay", "router"):
            self.stage.start(kind)

    # --- shared ---------------------------------------------------------------------------

    def _fleet(self, rate: float | None = None, urls: list[str] | None = None) -> Fleet:
        urls = urls or [self.stage.api().url]
        return Fleet(urls, self.plan, self.stage.token_for, rate or self.scale.rate).start()

    def _figures(self, stats: FleetStats, repaired_at: float | None, **extra) -> dict:
        ids = list(stats.accepted)
        final, settled_at = settle(self.stage.engine, ids, self.scale.settle_s)
        recovery = all_after = None
        if settled_at is not None and repaired_at is not None:
            # recovery_s: from the repair until the pipeline is whole again: every report
            # accepted before it (the backlog the fault left) dispatched, and the first one
            # accepted after it dispatched too (every process back at work).
            # all_dispatched_after_s also waits for the load that went on for after_s.
            all_after = round(max(0.0, settled_at - repaired_at), 2)
            before = [rid for rid, at in stats.accepted.items() if at <= repaired_at]
            after = sorted((at, rid) for rid, at in stats.accepted.items() if at > repaired_at)
            marks = [
                last_dispatch_at(self.stage.engine, before) if before else None,
                last_dispatch_at(self.stage.engine, [after[0][1]]) if after else None,
            ]
            repaired_wall = time.time() - (time.monotonic() - repaired_at)
            whole = max((m for m in marks if m is not None), default=None)
            recovery = round(max(0.0, whole - repaired_wall), 2) if whole else all_after
        figures = {
            "accepted": final.accepted,
            "not_sent_when_stopped": stats.generated - len(stats.accepted) - len(stats.refused),
            "dispatched": final.dispatched,
            "lost": final.lost + len(stats.refused),
            "duplicated": final.duplicated,
            "recovery_s": recovery,
            "all_dispatched_after_s": all_after,
            "errors_seen_by_clients": stats.errors,
            "generated": stats.generated,
            "refused": len(stats.refused),
        }
        figures.update(extra)
        self.log(f"  {figures}")
        return figures

    def _load_then(self, fault: Callable[[], float], rate: float | None = None,
                   fleet: Fleet | None = None) -> tuple:  # fmt: skip
        """Load (the phones' reports, or `fleet` started) for warm_s, `fault()` (returns when
        the thing is back: the repair time), load for after_s, stop; (stats, repaired_at)."""
        fleet = fleet.start() if fleet is not None else self._fleet(rate)
        time.sleep(self.scale.warm_s)
        repaired_at = fault()
        time.sleep(self.scale.after_s)
        return fleet.stop(self.scale.settle_s), repaired_at

    # --- the drills -----------------------------------------------------------------------

    def kafka_down(self) -> dict:
        """The broker is killed for outage_s, then restarted: the API keeps accepting; every
        report is dispatched once after recovery."""
        broker = self.stage.broker
        assert broker is not None, "kafka-down needs the stage's private broker"

        def fault() -> float:
            broker.kill()
            self.log(f"  broker killed; down for {self.scale.outage_s} s")
            time.sleep(self.scale.outage_s)
            broker.start()
            self.log("  broker back")
            return time.monotonic()

        stats, repaired = self._load_then(fault)
        return self._figures(stats, repaired, outage_s=self.scale.outage_s)

    def router_crash(self) -> dict:
        """SIGKILL the router in the middle of a batch, start it again: effectively once."""
        router = self.stage.procs["router"]

        def fault() -> float:
            self._wait_for_backlog()
            router.kill()
            self.log("  router killed")
            time.sleep(1.0)
            router.start()
            return time.monotonic()

        stats, repaired = self._load_then(fault)
        return self._figures(stats, repaired)

    def _wait_for_backlog(self, timeout_s: float = 10.0) -> None:
        """Waits until the router has reports in flight (published, not yet registered), so
        the kill lands mid-batch."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.stage.engine.connect() as conn:
                waiting = conn.execute(
                    text(
                        "SELECT count(*) FROM outbox o WHERE o.topic = 'reports.v1' AND o.sent_at "
                        "IS NOT NULL AND NOT EXISTS (SELECT 1 FROM case_file c WHERE "
                        "c.report_id = CAST(o.envelope->'payload'->>'report_id' AS uuid))"
                    )
                ).scalar_one()
            if waiting >= 2:
                return
            time.sleep(0.02)

    def relay_crash(self) -> dict:
        """SIGKILL the outbox relay, then run two relays: nothing lost, nothing doubled."""
        relay = self.stage.procs["relay"]

        def fault() -> float:
            relay.kill()
            self.log("  relay killed")
            time.sleep(2.0)
            relay.start()
            self.stage.start("relay", "relay-2")
            self.log("  two relays running")
            return time.monotonic()

        stats, repaired = self._load_then(fault)
        twice = published_twice(self.stage.config, set(stats.accepted))
        self.stage.procs["relay-2"].stop()
        return self._figures(stats, repaired, relays_after=2, published_twice=twice)

    def db_restart(self) -> dict:
        """PostgreSQL restarted: the API answers 503 within 2 s while it is down (no hung
        request, no 500), every process reconnects on its own, and the phones' retries (same
        report id) succeed after."""
        postgres = self.stage.postgres
        assert postgres is not None, "db-restart needs the stage's private PostgreSQL"
        window: dict[str, float] = {}

        def fault() -> float:
            window["down"] = time.monotonic()
            postgres.stop("fast")
            self.log(f"  PostgreSQL stopped; down for {self.scale.outage_s} s")
            time.sleep(self.scale.outage_s)
            postgres.start()
            window["up"] = time.monotonic()
            self.log("  PostgreSQL back")
            return window["up"]

        stats, repaired = self._load_then(fault)
        during = [a for a in stats.attempts if window["down"] <= a.at < window["up"]]
        accepted_after = [a.at + a.duration_s for a in stats.attempts
                          if a.at >= window["up"] and a.status in (200, 201)]  # fmt: skip
        by_status: dict[str, int] = {}
        for a in during:
            by_status[str(a.status)] = by_status.get(str(a.status), 0) + 1
        return self._figures(
            stats, repaired, outage_s=self.scale.outage_s,
            answers_while_down=by_status,
            max_answer_s_while_down=round(max((a.duration_s for a in during), default=0.0), 3),
            hung_while_down=sum(1 for a in during if a.duration_s > 2.0 or a.status == -1),
            server_errors_while_down=sum(1 for a in during if a.status >= 500
                                         and a.status != 503),
            api_accepting_again_after_s=round(min(accepted_after) - window["up"], 2)
            if accepted_after else None,
        )  # fmt: skip

    def socket_restart(self) -> dict:
        """The Socket.IO server restarted under load: its pages reconnect on their own and
        catch up with no gap. Reports go to another API process, which stays up."""
        stage = self.stage
        live = stage.procs.get("live") or stage.start("serve", "live")
        watchers = [Watcher(live.url, stage.admin_token).open()
                    for _ in range(self.scale.watchers)]  # fmt: skip
        try:
            catch_up: dict[str, float] = {}

            def fault() -> float:
                live.kill()
                self.log("  Socket.IO server killed")
                time.sleep(1.0)
                live.start()
                self.log("  Socket.IO server back")
                restarted = time.monotonic()
                threading.Thread(target=self._watch_catch_up, daemon=True,
                                 args=(watchers, restarted, catch_up)).start()  # fmt: skip
                return restarted

            stats, repaired = self._load_then(fault)
            final, _ = settle(stage.engine, list(stats.accepted), self.scale.settle_s)
            with stage.engine.connect() as conn:
                expected = {r[0] for r in conn.execute(text("SELECT id FROM case_event"))}
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and any(w.missing(expected) for w in watchers):
                time.sleep(0.2)
            caught_up = time.monotonic()
            gaps = sorted(set().union(*(w.missing(expected) for w in watchers)))
            missed = sum(len(w.missing(expected)) for w in watchers)
            figures = self._figures(
                stats, repaired, watchers=len(watchers), events_missed_by_pages=missed,
                reconnects=sum(w.connects - 1 for w in watchers), first_missed_ids=gaps[:10],
                baseline=min(w.baseline or 0 for w in watchers),
                replays=[w.replays for w in watchers] if missed else None,
            )  # fmt: skip
            # Recovery: from the restart until every page holds every event that existed
            # when the server came back (later events arrive live as usual).
            done = catch_up.get("at") or (caught_up if not missed else None)
            figures["recovery_s"] = round(done - repaired, 2) if done and not missed else None
            return figures
        finally:
            for watcher in watchers:
                watcher.close()

    def socket_storm(self) -> dict:
        """The Socket.IO server restarted (SIGTERM, then started again) under a storm of live
        clients, a district's mix of roles, while reports keep coming through another API
        process: every client comes back with its backoff and gets its replay; none misses or
        doubles an event of its scope. recovery_s: from the stop until every client is back
        and caught up."""
        stage = self.stage
        live = stage.procs.get("live") or stage.start("serve", "live")
        count = self.scale.storm_clients
        cells = [code for code, _, _ in stage.cells]
        clients, principals = plan_clients(stage.engine, stage.config, count, cells, cells[0][:6])
        folder = Path(tempfile.mkdtemp(prefix="gridflow-storm-"))
        url = live.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        gens = Generators(url, clients, 500.0, folder)
        connected = gens.wait_until("connected", count, self.scale.settle_s)
        back: dict[str, float | None] = {}

        def fault() -> float:
            stopped = time.monotonic()
            live.stop()
            live.start()
            self.log("  Socket.IO server restarted under the storm")

            def wait() -> None:
                took = gens.wait_until("back", count, self.scale.settle_s)
                back["recovery_s"] = None if took is None else time.monotonic() - stopped

            waiter = threading.Thread(target=wait, daemon=True)
            waiter.start()
            back["waiter"] = waiter  # type: ignore[assignment]
            return time.monotonic()

        stats, repaired = self._load_then(fault)
        back.pop("waiter").join()  # type: ignore[union-attr]
        outs = gens.finish()
        seen = delivery(stage.engine, principals, outs)
        recovery = back.get("recovery_s")
        figures = self._figures(
            stats, repaired, clients=count, missed=seen["missed"],
            connect_s=round(connected, 2) if connected is not None else None,
            doubled=seen["doubled"], api_errors_seen_by_clients=stats.errors,
            events_in_window=seen.get("events_in_window"),
        )  # fmt: skip
        figures["recovery_s"] = round(recovery, 2) if recovery is not None else None
        return figures

    def _watch_catch_up(self, watchers: list[Watcher], since: float, out: dict) -> None:
        with self.stage.engine.connect() as conn:
            existing = {r[0] for r in conn.execute(text("SELECT id FROM case_event"))}
        deadline = since + self.scale.settle_s
        while time.monotonic() < deadline:
            if not any(w.missing(existing) for w in watchers):
                out["at"] = time.monotonic()
                return
            time.sleep(0.1)

    def soak(self) -> dict:
        """soak_s at soak_rate reports/s: no error, the RSS of every process grows by less
        than 10 % after the warm-up."""
        if "live" not in self.stage.procs:  # a second API process, as behind a load balancer
            self.stage.start("serve", "live")
        procs = {name: p for name, p in self.stage.procs.items() if p.pid is not None}
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in procs}
        apis = [p.url for p in procs.values() if p.kind == "serve"]
        fleet = self._fleet(self.scale.soak_rate, apis)
        start = time.monotonic()
        while time.monotonic() - start < self.scale.soak_s:
            for name, proc in procs.items():
                rss = proc.rss_mb()
                if rss is not None:
                    samples[name].append((time.monotonic() - start, rss))
            time.sleep(min(5.0, self.scale.soak_s / 20))
        stats = fleet.stop(self.scale.settle_s)
        elapsed = time.monotonic() - start
        rss = {}
        for name, series in samples.items():
            warm = [v for t, v in series if t >= self.scale.soak_warm_s]
            if len(warm) < 2:
                continue
            first = statistics.median(warm[:3])
            last = statistics.median(warm[-3:])
            rss[name] = {"after_warm_up_mb": round(first, 1), "end_mb": round(last, 1),
                         "growth_pct": round(100 * (last - first) / first, 2)}  # fmt: skip
        return self._figures(
            stats, None, duration_s=round(elapsed, 1), rate=self.scale.soak_rate,
            achieved_rate=round(len(stats.accepted) / elapsed, 1), rss=rss,
            max_rss_growth_pct=max((r["growth_pct"] for r in rss.values()), default=None),
        )  # fmt: skip


NAMES = {
    "kafka-down": Drills.kafka_down,
    "router-crash": Drills.router_crash,
    "relay-crash": Drills.relay_crash,
    "db-restart": Drills.db_restart,
    "socket-restart": Drills.socket_restart,
    "socket-storm": Drills.socket_storm,
    "soak": Drills.soak,
}


def passed(name: str, figures: dict) -> bool:
    """The acceptance of a drill: nothing lost or doubled, and what is particular to it."""
    ok = figures["lost"] == 0 and figures["duplicated"] == 0 and figures["accepted"] > 0
    ok = ok and figures["dispatched"] == figures["accepted"]
    if name in ("kafka-down", "router-crash", "relay-crash", "socket-restart", "socket-storm",
                "soak"):  # fmt: skip
        ok = ok and figures["errors_seen_by_clients"] == 0
    if name == "db-restart":
        ok = ok and figures["hung_while_down"] == 0 and figures["server_errors_while_down"] == 0
        ok = ok and figures["max_answer_s_while_down"] <= 2.0
    if name == "socket-restart":
        ok = ok and figures["events_missed_by_pages"] == 0
    if name == "socket-storm":
        ok = ok and figures["missed"] == 0 and figures["doubled"] == 0
    if name == "soak":
        ok = ok and (figures["max_rss_growth_pct"] or 0) < 10
    return ok and (figures["recovery_s"] is not None or name == "soak")
