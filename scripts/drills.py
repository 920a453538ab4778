"""Reliability drills at full size (`./scripts/drill NAME... | all [--small]`).

Builds a stage — a private PostgreSQL cluster and a private Kafka broker (so both can be
broken; the stack's own keep running), the demo grid and rules, grid workers, and the real
`gridflow serve`, `relay` and `router` processes — runs the named drills on it one after the
other (tests/integration/drills/drills.py says what each does and what passing means), and
merges their figures into bench/results/drills.json. The cluster drills (broker-down,
router-group, replica-down, partitions-grow: tests/integration/drills/cluster_drills.py) and
the processor-group drills (notifier-group, patrol-group: group_drills.py there) get a stage
of their own with a three-broker Kafka cluster and a PostgreSQL streaming replica. Every stage
is built by tests/integration/drills/staging.py. Process logs go to .run/drills/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.integration.drills.drills import FULL, NAMES, SMALL, Drills, passed  # noqa: E402
from tests.integration.drills.group_drills import (  # noqa: E402
    STAGE_NAMES,
    GroupDrills,
    group_passed,
)
from tests.integration.drills.staging import staged  # noqa: E402

# The drills of one stage each: one node of everything, or a three-broker cluster and a replica.
KINDS = (
    (NAMES, Drills, passed, {}),
    (STAGE_NAMES, GroupDrills, group_passed, {"cluster": True, "replica": True}),
)

RESULTS = ROOT / "bench" / "results" / "drills.json"


def machine() -> dict:
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                            text=True).stdout.strip()  # fmt: skip
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "git_commit": commit,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    every = {**NAMES, **STAGE_NAMES}
    parser.add_argument("names", nargs="+", help=f"all, or some of: {', '.join(every)}")
    parser.add_argument("--small", action="store_true", help="the suite's small scale")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    names = list(every) if args.names == ["all"] else args.names
    unknown = [n for n in names if n not in every]
    if unknown:
        parser.error(f"unknown drill(s): {', '.join(unknown)}")
    scale = SMALL if args.small else FULL

    doc = json.loads(args.out.read_text()) if args.out.exists() else {}
    doc.setdefault("drills", {})
    failed: list[str] = []
    for table, kind, accept, options in KINDS:
        mine = [n for n in names if n in table]
        if mine:
            run_stage(mine, table, kind, accept, options, scale, args, doc, failed)
    print(f"figures in {args.out}")
    return 1 if failed else 0


def run_stage(names, table, kind, accept, options, scale, args, doc, failed) -> None:
    """Builds one stage, runs `names` on it one after the other, writes each one's figures."""
    extra = ", a three-broker cluster and a replica" if options else ""
    print(f"building the stage (private PostgreSQL and Kafka, demo grid, processes{extra})")
    with staged("drill", kind, scale, ROOT / ".run" / "drills",
                log=lambda line: print(line, flush=True), **options) as runner:  # fmt: skip
        for name in names:
            print(f"{name}: running", flush=True)
            started = time.monotonic()
            figures = table[name](runner)
            ok = accept(name, figures)
            if not ok:
                failed.append(name)
            doc["drills"][name] = {
                **figures,
                "passed": ok,
                "scale": "small" if args.small else "full",
                "wall_s": round(time.monotonic() - started, 1),
                "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": machine(),
            }
            args.out.parent.mkdir(parents=True, exist_ok=True)
            doc["scales"] = {"full": asdict(FULL), "small": asdict(SMALL)}
            args.out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
            print(f"{name}: {'passed' if ok else 'FAILED'}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
