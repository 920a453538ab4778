"""Moderation's rule as SQL over a report alias `r`, for reads made for no one viewer in
particular (the live map's messages, a case's photos): what the flags withhold from everyone
who is not a moderator. The rule itself, and who is a moderator, is services.capture.moderation.
"""

from __future__ import annotations

TEXT_WITHHELD_SQL = "(r.hidden OR r.redacted)"
PHOTOS_WITHHELD_SQL = "(r.hidden OR r.photos_hidden)"
