"""Reliability drills at full size (`./scripts/drill NAME... | all [--small]`).

Builds one stage — a private PostgreSQL cluster and a private Kafka broker (so both can be
broken; the stack's own keep running), the demo grid and rules, grid workers, and the real
`gridflow serve`, `relay` and `router` processes — runs the named drills on it one after the
other (tests/integration/drills/drills.py says what each does and what passing means), and
merges their figures into bench/results/drills.json. Process logs go to .run/drills/.
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
from tests.integration.drills.stage import Stage  # noqa: E402

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
    parser.add_argument("names", nargs="+", help=f"all, or some of: {', '.join(NAMES)}")
    parser.add_argument("--small", action="store_true", help="the suite's small scale")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    names = list(NAMES) if args.names == ["all"] else args.names
    unknown = [n for n in names if n not in NAMES]
    if unknown:
        parser.error(f"unknown drill(s): {', '.join(unknown)}")
    scale = SMALL if args.small else FULL

    doc = json.loads(args.out.read_text()) if args.out.exists() else {}
    doc.setdefault("drills", {})
    stage = Stage("drill", private_db=True, private_kafka=True, log_dir=ROOT / ".run" / "drills")
    failed = []
    try:
        print("building the stage (private PostgreSQL and Kafka, demo grid, processes)")
        stage.open()
        runner = Drills(stage, scale, log=lambda line: print(line, flush=True))
        runner.start_processes()
        for name in names:
            print(f"{name}: running", flush=True)
            started = time.monotonic()
            figures = NAMES[name](runner)
            ok = passed(name, figures)
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
    finally:
        stage.close()
    print(f"figures in {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
