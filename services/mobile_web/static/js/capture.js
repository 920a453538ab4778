// The capture screen: position and cell, category, description, photos, handled on the spot.
// Saving writes the report to the outbox (IndexedDB) with a UUID made here; sending is the
// queue's job.

import { $, h, blobImage, replaceChildren, toast } from './dom.js';
import { t, localName, onLangChange } from './i18n.js';
import * as position from './position.js';
import * as cells from './cells.js';
import * as categories from './categories.js';
import { openPicker } from './picker.js';
import { downscale, MAX_PHOTOS } from './photos.js';
import { enqueue, pendingCount } from './outbox.js';
import { current } from './session.js';
import * as questions from './questions.js';

const form = {
  category: null,
  photos: [], // [{blob, width, height}]
  after: null,
  cell: null,
};
let map = null;
let mapLayers = null;
let mapModule = null;
let locating = 0;

function showCategory() {
  const c = form.category && categories.byCode(form.category);
  const button = $('#category-button');
  button.textContent = c ? `${localName(c)} · ${c.code}` : t('capture.choose_category');
  button.classList.toggle('chosen', Boolean(c));
}

function showPhotos() {
  const thumbs = form.photos.map((p, i) => h('figure', { class: 'thumb' },
    blobImage(p.blob, `${i + 1}`),
    h('button', {
      type: 'button', class: 'remove', 'aria-label': t('capture.remove_photo'),
      onclick: () => { form.photos.splice(i, 1); showPhotos(); },
    }, '×')));
  replaceChildren($('#photo-list'), thumbs);
  $('#photo-count').textContent = t('capture.photos', { n: form.photos.length });
  $('#photo-add').classList.toggle('disabled', form.photos.length >= MAX_PHOTOS);
  replaceChildren($('#after-preview'), [
    form.after && h('figure', { class: 'thumb' }, blobImage(form.after.blob, t('capture.after_photo'))),
  ]);
}

function showPosition() {
  const fix = position.latestFix();
  const failure = position.lastFailure();
  const text = $('#pos-text');
  const detail = $('#pos-accuracy');
  if (!fix) {
    text.textContent = failure ? t('capture.no_position', { reason: failure }) : t('capture.locating');
    detail.textContent = '';
  } else {
    text.textContent = `${fix.lat.toFixed(6)}, ${fix.lng.toFixed(6)}`;
    detail.textContent = t('capture.accuracy', {
      m: fix.accuracy_m === null ? '?' : Math.round(fix.accuracy_m),
      crs: fix.crs.toUpperCase(),
    });
  }
  const cell = $('#pos-cell');
  if (!fix) cell.textContent = '';
  else if (!form.cell) cell.textContent = t('capture.cell_unknown');
  else if (!form.cell.code) cell.textContent = t('capture.cell_outside');
  else cell.textContent = t('capture.cell', { code: form.cell.code, name: form.cell.name || '' });
  cell.dataset.cell = form.cell?.code || '';
}

async function drawMap() {
  const fix = position.latestFix();
  if (!fix) return;
  if (!map) {
    mapModule = await import('./map.js');
    map = mapModule.createMap($('#capture-map'), 17);
    mapLayers = mapModule.layerGroup().addTo(map);
  }
  const { toWgs84 } = await import('./datum.js');
  const [lat, lng] = toWgs84(fix.lat, fix.lng, fix.crs);
  const layers = [];
  const outline = form.cell?.code && await cells.feature(form.cell.code);
  if (outline) layers.push(mapModule.cellOutline(outline));
  if (fix.accuracy_m) layers.push(mapModule.accuracyCircle(lat, lng, fix.accuracy_m));
  layers.push(mapModule.point(lat, lng));
  mapLayers.clearLayers();
  for (const layer of layers) mapLayers.addLayer(layer);
  map.setView(mapModule.toMap(lat, lng), map.getZoom());
}

async function onFix() {
  const fix = position.latestFix();
  showPosition();
  if (!fix) return;
  const mine = ++locating;
  const found = await cells.locate(fix);
  if (mine !== locating) return; // a newer fix is being placed
  form.cell = found;
  showPosition();
  drawMap().catch((err) => console.warn('map', err));
}

async function addPhotos(files, after = false) {
  for (const file of files) {
    if (!after && form.photos.length >= MAX_PHOTOS) { toast(t('capture.too_many_photos')); break; }
    try {
      const photo = await downscale(file);
      if (after) form.after = photo;
      else form.photos.push(photo);
    } catch (err) {
      console.warn('photo', err);
      toast(t('capture.photo_failed'));
    }
  }
  showPhotos();
}

function fail(key, params = {}) {
  const el = $('#capture-error');
  el.textContent = t(key, params);
  el.hidden = false;
}

async function submit(event) {
  event.preventDefault();
  $('#capture-error').hidden = true;
  const description = $('#description').value.trim();
  const fix = position.latestFix();
  const onSpot = $('#on-spot').checked;
  if (!form.category) return fail('capture.need_category');
  const unanswered = questions.unanswered();
  if (unanswered) return fail('capture.need_answer', { q: unanswered });
  if (!description) return fail('capture.need_description');
  if (!fix) return fail('capture.need_position');
  if (onSpot && !form.after) return fail('capture.need_after_photo');
  const session = await current();
  const id = crypto.randomUUID();
  const files = form.photos.map((p, i) => ({ field: 'photos', blob: p.blob, name: `photo-${i + 1}.jpg` }));
  if (onSpot) files.push({ field: 'after_photo', blob: form.after.blob, name: 'after.jpg' });
  await enqueue({
    id,
    kind: 'report',
    owner: session?.username || null,
    path: '/api/v1/reports',
    json_field: 'report',
    body: {
      id,
      category: form.category,
      description,
      location: {
        lat: fix.lat,
        lng: fix.lng,
        crs: fix.crs,
        accuracy_m: fix.accuracy_m === null ? null : Math.min(100_000, fix.accuracy_m),
      },
      occurred_at: new Date().toISOString(),
      handled_on_spot: onSpot,
      answers: questions.answers(),
    },
    files,
    cell_code: form.cell?.code || null,
  });
  await categories.remember(form.category);
  form.category = null;
  form.photos = [];
  form.after = null;
  $('#capture-form').reset();
  $('#after-block').hidden = true;
  questions.show(null);
  showCategory();
  showPhotos();
  toast(t('capture.saved', { n: await pendingCount() }));
}

export function init() {
  $('#category-button').addEventListener('click', () => openPicker((code) => {
    form.category = code;
    showCategory();
    questions.show(categories.byCode(code));
  }));
  $('#photo-input').addEventListener('change', async (e) => {
    await addPhotos([...e.target.files]);
    e.target.value = '';
  });
  $('#after-input').addEventListener('change', async (e) => {
    await addPhotos([...e.target.files].slice(0, 1), true);
    e.target.value = '';
  });
  $('#on-spot').addEventListener('change', (e) => { $('#after-block').hidden = !e.target.checked; });
  $('#relocate').addEventListener('click', () => position.relocate());
  $('#capture-form').addEventListener('submit', (e) => {
    submit(e).catch((err) => fail('capture.save_failed', { reason: err.message || err }));
  });
  position.onPosition(onFix);
  onLangChange(() => { showCategory(); showPhotos(); showPosition(); questions.redraw(); });
  showCategory();
  showPhotos();
  showPosition();
}

// Called when the capture screen is shown (Leaflet needs a visible box to size itself).
export function shown() {
  position.watch();
  if (map) map.invalidateSize();
}
