"""On gevent (`gridflow serve`), CPU-bound work runs on real OS threads while the event loop
goes on: a greenlet ticking every 10 ms keeps ticking while a password is hashed (argon2
takes tens of milliseconds); without gevent the same call simply runs where it is called."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = r"""
from gevent import monkey
monkey.patch_all()
import json, threading, time
import gevent
from services.auth.passwords import hash_password, verify_password
from services.runtime import cooperative, offload

ticks = []
def ticker():
    while len(ticks) < 1000:
        ticks.append(time.monotonic())
        gevent.sleep(0.01)

g = gevent.spawn(ticker)
gevent.sleep(0.05)
started = time.monotonic()
digest = hash_password("correct horse battery staple")
ok = verify_password(digest, "correct horse battery staple")
ended = time.monotonic()
during = [t for t in ticks if started <= t <= ended]
print(json.dumps({
    "cooperative": cooperative(),
    "verified": ok,
    "hash_ms": round((ended - started) * 1000, 1),
    "ticks_during": len(during),
    "other_thread": offload(threading.get_native_id) != threading.get_native_id(),
}))
g.kill()
"""


def test_password_hashing_leaves_the_event_loop_running():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["cooperative"] and probe["verified"] and probe["other_thread"]
    # Hashing and verifying take tens of milliseconds; the loop ticked meanwhile.
    assert probe["ticks_during"] >= max(1, int(probe["hash_ms"] / 10) // 3), probe


def test_without_gevent_offload_runs_in_the_calling_thread():
    import threading

    from services.runtime import cooperative, offload

    assert not cooperative()
    assert offload(threading.get_native_id) == threading.get_native_id()
