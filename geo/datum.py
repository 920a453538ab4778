"""Datums of coordinate inputs: WGS84 (stored), GCJ-02 and BD-09 (Chinese map SDKs).

GCJ-02 is the obfuscated datum that phone map SDKs in China (AMap/Gaode, Tencent, Google China)
report; BD-09 is Baidu's further offset of GCJ-02. Both are defined by the published forward
formulas (WGS84 → GCJ-02 → BD-09). Their inverses have no closed form: `to_wgs84` solves them by
fixed-point iteration until the forward image matches to 1e-10 degree (about 0.01 mm), so a
round trip through `from_wgs84` and `to_wgs84` stays far inside 0.5 m anywhere in mainland China.

Outside China's bounding box GCJ-02 equals WGS84 (as the SDKs do it). Every function takes and
returns (lat, lng) in degrees; the `*_arrays` variants take numpy arrays.
"""

from __future__ import annotations

import math

import numpy as np

SUPPORTED_CRS = ("wgs84", "gcj02", "bd09")
DEFAULT_CRS = "wgs84"

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as used by the GCJ-02 formulas
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = math.pi * 3000.0 / 180.0
_TOLERANCE_DEG = 1e-10
_MAX_ITERATIONS = 30


class UnknownDatum(ValueError):
    """A datum name that is not one of SUPPORTED_CRS."""

    def __init__(self, crs: object):
        super().__init__(f"unknown datum {crs!r}; use one of {', '.join(SUPPORTED_CRS)}")
        self.crs = crs


class InvalidCoordinate(ValueError):
    """A latitude or longitude that is not a finite number in range; `field` names which."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def normalize_crs(crs: str | None) -> str:
    """The datum name in canonical form ('WGS84', 'GCJ-02' … accepted); UnknownDatum otherwise."""
    if crs is None:
        return DEFAULT_CRS
    name = str(crs).strip().lower().replace("-", "").replace("_", "").replace(":", "")
    aliases = {"epsg4326": "wgs84", "4326": "wgs84", "epsg4490": "wgs84", "cgcs2000": "wgs84"}
    name = aliases.get(name, name)
    if name not in SUPPORTED_CRS:
        raise UnknownDatum(crs)
    return name


def check_coordinate(lat: object, lng: object) -> tuple[float, float]:
    """(lat, lng) as floats; InvalidCoordinate naming the field when not finite or out of range."""
    values = []
    for field, value, limit in (("lat", lat, 90.0), ("lng", lng, 180.0)):
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise InvalidCoordinate(field, f"{field} must be a number: {value!r}") from None
        if not math.isfinite(number):
            raise InvalidCoordinate(field, f"{field} must be a finite number: {value!r}")
        if not -limit <= number <= limit:
            raise InvalidCoordinate(field, f"{field} must be within ±{limit:g}: {number}")
        values.append(number)
    return values[0], values[1]


def out_of_china(lat, lng):
    """True where GCJ-02 leaves coordinates alone (outside China's bounding box)."""
    return (lng < 72.004) | (lng > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


class _Scalar:
    sin, cos, sqrt, arctan2, pi = math.sin, math.cos, math.sqrt, math.atan2, math.pi


def _ops(value):
    return np if isinstance(value, np.ndarray) else _Scalar


def _gcj_offset(lat, lng):
    np = _ops(lat)  # noqa: F811 - the same formulas serve floats (fast) and numpy arrays
    x = lng - 105.0
    y = lat - 35.0
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(abs(x))
    d_lat = d_lat + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    d_lat = d_lat + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    d_lat = d_lat + (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    d_lng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(abs(x))
    d_lng = d_lng + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    d_lng = d_lng + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    d_lng = (
        d_lng + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad_lat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lng = (d_lng * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    outside = out_of_china(lat, lng)
    if np is _Scalar:
        return (0.0, 0.0) if outside else (d_lat, d_lng)
    return np.where(outside, 0.0, d_lat), np.where(outside, 0.0, d_lng)


def _wgs84_to_gcj02(lat, lng):
    d_lat, d_lng = _gcj_offset(lat, lng)
    return lat + d_lat, lng + d_lng


def _gcj02_to_bd09(lat, lng):
    np = _ops(lat)  # noqa: F811
    z = np.sqrt(lng * lng + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lng) + 0.000003 * np.cos(lng * _X_PI)
    return z * np.sin(theta) + 0.006, z * np.cos(theta) + 0.0065


def _wgs84_to_bd09(lat, lng):
    return _gcj02_to_bd09(*_wgs84_to_gcj02(lat, lng))


_FORWARD = {"gcj02": _wgs84_to_gcj02, "bd09": _wgs84_to_bd09}
# First guesses of the inverse: subtract the offset the forward map adds there.
_SHIFT = {"gcj02": (0.0, 0.0), "bd09": (0.006, 0.0065)}


def _invert(forward, lat, lng, shift):
    guess_lat = lat - shift[0]
    guess_lng = lng - shift[1]
    for _ in range(_MAX_ITERATIONS):
        f_lat, f_lng = forward(guess_lat, guess_lng)
        err_lat = f_lat - lat
        err_lng = f_lng - lng
        guess_lat = guess_lat - err_lat
        guess_lng = guess_lng - err_lng
        if np.all(abs(err_lat) < _TOLERANCE_DEG) and np.all(abs(err_lng) < _TOLERANCE_DEG):
            break
    return guess_lat, guess_lng


def to_wgs84_arrays(lats, lngs, crs: str = DEFAULT_CRS):
    """Arrays of (lat, lng) in `crs` converted to WGS84 (new arrays; inputs untouched)."""
    crs = normalize_crs(crs)
    lats = np.asarray(lats, dtype=float)
    lngs = np.asarray(lngs, dtype=float)
    if crs == "wgs84":
        return lats.copy(), lngs.copy()
    return _invert(_FORWARD[crs], lats, lngs, _SHIFT[crs])


def from_wgs84_arrays(lats, lngs, crs: str = DEFAULT_CRS):
    """Arrays of WGS84 (lat, lng) converted to `crs`."""
    crs = normalize_crs(crs)
    lats = np.asarray(lats, dtype=float)
    lngs = np.asarray(lngs, dtype=float)
    if crs == "wgs84":
        return lats.copy(), lngs.copy()
    return _FORWARD[crs](lats, lngs)


def to_wgs84(lat: float, lng: float, crs: str = DEFAULT_CRS) -> tuple[float, float]:
    """One point given in `crs` as WGS84 (lat, lng). UnknownDatum for an unsupported datum."""
    crs = normalize_crs(crs)
    if crs == "wgs84":
        return float(lat), float(lng)
    out_lat, out_lng = _invert(_FORWARD[crs], float(lat), float(lng), _SHIFT[crs])
    return float(out_lat), float(out_lng)


def from_wgs84(lat: float, lng: float, crs: str = DEFAULT_CRS) -> tuple[float, float]:
    """One WGS84 point expressed in `crs` (what a Chinese map SDK would show for it)."""
    crs = normalize_crs(crs)
    if crs == "wgs84":
        return float(lat), float(lng)
    out_lat, out_lng = _FORWARD[crs](float(lat), float(lng))
    return float(out_lat), float(out_lng)
