"""What every long-running stream process shares: logging set-up and a clean SIGTERM/SIGINT stop."""

from __future__ import annotations

import logging
import signal
import threading


def configure_logging(level: str = "INFO") -> None:
    """One line per record on stderr, with the process's logger names."""
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # The Kafka client logs every reconnect attempt at INFO/WARNING; keep its errors only.
    logging.getLogger("kafka").setLevel(logging.ERROR)


def stop_on_signals() -> threading.Event:
    """An event set on SIGTERM or SIGINT; loops check it and finish their current step."""
    stop = threading.Event()

    def _handler(signum: int, _frame: object) -> None:
        logging.getLogger("gridflow").info("received %s; stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)
    return stop
