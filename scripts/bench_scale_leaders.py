"""What leaders read, measured by `./scripts/bench scale` against its city-scale history:

* ranking quarter — GET /api/v1/rankings for the last complete quarter at district level (the
  district's streets), one request at a time (p50/p99); the same for the district's
  departments, communities and grid workers (`ranking_quarter_levels`), and its cells
  (~100,000 rows in one response: `CELL_REPEATS` requests only);
* street notice — the busiest street's monthly supervision notice built and rendered as PDF
  and XLSX in this process, as the scheduler does it (`bench_leaders.street_notice`);
* year ledger — GET /api/v1/ledgers/year for the district's busiest year, the XLSX streamed to
  a file: seconds to the first byte and to the last, the file's size and lines, and the peak
  RSS of the `serve` process while it wrote it (sampled every 50 ms) beside its RSS before.
"""

from __future__ import annotations

import tempfile
import threading
import time
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import benchlib
from bench_leaders import street_notice
from sqlalchemy import text

CELL_REPEATS = 3  # a district's cell ranking is a response of ~100,000 rows


def last_complete_quarter(today: date) -> date:
    """A day of the quarter before the one holding `today`."""
    first = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    return first - timedelta(days=1)


def ranking_quarter(http, base: str, auth: dict, district: str, repeats: int,
                    level: str = "street") -> dict:  # fmt: skip
    """p50/p99 of the district's ranking of `level` for the last complete quarter."""
    day = last_complete_quarter(datetime.now(UTC).date())
    url = (f"{base}/api/v1/rankings?period=quarter&date={day}&level={level}"
           f"&within={district}")  # fmt: skip
    http.get(url, headers=auth, timeout=300).raise_for_status()  # the pool's first statements
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        resp = http.get(url, headers=auth, timeout=300)
        samples.append(time.perf_counter() - t0)
        resp.raise_for_status()
    cases = resp.json()["total"]["values"]["cases"]
    return {"url": url.replace(base, ""), "quarter_day": str(day),
            "cases": cases, "rows": len(resp.json()["items"]),
            "p50_ms": benchlib.ms(benchlib.percentile(samples, 50)),
            "p99_ms": benchlib.ms(benchlib.percentile(samples, 99)),
            "samples": len(samples)}  # fmt: skip


def busiest(engine, district: str) -> tuple[str, int]:
    """The street with the most cases, and the local year with the most cases."""
    with engine.connect() as conn:
        street = conn.execute(
            text("SELECT street_code FROM case_fact WHERE district_code = :d "
                 "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"), {"d": district},
        ).scalar()  # fmt: skip
        year = conn.execute(
            text("SELECT extract(year FROM created_at AT TIME ZONE 'Asia/Shanghai')::int "
                 "FROM case_fact GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
        ).scalar()  # fmt: skip
    return street, year


def notice(engine, street: str) -> dict:
    return street_notice(engine, street, datetime.now(UTC))


class RssWatch:
    """The peak RSS of a process, sampled every `every` seconds on a thread of its own."""

    def __init__(self, pid: int, every: float = 0.05):
        self.pid, self.every, self.peak = pid, every, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, benchlib.proc_rss_mb(self.pid) or 0.0)
            self._stop.wait(self.every)

    def __enter__(self) -> RssWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def ledger_lines(path: Path) -> int:
    """The ledger lines of a year's workbook: its worksheets' rows less each one's title and
    two header rows, counted in the XML as it is inflated (a streamed workbook states no
    dimension up front, and loading ~1,000,000 rows would take minutes)."""
    lines = 0
    with zipfile.ZipFile(path) as book:
        for name in book.namelist():
            if not name.startswith("xl/worksheets/"):
                continue
            rows, tail = 0, b""
            with book.open(name) as part:
                while block := part.read(1 << 20):
                    rows += (tail + block).count(b"<row ")
                    tail = block[-4:]
            lines += max(0, rows - 3)
    return lines


def year_ledger(http, base: str, auth: dict, place: str, year: int, serve_pid: int) -> dict:
    """The place's year ledger streamed to a temporary file; serve's RSS watched."""
    url = f"{base}/api/v1/ledgers/year?year={year}&place={place}"
    before = benchlib.proc_rss_mb(serve_pid)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "year.xlsx"
        with RssWatch(serve_pid) as watch:
            t0 = time.perf_counter()
            first = None
            with http.get(url, headers=auth, timeout=3600, stream=True) as resp:
                resp.raise_for_status()
                with open(path, "wb") as out:
                    for chunk in resp.iter_content(256 * 1024):
                        first = first or time.perf_counter() - t0
                        out.write(chunk)
            seconds = time.perf_counter() - t0
        lines = ledger_lines(path)
        size = path.stat().st_size
    return {"url": url.replace(base, ""), "year": year,
            "lines": lines, "seconds": round(seconds, 2),
            "first_byte_s": round(first or seconds, 2), "file_mb": round(size / 2**20, 1),
            "serve_rss_before_mb": round(before or 0.0, 1),
            "serve_peak_rss_mb": round(watch.peak, 1)}  # fmt: skip


def _repeats(level: str, repeats: int) -> int:
    return min(repeats, CELL_REPEATS) if level == "cell" else repeats


def leader_figures(engine, http, base: str, auth: dict, district: str, repeats: int,
                   serve_pid: int, ledger_place: str = "district") -> dict:  # fmt: skip
    """The three measures above, one after the other; `ledger_place` "street" takes the
    busiest street's year instead of the district's (a shorter run on a busy host)."""
    street, year = busiest(engine, district)
    place = street if ledger_place == "street" else district
    return {
        "ranking_quarter": ranking_quarter(http, base, auth, district, repeats),
        "ranking_quarter_levels": {
            level: ranking_quarter(http, base, auth, district, _repeats(level, repeats), level)
            for level in ("department", "community", "worker", "cell")
        },
        "street_notice": notice(engine, street),
        "year_ledger": year_ledger(http, base, auth, place, year, serve_pid),
    }
