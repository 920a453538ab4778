"""How this process's Socket.IO packets are encoded: orjson for the JSON, and a cheap check for
binary attachments.

The command-center snapshot is ~2 MB of JSON (2,000 open cases and the load of every cell,
~250,000 values). python-socketio looks for bytes in every packet by walking the whole payload
in Python (~0.3 s of CPU per snapshot, more than building it) and then encodes it with the
standard library; here orjson answers both (it refuses bytes), and the walk is left only for
the rare payload orjson cannot encode.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import orjson
from socketio import packet

_OPTIONS = orjson.OPT_NON_STR_KEYS
# The text of the payload last checked for binary in this thread, which is the payload encoded
# right after (a packet checks then encodes its own data): (payload, its JSON text).
_checked = threading.local()


class OrjsonCodec:
    """A drop-in for the `json` module where python-socketio encodes and decodes packets."""

    @staticmethod
    def dumps(obj: Any, **_kwargs: Any) -> str:
        """Compact JSON text of `obj` (the standard library's for what orjson cannot encode)."""
        last = getattr(_checked, "last", None)
        if last is not None and last[0] is obj:
            _checked.last = None
            return last[1]
        try:
            return orjson.dumps(obj, option=_OPTIONS).decode()
        except TypeError:
            return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)

    @staticmethod
    def loads(text: str | bytes, **_kwargs: Any) -> Any:
        """The value of JSON `text`."""
        return orjson.loads(text)


class WirePacket(packet.Packet):
    """A Socket.IO packet encoded with `OrjsonCodec` (python-socketio's `serializer`)."""

    json = OrjsonCodec

    @classmethod
    def data_is_binary(cls, data: Any) -> bool:
        """Whether `data` holds bytes (sent as attachments): no when orjson can encode it."""
        try:
            text = orjson.dumps(data, option=_OPTIONS).decode()
        except TypeError:
            return super().data_is_binary(data)
        _checked.last = (data, text)
        return False
