"""Typed failures of the dispatch handlers; the HTTP layer and the stream loop map them."""

from __future__ import annotations


class CaseError(Exception):
    """Base: a command cannot be applied as given. `.field` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class InvalidCommand(CaseError):
    """A command's input is missing or malformed (e.g. an event payload without report_id)."""


class UnknownReport(CaseError):
    """The report the command names does not exist."""


class UnknownCategory(CaseError):
    """The category the command names is not in the catalog."""


class UnknownDepartment(CaseError):
    """The department the command names does not exist or is inactive."""


class UnknownCase(CaseError):
    """The case the command names does not exist."""
