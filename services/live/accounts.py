"""Account changes made anywhere reach this process's sockets at once: an admin on another
`serve` process, or the CLI, disables an account, changes its scope or revokes a session; the
database NOTIFYs `gridflow_account` with the account's id when that commits (migration 0105),
and the live server's watch (every 0.2 s) makes that account's clients here due for their
check, so they are cut, or moved to their new rooms, in the same round instead of within
`live_auth_check_s`. Listening (re)started, notifications may have been missed: every client
here is checked then."""

from __future__ import annotations

import logging

from sqlalchemy import Engine

from services.live.clients import Clients
from services.store.listening import ACCOUNT_CHANNEL, Listener

log = logging.getLogger(__name__)


class AccountChanges:
    """The `gridflow_account` channel applied to one process's clients."""

    def __init__(self, engine: Engine, clients: Clients) -> None:
        self._listener = Listener(engine, ACCOUNT_CHANNEL)
        self._clients = clients

    def apply(self) -> int:
        """Makes the clients of the accounts notified since the last call due for their check
        now (all of them when listening restarted); returns how many were made due."""
        payloads, restarted = self._listener.poll()
        if restarted:
            return self._clients.check_everyone_now()
        due = 0
        for payload in set(payloads):
            if payload.isdigit():
                due += self._clients.check_account_now(int(payload))
            else:
                log.warning("live: %s payload %r is no account id", ACCOUNT_CHANNEL, payload)
        return due

    def close(self) -> None:
        self._listener.close()
