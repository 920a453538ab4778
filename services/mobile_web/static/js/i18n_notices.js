// The words of the notifications (the milestones of the worker's own reports), in Chinese and
// English: merged into the app's dictionary by i18n.js. The milestone's line itself comes from
// the server in both languages.

export const NOTICES = {
  zh: {
    'notices.title': '消息通知',
    'notices.open': '消息通知',
    'notices.empty': '暂无通知',
    'notices.banner': '您的上报有新进展',
    'notices.case': '案件 {no}',
    'notices.unread': '未读',
    'notices.offline': '离线，显示的是上次收到的通知',
  },
  en: {
    'notices.title': 'Notifications',
    'notices.open': 'Notifications',
    'notices.empty': 'No notifications yet',
    'notices.banner': 'News of your report',
    'notices.case': 'Case {no}',
    'notices.unread': 'Unread',
    'notices.offline': 'Offline: showing the notifications received before',
  },
};
