"""Dispatch: the command handlers of the case workflow (register, dispatch, …) and the
department/rule administration, each taking a unit of work (see `uow`)."""
