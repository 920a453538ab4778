// The phone app's datums: the one module the other pages load too (/assets/js/datum.js, in the
// app shell the service worker caches), re-exported for the app's ES modules.

import '/assets/js/datum.js';

export const { wgs84ToGcj02, gcj02ToWgs84, toWgs84, toTiles, fromTiles } = globalThis.gfDatum;
