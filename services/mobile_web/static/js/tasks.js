// Verification tasks (核查): a department resolved a case in the worker's cells; the worker
// checks on site and answers pass or fail with a photo. The answer goes through the outbox,
// so it is never lost either.

import { $, h, replaceChildren, blobImage, formatTime, toast } from './dom.js';
import { t, localName } from './i18n.js';
import * as store from './store.js';
import * as outbox from './outbox.js';
import { downscale } from './photos.js';
import { current, getJson } from './session.js';
import { on } from './bus.js';

const KEY = 'my_tasks';
export const verifyPath = (task) => `/api/v1/me/tasks/${encodeURIComponent(task.id)}/verify`;
let tasks = [];
const photos = new Map(); // task id → downscaled photo
const notes = new Map(); // task id → note typed so far (kept across re-renders)
let refreshTimer = null;

export async function refresh() {
  try {
    const doc = await getJson('/api/v1/me/tasks');
    tasks = doc.items || [];
    await store.setValue(KEY, tasks);
  } catch {
    // offline: the stored list stays
  }
  render();
}

function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 300);
}

async function answered() {
  return new Set((await outbox.myItems()).filter((i) => i.kind === 'verify').map((i) => String(i.task_id)));
}

async function answer(task, passed, noteEl) {
  const note = noteEl.value.trim();
  const photo = photos.get(task.id);
  if (!photo) return toast(t('tasks.need_photo'));
  if (!passed && !note) return toast(t('tasks.need_note'));
  const session = await current();
  await outbox.enqueue({
    id: crypto.randomUUID(),
    kind: 'verify',
    owner: session?.username || null,
    path: verifyPath(task),
    json_field: 'verification',
    body: { passed, note: note || null },
    files: [{ field: 'photo', blob: photo.blob, name: 'verify.jpg' }],
    task_id: task.id,
    case_no: task.case_no,
  });
  photos.delete(task.id);
  notes.delete(task.id);
  toast(t('tasks.queued'));
  render();
}

function row(task, done) {
  const note = h('textarea', { rows: 2, maxlength: 1000, placeholder: t('tasks.note'), 'aria-label': t('tasks.note') });
  note.value = notes.get(task.id) || '';
  note.addEventListener('input', () => notes.set(task.id, note.value));
  const input = h('input', { type: 'file', accept: 'image/*', capture: 'environment', hidden: true, id: `task-photo-${task.id}` });
  const preview = h('div', { class: 'thumbs' });
  const showPhoto = () => replaceChildren(preview, [photos.get(task.id) && h('figure', { class: 'thumb' }, blobImage(photos.get(task.id).blob, t('tasks.photo')))]);
  input.addEventListener('change', async () => {
    const file = input.files[0];
    input.value = '';
    if (!file) return;
    try {
      photos.set(task.id, await downscale(file));
    } catch {
      toast(t('capture.photo_failed'));
      return;
    }
    render(); // this row may have been rebuilt while the photo was being scaled
  });
  showPhoto();
  return h('li', { class: 'task', dataset: { task: task.id, caseNo: task.case_no, answered: done ? 'yes' : 'no' } },
    h('div', { class: 'line' },
      h('strong', {}, localName(task.category)),
      h('span', { class: 'muted' }, task.case_no)),
    h('p', { class: 'desc' }, task.description),
    h('div', { class: 'muted' }, task.cell_code, task.due_at ? ` · ${t('tasks.due', { at: formatTime(task.due_at) })}` : ''),
    done
      ? h('p', { class: 'notice' }, t('tasks.queued'))
      : h('div', {},
        h('div', { class: 'photos task-photo' }, preview,
          h('label', { class: 'button', for: input.id }, t('tasks.add_photo')), input),
        note,
        h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'pass', onclick: () => answer(task, true, note) }, t('tasks.pass')),
          h('button', { type: 'button', class: 'fail', onclick: () => answer(task, false, note) }, t('tasks.fail')))));
}

export async function render() {
  const done = await answered();
  const rows = tasks.map((task) => row(task, done.has(String(task.id))));
  if (!rows.length) rows.push(h('li', { class: 'empty' }, t('tasks.empty')));
  replaceChildren($('#task-list'), rows);
  const open = tasks.filter((task) => !done.has(String(task.id))).length;
  $('#task-badge').textContent = String(open);
  $('#task-badge').hidden = open === 0;
}

export async function init() {
  tasks = (await store.getValue(KEY)) || [];
  on('case_event', refreshSoon);
  on('live', (d) => { if (d.connected) refreshSoon(); });
  on('outbox', (d) => { if (d && d.state === outbox.SENT) refreshSoon(); });
  render();
}

export async function reset() {
  tasks = [];
  photos.clear();
  notes.clear();
  await store.deleteValue(KEY);
  render();
}

export function shown() {
  refresh();
}
