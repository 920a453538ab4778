// Datums for drawing, the one copy every page uses (the command center, the admin maps, the
// phone app): gridflow stores WGS84, while Chinese map tiles (AMap, Tencent) are drawn in
// GCJ-02. The published forward formula, as in geo/datum.py; the inverse by fixed-point
// iteration to 1e-10 degree. A plain script that sets `globalThis.gfDatum`, so a page loads
// it with <script src> and an ES module with `import "/assets/js/datum.js"`.
"use strict";

(function () {
  const A = 6378245.0;
  const EE = 0.00669342162296594323;

  const outOfChina = (lat, lng) => lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271;

  function offset(lat, lng) {
    if (outOfChina(lat, lng)) return [0, 0];
    const { sin, sqrt, abs, cos, PI } = Math;
    const x = lng - 105.0;
    const y = lat - 35.0;
    let dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(abs(x));
    dLat += ((20.0 * sin(6.0 * x * PI) + 20.0 * sin(2.0 * x * PI)) * 2.0) / 3.0;
    dLat += ((20.0 * sin(y * PI) + 40.0 * sin((y / 3.0) * PI)) * 2.0) / 3.0;
    dLat += ((160.0 * sin((y / 12.0) * PI) + 320 * sin((y * PI) / 30.0)) * 2.0) / 3.0;
    let dLng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(abs(x));
    dLng += ((20.0 * sin(6.0 * x * PI) + 20.0 * sin(2.0 * x * PI)) * 2.0) / 3.0;
    dLng += ((20.0 * sin(x * PI) + 40.0 * sin((x / 3.0) * PI)) * 2.0) / 3.0;
    dLng += ((150.0 * sin((x / 12.0) * PI) + 300.0 * sin((x / 30.0) * PI)) * 2.0) / 3.0;
    const radLat = (lat / 180.0) * PI;
    const magic = 1 - EE * sin(radLat) ** 2;
    const sqrtMagic = sqrt(magic);
    dLat = (dLat * 180.0) / (((A * (1 - EE)) / (magic * sqrtMagic)) * PI);
    dLng = (dLng * 180.0) / ((A / sqrtMagic) * cos(radLat) * PI);
    return [dLat, dLng];
  }

  function wgs84ToGcj02(lat, lng) {
    const [dLat, dLng] = offset(lat, lng);
    return [lat + dLat, lng + dLng];
  }

  function gcj02ToWgs84(lat, lng) {
    let gLat = lat;
    let gLng = lng;
    for (let i = 0; i < 30; i += 1) {
      const [fLat, fLng] = wgs84ToGcj02(gLat, gLng);
      const eLat = fLat - lat;
      const eLng = fLng - lng;
      gLat -= eLat;
      gLng -= eLng;
      if (Math.abs(eLat) < 1e-10 && Math.abs(eLng) < 1e-10) break;
    }
    return [gLat, gLng];
  }

  globalThis.gfDatum = Object.freeze({
    wgs84ToGcj02,
    gcj02ToWgs84,
    // (lat, lng) in `crs` (what a phone reports: wgs84 or gcj02) → WGS84.
    toWgs84: (lat, lng, crs) => (crs === "gcj02" ? gcj02ToWgs84(lat, lng) : [lat, lng]),
    // WGS84 → the datum the tiles are drawn in, and a point on the tiles back to WGS84.
    toTiles: (lat, lng, tileCrs) => (tileCrs === "gcj02" ? wgs84ToGcj02(lat, lng) : [lat, lng]),
    fromTiles: (lat, lng, tileCrs) => (tileCrs === "gcj02" ? gcj02ToWgs84(lat, lng) : [lat, lng]),
  });
})();
