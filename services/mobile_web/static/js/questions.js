// The chosen category's extra questions on the capture form (set by the admin in the catalog):
// a text field or a choice list each, required ones marked; their answers go with the report.

import { $, h, replaceChildren } from './dom.js';
import { t, currentLang } from './i18n.js';

let asked = [];

const wording = (q) => (currentLang() === 'en' && q.text_en ? q.text_en : q.text_zh);

function field(q, value) {
  const id = `question-${q.code}`;
  const label = h('label', { for: id }, wording(q), q.required ? h('span', { class: 'required' }, ' *') : null);
  if (q.kind === 'choice') {
    const options = [h('option', { value: '' }, t('capture.question_choose')),
      ...q.choices.map((c) => h('option', { value: c }, c))];
    const select = h('select', { id, class: 'field', dataset: { question: q.code } }, options);
    select.value = value || '';
    return [label, select];
  }
  const input = h('input', { id, class: 'field', maxlength: '500', dataset: { question: q.code } });
  input.value = value || '';
  return [label, input];
}

// Shows the questions of `category` (none when it asks nothing); keeps answers already given.
export function show(category) {
  const before = answers();
  asked = (category && category.questions) || [];
  replaceChildren($('#questions'), asked.flatMap((q) => field(q, before[q.code])));
  $('#questions').hidden = asked.length === 0;
}

// {code: answer} of the questions answered.
export function answers() {
  const found = {};
  for (const el of document.querySelectorAll('#questions [data-question]')) {
    const value = el.value.trim();
    if (value) found[el.dataset.question] = value;
  }
  return found;
}

// The wording of the first required question left unanswered, or null.
export function unanswered() {
  const given = answers();
  const missing = asked.find((q) => q.required && !given[q.code]);
  return missing ? wording(missing) : null;
}

export function redraw() {
  const given = answers();
  replaceChildren($('#questions'), asked.flatMap((q) => field(q, given[q.code])));
}
