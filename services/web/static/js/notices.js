// The supervision notices (通报) of the caller's place on the rankings page: each as PDF,
// XLSX or a printable page (every download is audited by the server). kpi.js loads them.
"use strict";

async function noticeOpen(item, format) {
  const resp = await gf.api(`/api/v1/notices/${item.id}/file?format=${format}`);
  if (!resp.ok) return;
  const url = URL.createObjectURL(resp.data);
  if (format === "html") { window.open(url, "_blank", "noopener"); return; }
  const link = gf.el("a", { href: url,
    download: `notice-${item.jurisdiction_code}-${item.kind}-${item.first_day}.${format}` });
  document.body.append(link);
  link.click();
  link.remove();
}

async function noticesLoad() {
  const resp = await gf.api("/api/v1/notices?limit=30");
  if (!resp.ok) return;
  const list = gf.clear(gf.$("#notices"));
  for (const item of resp.data.items) {
    const buttons = [["pdf", "PDF"], ["xlsx", "XLSX"], ["html", gf.t("notice.print")]].map(([f, label]) => {
      const b = gf.el("button", { type: "button", "data-format": f, text: label });
      b.addEventListener("click", () => noticeOpen(item, f));
      return b;
    });
    list.append(gf.el("li", { "data-notice-id": item.id },
      gf.el("span", { text: `${gf.t(`notice.${item.kind}`)} · ${item.title || item.jurisdiction_code}` }),
      buttons));
  }
  gf.$("#no-notices").hidden = resp.data.items.length > 0;
}
