// The texts of the rankings page (/kpi) and the big screen (/screen), zh and en.
"use strict";

Object.assign(GF_TEXT.zh, {
  "app.kpi": "gridflow 综合评价",
  "rank.level": "对象", "rank.period": "周期", "rank.date": "日期", "rank.scheme": "评分方案",
  "rank.export": "导出 XLSX", "rank.empty": "本期无案件", "rank.all": "全部",
  "rank.rank": "排名", "rank.name": "名称", "rank.score": "综合得分", "rank.total": "合计",
  "rank.trend": "综合得分（周）", "rank.scores": "综合得分",
  "level.department": "部门", "level.district": "区", "level.street": "街道",
  "level.community": "社区", "level.cell": "网格", "level.worker": "网格员",
  "period.week": "周", "period.month": "月", "period.quarter": "季度",
  "notice.title": "督办通报", "notice.none": "暂无通报", "notice.print": "打印",
  "notice.weekly": "周报", "notice.monthly": "月报",
  "app.screen": "gridflow 网格化管理指挥大屏", "screen.today": "今日", "screen.month": "本月",
  "screen.cases": "立案数", "screen.closure_rate": "结案率", "screen.on_time_closure_rate": "按期结案率",
  "screen.satisfaction_rate": "满意率", "screen.score": "综合得分",
  "screen.ranking": "部门排名（本月综合得分）", "screen.overdue": "超期案件（在办部门）",
});
Object.assign(GF_TEXT.en, {
  "app.kpi": "gridflow evaluation",
  "rank.level": "Ranked", "rank.period": "Period", "rank.date": "Date", "rank.scheme": "Scheme",
  "rank.export": "Export XLSX", "rank.empty": "No cases in this period", "rank.all": "All",
  "rank.rank": "Rank", "rank.name": "Name", "rank.score": "Score", "rank.total": "Total",
  "rank.trend": "Score by week", "rank.scores": "Score",
  "level.department": "Departments", "level.district": "Districts", "level.street": "Streets",
  "level.community": "Communities", "level.cell": "Cells", "level.worker": "Grid workers",
  "period.week": "Week", "period.month": "Month", "period.quarter": "Quarter",
  "notice.title": "Supervision notices", "notice.none": "No notices yet", "notice.print": "Print",
  "notice.weekly": "Weekly", "notice.monthly": "Monthly",
  "app.screen": "gridflow command wall", "screen.today": "Today", "screen.month": "This month",
  "screen.cases": "Cases", "screen.closure_rate": "Closure", "screen.on_time_closure_rate": "On-time closure",
  "screen.satisfaction_rate": "Satisfaction", "screen.score": "Score",
  "screen.ranking": "Departments by score (this month)", "screen.overdue": "Overdue cases by department",
});
