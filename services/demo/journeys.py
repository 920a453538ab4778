"""Each demo case's way through the closed loop after its registration, one command at a time:
the department acknowledges, may return it (the operator re-dispatches it to another eligible
department), may ask for more time (the operator approves), resolves on time or late (the SLA
sweep marks it overdue, an operator may urge or supervise), the grid worker checks it (a failed
check sends it back as rework), the reporter's follow-up call rates it and a 不满意 is called
back. Every step is the handler the API calls, at the instant the story gives: the domain
decides, the events are recorded as they would have been. Times inside a time limit are
fractions of its working time on the case's calendar, so departments work in office hours.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from services.calendars import Calendars
from services.capture.photos import CleanPhoto
from services.cases import department, operator, revisits, sweep
from services.cases import field as worker
from services.cases.commands import (
    AcknowledgeCase,
    CloseRevisit,
    DecideExtension,
    DispatchCase,
    RateCase,
    RequestExtension,
    ResolveCase,
    ReturnCase,
    SuperviseCase,
    SweepCase,
    UrgeCase,
    VerifyCase,
)
from services.cases.reference import ReferenceCache
from services.cases.uow import UnitOfWork
from services.demo.stories import Story
from services.domain.routing import eligible_departments
from services.store.cases import handling, rows

OPERATOR = "demo-operator"
WORKER = "demo-worker"


@dataclass
class Demo:
    """What every step needs: the reference data, calendars, limits, the demo accounts, the
    photo a failed check is sent with, and the queue steps are scheduled on (`at`, step)."""

    reference: ReferenceCache
    calendars: Calendars
    media_dir: str
    verify_limit: timedelta
    revisit_hours: float
    worker_id: int
    photo: CleanPhoto
    schedule: Callable[[datetime, Callable[[UnitOfWork, datetime], None]], None]
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class Journey:
    """One case on its way: its story, what has happened so far on the way, and the case's
    department and time limits as its last dispatch (or extension) set them."""

    demo: Demo
    story: Story
    case: rows.Case
    returned: bool = False
    extended: bool = False
    reworked: bool = False

    @property
    def case_id(self) -> uuid.UUID:
        return self.case.id

    def _draw(self, i: int, low: float = 0.0, high: float = 1.0) -> float:
        return low + (high - low) * self.story.draws[i % len(self.story.draws)]

    def _reload(self, uow: UnitOfWork) -> rows.Case:
        """The case as stored now (after a dispatch that set new limits)."""
        case = rows.load_case(uow.conn, self.case_id)
        assert case is not None
        self.case = case
        return case

    def _within(self, case: rows.Case, start: datetime, due: datetime, share: float) -> datetime:
        """`share` of the working time (the case's calendar) from `start` to `due`."""
        calendar = self.demo.calendars.for_category(case.around_the_clock)
        return calendar.add(start, calendar.between(start, due) * share)

    def _then(self, at: datetime, step: Callable[[UnitOfWork, datetime], None], name: str):
        self.demo.counts[name] = self.demo.counts.get(name, 0) + 1
        self.demo.schedule(at, step)

    def _staff(self, case: rows.Case) -> str:
        code = case.department_code or "department"
        return "demo-department" if code == "sanitation" else f"{code}-staff"

    # --- the department ---------------------------------------------------------------------

    def dispatched(self, uow: UnitOfWork, at: datetime) -> None:
        """The case is with a department since `at`: it returns it or acknowledges it."""
        case = self.case
        if self.story.path == "returned" and not self.returned:
            self._then(self._within(case, at, case.ack_due, self._draw(1, 0.2, 0.7)),
                       self.send_back, "returned")  # fmt: skip
        else:
            self._then(self._within(case, at, case.ack_due, self._draw(1, 0.1, 0.8)),
                       self.acknowledge, "acknowledged")  # fmt: skip

    def send_back(self, uow: UnitOfWork, at: datetime) -> None:
        case = self.case
        department.return_case(uow, ReturnCase(case.id, self._staff(case), "不属于本部门职责"),
                               now=at)  # fmt: skip
        self.returned = True
        self._then(at + timedelta(minutes=self._draw(2, 15, 60)), self.redispatch, "redispatched")

    def redispatch(self, uow: UnitOfWork, at: datetime) -> None:
        """The operator sends a returned case to another eligible department (the routing
        rules' choice when there is no other)."""
        case = self.case
        data = self.demo.reference.current(uow.conn)
        place = case.cell_code or case.district_code
        others = [
            d.code
            for d in eligible_departments(data.departments.values(), case.category_code, place)
            if d.code != case.department_code
        ]
        cmd = DispatchCase(case.id, others[0] if others else None, OPERATOR)
        operator.redispatch_case(uow, cmd, reference=self.demo.reference, now=at)
        self._reload(uow)
        self.dispatched(uow, at)

    def acknowledge(self, uow: UnitOfWork, at: datetime) -> None:
        case = self.case
        department.acknowledge_case(uow, AcknowledgeCase(case.id, self._staff(case)), now=at)
        if self.story.path == "extended" and not self.extended:
            self._then(self._within(case, at, case.resolve_due, self._draw(3, 0.1, 0.4)),
                       self.ask_for_time, "extension requested")  # fmt: skip
            return
        self._resolve_later(case, at)

    def _resolve_later(self, case: rows.Case, at: datetime) -> None:
        if self.story.path == "late" and not self.reworked:
            # Past its due time: the sweep marks it overdue; the operator may press the
            # department; it is resolved late.
            calendar = self.demo.calendars.for_category(case.around_the_clock)
            length = calendar.between(case.dispatched_at, case.resolve_due)
            self._then(case.resolve_due + timedelta(minutes=1), self.sweep, "swept overdue")
            self._press_at(self._within(case, case.resolve_due,
                                        calendar.add(case.resolve_due, length), 0.2))  # fmt: skip
            self._then(calendar.add(case.resolve_due, length * self._draw(4, 0.3, 1.2)),
                       self.resolve, "resolved")  # fmt: skip
            return
        resolve_at = self._within(case, at, case.resolve_due, self._draw(4, 0.3, 0.9))
        self._press_at(self._within(case, at, resolve_at, 0.5))
        self._then(resolve_at, self.resolve, "resolved")

    def _press_at(self, at: datetime) -> None:
        if self.story.pressed is not None:
            self._then(at, self.press, self.story.pressed)

    def ask_for_time(self, uow: UnitOfWork, at: datetime) -> None:
        case = self.case
        calendar = self.demo.calendars.for_category(case.around_the_clock)
        wanted = calendar.add(case.resolve_due, calendar.between(case.dispatched_at,
                                                                 case.resolve_due))  # fmt: skip
        cmd = RequestExtension(case.id, self._staff(case), wanted, "需协调施工队伍和材料")
        department.request_case_extension(uow, cmd, now=at)
        self.extended = True
        self.case = replace(case, resolve_due=wanted)  # once granted
        self._then(at + timedelta(minutes=self._draw(5, 20, 120)), self.grant_time, "extended")

    def grant_time(self, uow: UnitOfWork, at: datetime) -> None:
        operator.decide_case_extension(uow, DecideExtension(self.case_id, OPERATOR, True), now=at)
        self._resolve_later(self.case, at)

    def sweep(self, uow: UnitOfWork, at: datetime) -> None:
        cmd = SweepCase(self.case_id)
        sweep.sweep_case(uow, cmd, calendars=self.demo.calendars, now=at)

    def press(self, uow: UnitOfWork, at: datetime) -> None:
        """The operator urges (催办) or supervises (督办) the department holding the case."""
        if self.story.pressed == "urge":
            operator.urge_case(uow, UrgeCase(self.case_id, OPERATOR, "请抓紧处置"), now=at)
        else:
            cmd = SuperviseCase(self.case_id, OPERATOR, "群众反映强烈，请限时处置",
                                at + timedelta(hours=4))  # fmt: skip
            operator.supervise_case(uow, cmd, now=at)

    def resolve(self, uow: UnitOfWork, at: datetime) -> None:
        case = self.case
        department.resolve_case(
            uow, ResolveCase(case.id, self._staff(case), "已处置完毕"), now=at,
            media_dir=self.demo.media_dir, calendars=self.demo.calendars,
            verify_limit=self.demo.verify_limit,
        )  # fmt: skip
        self._then(at + timedelta(minutes=self._draw(6, 20, 100)), self.check, "verified")

    # --- the grid worker and the reporter ---------------------------------------------------

    def check(self, uow: UnitOfWork, at: datetime) -> None:
        """The grid worker checks on site: the first check of a reworked story fails."""
        task_id = handling.open_task_of(uow.conn, self.case_id)
        assert task_id is not None
        fail = self.story.path == "reworked" and not self.reworked
        photos = (self.demo.photo,) if fail else ()
        note = "现场仍未清理干净" if fail else "现场核查合格"
        cmd = VerifyCase(task_id, self.demo.worker_id, WORKER, not fail, note, photos)
        worker.verify_case(uow, cmd, calendars=self.demo.calendars, now=at,
                           media_dir=self.demo.media_dir)  # fmt: skip
        if fail:
            self.reworked = True
            self._reload(uow)
            self.dispatched(uow, at)
        elif self.story.rating is not None:
            self._then(at + timedelta(hours=self._draw(7, 2, 30)), self.rate, "rated")

    def rate(self, uow: UnitOfWork, at: datetime) -> None:
        """The follow-up call's rating (回访评价); a 不满意 is called back the next day."""
        cmd = RateCase(self.case_id, OPERATOR, self.story.rating, "电话回访")
        worker.rate_case(uow, cmd, now=at, calendars=self.demo.calendars,
                         revisit_hours=self.demo.revisit_hours)  # fmt: skip
        if self.story.rating == "dissatisfied":
            self._then(at + timedelta(hours=20), self.call_back, "called back")

    def call_back(self, uow: UnitOfWork, at: datetime) -> None:
        cmd = CloseRevisit(self.case_id, OPERATOR, "closed", "已向市民说明处置情况")
        revisits.close_revisit(uow, cmd, calendars=self.demo.calendars, now=at)
