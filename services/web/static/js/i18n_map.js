// The texts of the command center's map layers (the legend's boxes, the heat map), added to
// the pages' dictionary (i18n.js).
"use strict";

gf.addText({
  "layer.cells": "网格",
  "heat.title": "热力图",
  "heat.any_category": "全部类别",
  "heat.from": "自",
  "heat.to": "至",
  "heat.count": "{cases} 件案件",
  "heat.bad": "请检查类别和日期",
}, {
  "layer.cells": "Grid cells",
  "heat.title": "Heat map",
  "heat.any_category": "All categories",
  "heat.from": "From",
  "heat.to": "To",
  "heat.count": "{cases} cases",
  "heat.bad": "Check the category and the days",
});
