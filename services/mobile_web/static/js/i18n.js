// Every word the app shows, in Chinese (the default) and English. Elements carry
// data-i18n="key" (text) or data-i18n-attr="attr:key" (an attribute); code calls t(key, params).

import { ACCOUNT } from './i18n_account.js';
import { NOTICES } from './i18n_notices.js';

const DICT = {
  zh: {
    'app.title': '网格通',
    'lang.switch': 'EN',
    'lang.switch.label': 'Switch to English',
    'net.online': '在线',
    'net.offline': '离线',
    'tab.capture': '采集',
    'tab.queue': '待发',
    'tab.reports': '我的上报',
    'tab.tasks': '核查',
    'tab.map': '地图',
    'capture.position': '位置',
    'capture.locating': '正在定位…',
    'capture.no_position': '无法定位：{reason}',
    'capture.accuracy': '精度 ±{m} 米 · {crs}',
    'capture.cell': '网格 {code} {name}',
    'capture.cell_unknown': '网格未知（离线）',
    'capture.cell_outside': '不在网格内',
    'capture.relocate': '重新定位',
    'capture.category': '问题类别',
    'capture.choose_category': '选择类别',
    'capture.description': '问题描述',
    'capture.description_hint': '写清楚问题和位置特征',
    'capture.photos': '现场照片（{n}/6）',
    'capture.add_photo': '拍照 / 选图',
    'capture.remove_photo': '删除照片',
    'capture.on_spot': '已当场处置',
    'capture.after_photo': '处置后照片',
    'capture.add_after_photo': '拍处置后照片',
    'capture.submit': '保存并上报',
    'capture.saved': '已保存，{n} 条等待发送',
    'capture.need_category': '请选择问题类别',
    'capture.need_answer': '请回答：{q}',
    'capture.question_choose': '请选择',
    'capture.need_description': '请填写问题描述',
    'capture.need_position': '还没有位置，请等待定位或重新定位',
    'capture.need_after_photo': '当场处置需要处置后照片',
    'capture.too_many_photos': '最多 6 张照片',
    'capture.photo_failed': '照片无法读取',
    'capture.save_failed': '保存失败：{reason}',
    'picker.title': '选择问题类别',
    'picker.search': '搜索类别（中文 / English / 代码）',
    'picker.recent': '最近使用',
    'picker.all': '全部类别',
    'picker.none': '没有匹配的类别',
    'picker.close': '关闭',
    'picker.empty': '类别目录未下载，请联网后重试',
    'queue.title': '待发送',
    'queue.empty': '没有待发送的内容',
    'queue.delivered': '已送达',
    'queue.waiting': '等待发送',
    'queue.sending': '发送中',
    'queue.attention': '需要处理',
    'queue.sent': '已送达',
    'queue.attempts': '已尝试 {n} 次，{s} 秒后重试',
    'queue.retry': '立即重试',
    'queue.no_network': '没有网络，联网后自动发送',
    'queue.server_busy': '服务器暂时不可用（{status}），稍后自动重试',
    'queue.delete': '删除',
    'queue.delete_confirm': '删除后无法恢复，确定删除？',
    'queue.report': '上报',
    'queue.verify': '核查结果',
    'queue.photos': '{n} 张照片',
    'queue.case_no': '案卷号 {no}',
    'queue.needs_login': '登录后继续发送',
    'reports.title': '我的上报',
    'reports.empty': '还没有上报',
    'reports.offline': '离线，显示的是上次的状态',
    'reports.resolution': '处置结果',
    'reports.after_photo': '处置后照片',
    'reports.rating': '评价：{rating}',
    'rating.satisfied': '满意',
    'rating.basically_satisfied': '基本满意',
    'rating.dissatisfied': '不满意',
    'tasks.title': '核查任务',
    'tasks.empty': '没有待核查的任务',
    'tasks.pass': '通过',
    'tasks.fail': '不通过',
    'tasks.photo': '核查照片',
    'tasks.add_photo': '拍核查照片',
    'tasks.note': '说明（不通过时必填）',
    'tasks.need_note': '不通过请写明原因',
    'tasks.need_photo': '请先拍核查照片',
    'tasks.due': '期限 {at}',
    'tasks.queued': '核查结果已保存，等待发送',
    'map.title': '本网格在办案件',
    'map.empty': '本网格没有在办案件',
    'patrol.today': '今日巡查 {km} 公里 · {hours} 小时 · 本网格覆盖 {share}%',
    'settings.title': '设置',
    'settings.account': '当前账号 {name}',
    'settings.cells': '负责网格：{cells}',
    'settings.logout': '退出登录',
    'settings.patrol_interval': '巡查定位间隔',
    'settings.seconds': '{n} 秒',
    'settings.datum': '定位坐标系',
    'settings.datum.wgs84': 'WGS84（浏览器标准）',
    'settings.datum.gcj02': 'GCJ-02（国测局）',
    'settings.open': '设置',
    'patrol.start': '开始巡查',
    'patrol.stop': '结束巡查',
    'patrol.on': '巡查中 · {n} 点待发',
    'error.field': '{message}（字段 {field}）',
    'status.reported': '已上报',
    'status.registered': '已立案',
    'status.rejected': '不予立案',
    'status.merged': '已合并',
    'status.dispatched': '已派遣',
    'status.acknowledged': '已签收',
    'status.returned': '已退回',
    'status.resolved': '已处置',
    'status.closed': '已结案',
  },
  en: {
    'app.title': 'Gridflow',
    'lang.switch': '中',
    'lang.switch.label': '切换到中文',
    'net.online': 'Online',
    'net.offline': 'Offline',
    'tab.capture': 'Capture',
    'tab.queue': 'Outbox',
    'tab.reports': 'My reports',
    'tab.tasks': 'Verify',
    'tab.map': 'Map',
    'capture.position': 'Position',
    'capture.locating': 'Locating…',
    'capture.no_position': 'No position: {reason}',
    'capture.accuracy': 'Accuracy ±{m} m · {crs}',
    'capture.cell': 'Cell {code} {name}',
    'capture.cell_unknown': 'Cell unknown (offline)',
    'capture.cell_outside': 'Outside the grid',
    'capture.relocate': 'Locate again',
    'capture.category': 'Category',
    'capture.choose_category': 'Choose a category',
    'capture.description': 'Description',
    'capture.description_hint': 'What is wrong, and how to find it',
    'capture.photos': 'Photos ({n}/6)',
    'capture.add_photo': 'Take / pick photo',
    'capture.remove_photo': 'Remove photo',
    'capture.on_spot': 'Handled on the spot',
    'capture.after_photo': 'Photo after the fix',
    'capture.add_after_photo': 'Take after photo',
    'capture.submit': 'Save and send',
    'capture.saved': 'Saved; {n} waiting to be sent',
    'capture.need_category': 'Choose a category',
    'capture.need_answer': 'Please answer: {q}',
    'capture.question_choose': 'Choose',
    'capture.need_description': 'Describe the problem',
    'capture.need_position': 'No position yet: wait or locate again',
    'capture.need_after_photo': 'Handled on the spot needs a photo after the fix',
    'capture.too_many_photos': 'At most 6 photos',
    'capture.photo_failed': 'This photo cannot be read',
    'capture.save_failed': 'Could not save: {reason}',
    'picker.title': 'Choose a category',
    'picker.search': 'Search (Chinese / English / code)',
    'picker.recent': 'Recent',
    'picker.all': 'All categories',
    'picker.none': 'No category matches',
    'picker.close': 'Close',
    'picker.empty': 'The catalog is not downloaded yet: go online and try again',
    'queue.title': 'Waiting to be sent',
    'queue.empty': 'Nothing is waiting',
    'queue.delivered': 'Delivered',
    'queue.waiting': 'Waiting',
    'queue.sending': 'Sending',
    'queue.attention': 'Needs attention',
    'queue.sent': 'Delivered',
    'queue.attempts': '{n} attempts; next in {s} s',
    'queue.retry': 'Retry now',
    'queue.no_network': 'No network: sent automatically once online',
    'queue.server_busy': 'Server unavailable ({status}); retrying automatically',
    'queue.delete': 'Delete',
    'queue.delete_confirm': 'This cannot be undone. Delete?',
    'queue.report': 'Report',
    'queue.verify': 'Verification',
    'queue.photos': '{n} photos',
    'queue.case_no': 'Case {no}',
    'queue.needs_login': 'Sign in to continue sending',
    'reports.title': 'My reports',
    'reports.empty': 'No reports yet',
    'reports.offline': 'Offline: showing the last known status',
    'reports.resolution': 'Resolution',
    'reports.after_photo': 'After the fix',
    'reports.rating': 'Rating: {rating}',
    'rating.satisfied': 'Satisfied',
    'rating.basically_satisfied': 'Basically satisfied',
    'rating.dissatisfied': 'Dissatisfied',
    'tasks.title': 'Verification tasks',
    'tasks.empty': 'No verification tasks',
    'tasks.pass': 'Pass',
    'tasks.fail': 'Fail',
    'tasks.photo': 'Verification photo',
    'tasks.add_photo': 'Take verification photo',
    'tasks.note': 'Note (required to fail)',
    'tasks.need_note': 'Say why it fails',
    'tasks.need_photo': 'Take a verification photo first',
    'tasks.due': 'Due {at}',
    'tasks.queued': 'Verification saved; waiting to be sent',
    'map.title': 'Open cases in my cells',
    'map.empty': 'No open cases in my cells',
    'patrol.today': 'Patrol today: {km} km · {hours} h · my cells {share}% covered',
    'settings.title': 'Settings',
    'settings.account': 'Signed in as {name}',
    'settings.cells': 'My cells: {cells}',
    'settings.logout': 'Sign out',
    'settings.patrol_interval': 'Patrol sampling interval',
    'settings.seconds': '{n} s',
    'settings.datum': 'Position datum',
    'settings.datum.wgs84': 'WGS84 (browser standard)',
    'settings.datum.gcj02': 'GCJ-02 (China)',
    'settings.open': 'Settings',
    'patrol.start': 'Patrol',
    'patrol.stop': 'Stop patrol',
    'patrol.on': 'Patrolling · {n} to send',
    'error.field': '{message} (field {field})',
    'status.reported': 'Reported',
    'status.registered': 'Registered',
    'status.rejected': 'Rejected',
    'status.merged': 'Merged',
    'status.dispatched': 'Dispatched',
    'status.acknowledged': 'Acknowledged',
    'status.returned': 'Returned',
    'status.resolved': 'Resolved',
    'status.closed': 'Closed',
  },
};

for (const extra of [ACCOUNT, NOTICES]) {
  for (const [code, texts] of Object.entries(extra)) Object.assign(DICT[code], texts);
}

export const LANGS = Object.keys(DICT);
let lang = 'zh';
const listeners = new Set();

export function t(key, params = {}) {
  const text = DICT[lang][key] ?? DICT.zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

export const currentLang = () => lang;

// Text of a record with name_zh / name_en (categories), in the current language.
export const localName = (record) => (lang === 'en' ? record.name_en || record.name_zh : record.name_zh || record.name_en);

export function apply(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':');
      el.setAttribute(attr.trim(), t(key.trim()));
    }
  }
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}

export function setLang(next) {
  lang = DICT[next] ? next : 'zh';
  try { localStorage.setItem('gridflow-m-lang', lang); } catch { /* private mode: not kept */ }
  apply();
  for (const fn of listeners) fn(lang);
}

export function onLangChange(fn) { listeners.add(fn); }

export function initLang() {
  let saved = null;
  try { saved = localStorage.getItem('gridflow-m-lang'); } catch { /* not kept */ }
  setLang(saved || 'zh');
}

export { DICT };
