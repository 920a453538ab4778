"""Group commit of captured reports: the reports of concurrent requests written together.

Every report takes the next case number of its district and day, a counter row that its
statement holds locked until it has committed (WAL flushed). Written one statement each,
reports of one district therefore commit one after another, each waiting for the one before
it, and a busy server piles up requests (and pooled connections) waiting on that row. Here
the request threads of a process hand their reports to `ReportWriter.write`: the first one
to arrive writes (it is the leader) the reports waiting at that moment, up to `max_batch`, in
one statement (`report_writes.write_reports`) and one commit; the ones arriving meanwhile wait, and
when that batch is done the first of them leads the next. Alone, a report is written at once,
as before.

Every caller returns only after the statement holding its report has committed, so
"accepted means durable" holds report by report. A failure of the statement is every
report's failure in it, except a unique violation on a report's id (two processes writing the
same new id at once): the batch is then written report by report, so only the report that
lost the race sees it.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from services.store import report_writes

MAX_BATCH = 64
_writers: weakref.WeakKeyDictionary[Engine, ReportWriter] = weakref.WeakKeyDictionary()
_writers_lock = threading.Lock()


@dataclass
class _Waiting:
    report: report_writes.NewReport
    done: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    result: report_writes.Written | None = None
    error: BaseException | None = None


class ReportWriter:
    """Writes the reports of concurrent callers in shared statements (see the module text)."""

    def __init__(self, engine: Engine, max_batch: int = MAX_BATCH) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Waiting] = []
        self._busy = False

    def write(self, report: report_writes.NewReport) -> report_writes.Written:
        """Stores `report` (as `report_writes.write_reports` would alone) and returns once
        committed. Raises what its statement raised."""
        me = _Waiting(report)
        with self._lock:
            self._queue.append(me)
            me.lead = not self._busy
            self._busy = True
        if not me.lead:
            me.done.wait()
        if me.lead:  # first in, or handed the lead by the batch before
            self._write_batch()
        if me.error is not None:
            raise me.error
        assert me.result is not None
        return me.result

    def _write_batch(self) -> None:
        with self._lock:
            batch, ids = [], set()
            for waiting in self._queue:
                # One id once per statement: a repeated id waits for the next batch.
                if waiting.report.values["id"] in ids or len(batch) == self.max_batch:
                    continue
                ids.add(waiting.report.values["id"])
                batch.append(waiting)
            taken = {id(w) for w in batch}
            self._queue = [w for w in self._queue if id(w) not in taken]
        try:
            self._store(batch)
        finally:
            with self._lock:
                following = self._queue[0] if self._queue else None
                if following is None:
                    self._busy = False
                else:
                    following.lead = True
            for waiting in batch:
                if waiting.result is None and waiting.error is None:
                    waiting.error = RuntimeError("the report batch was interrupted")
                waiting.done.set()
            if following is not None:
                following.done.set()

    def _store(self, batch: list[_Waiting]) -> None:
        try:
            results = report_writes.write_reports(self.engine, [w.report for w in batch])
        except IntegrityError as exc:
            if len(batch) == 1 or _constraint(exc) != report_writes.REPORT_PKEY:
                _fail(batch, exc)
                return
            for waiting in batch:  # find the one that lost a race; the others are written
                try:
                    waiting.result = report_writes.write_reports(self.engine, [waiting.report])[0]
                except Exception as one:  # noqa: BLE001 - handed to that report's caller
                    waiting.error = one
            return
        except Exception as exc:  # noqa: BLE001 - handed to every caller of the batch
            _fail(batch, exc)
            return
        for waiting, result in zip(batch, results, strict=True):
            waiting.result = result


def _constraint(exc: IntegrityError) -> str | None:
    return getattr(getattr(exc.orig, "diag", None), "constraint_name", None)


def _fail(batch: list[_Waiting], exc: BaseException) -> None:
    for waiting in batch:
        waiting.error = exc


def writer_for(engine: Engine) -> ReportWriter:
    """The ReportWriter of `engine` (one per engine, so one per process)."""
    found = _writers.get(engine)
    if found is None:
        with _writers_lock:
            found = _writers.setdefault(engine, ReportWriter(engine))
    return found
