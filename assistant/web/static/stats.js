// The 统计 tab: charts drawn by chart.js (from npm, served by the app from /static/vendor), each with
// its numbers as a table underneath; CSV/Excel exports of the same figures.
"use strict";

const ycStats = (() => {
  const { el, api, fill } = yc;
  const COLORS = ["#b4232a", "#0969da", "#1a7f37", "#9a6700", "#8250df", "#57606a", "#bf3989", "#0a7ea4"];
  let loading = null;

  // chart.js only when the tab is opened; without it the tables still show every number
  function chartLib() {
    if (window.Chart) return Promise.resolve(window.Chart);
    loading = loading || new Promise((resolve) => {
      const script = el("script", { src: "/static/vendor/chart.umd.min.js" });
      script.addEventListener("load", () => resolve(window.Chart));
      script.addEventListener("error", () => resolve(null));
      document.head.append(script);
    });
    return loading;
  }

  const charts = [];
  function figure(id, title, type, labels, sets, columns, rows) {
    const canvas = el("canvas", { id, role: "img", "aria-label": `${title}（图表，数字见下表）` });
    const table = el("table", { class: "data", id: `${id}-table` }, el("caption", { text: title }),
      el("thead", {}, el("tr", {}, columns.map((c) => el("th", { scope: "col", text: c })))),
      el("tbody", {}, rows.map((r) => el("tr", {}, r.map((v, i) => (i === 0 ? el("th", { scope: "row", text: v }) : el("td", { text: v })))))));
    const box = el("figure", { class: "card chart" }, el("figcaption", { text: title }),
      rows.length ? el("div", { class: "canvas-box" }, canvas) : el("p", { class: "muted", text: "暂无数据" }), table);
    box.draw = (Chart) => {
      if (!Chart || !rows.length) return;
      charts.push(new Chart(canvas, {
        type, data: { labels, datasets: sets.map((s, i) => ({ backgroundColor: type === "doughnut" ? COLORS : COLORS[i], ...s })) },
        options: { responsive: true, maintainAspectRatio: false, animation: false, indexAxis: type === "bar" && labels.length > 6 ? "y" : "x",
          plugins: { legend: { display: sets.length > 1 || type === "doughnut" } } },
      }));
    };
    return box;
  }

  async function view(root) {
    while (charts.length) charts.pop().destroy();
    const [s, Chart] = await Promise.all([api("GET", "/api/admin/stats"), chartLib()]);
    const t = s.tickets;
    const kv = (list) => [list.map((r) => r.key), [{ label: "数量", data: list.map((r) => r.count) }], list.map((r) => [r.key, r.count])];
    const [catL, catS, catR] = kv(t.by_category);
    const [disL, disS, disR] = kv(t.by_district);
    const [depL, depS, depR] = kv(t.by_department);
    const dl = [["按期办结", t.deadlines.kept], ["超期办结", t.deadlines.missed], ["超期未结", t.deadlines.overdue], ["未到期", t.deadlines.open]];
    const guides = s.ratings.per_guide.slice(0, 12);
    const halls = s.bookings.per_hall_day;
    const figures = [
      figure("c-deadlines", `工单办理时限（共 ${t.total} 件）`, "doughnut", dl.map((d) => d[0]), [{ label: "工单", data: dl.map((d) => d[1]) }], ["时限", "工单数"], dl),
      figure("c-category", "工单按类别", "bar", catL, catS, ["类别", "工单数"], catR),
      figure("c-district", "工单按区", "bar", disL, disS, ["区", "工单数"], disR),
      figure("c-department", "工单按承办部门", "bar", depL, depS, ["部门", "工单数"], depR),
      figure("c-ratings", "各条目好差评（差评最多的 12 个）", "bar", guides.map((g) => g.name),
        [{ label: "👍 有帮助", data: guides.map((g) => g.up), backgroundColor: "#1a7f37" }, { label: "👎 没帮助", data: guides.map((g) => g.down), backgroundColor: "#b4232a" }],
        ["条目", "👍 有帮助", "👎 没帮助"], guides.map((g) => [g.name, g.up, g.down])),
      figure("c-bookings", `预约（共 ${s.bookings.total} 个）`, "bar", halls.map((h) => `${h.hall} ${h.day}`), [{ label: "预约数", data: halls.map((h) => h.count) }],
        ["大厅 日期", "预约数"], halls.map((h) => [`${h.hall} ${h.day}`, h.count])),
    ];
    fill(root,
      el("div", { class: "actions" },
        el("a", { class: "button", href: "/api/admin/stats.xlsx", text: "导出 Excel" }),
        el("a", { class: "button", href: "/api/admin/stats.csv", text: "导出 CSV" })),
      Chart ? null : el("p", { class: "notice", text: "图表库没有安装（make web-vendor），下面只列出数字。" }),
      s.bookings.note ? el("p", { class: "muted", text: s.bookings.note }) : null,
      el("div", { class: "charts" }, figures),
      el("div", { class: "card" }, el("h3", { text: "热点：同一地点反复出现的问题" }),
        t.hot_spots.length ? el("ul", {}, t.hot_spots.map((h) => el("li", { text: `${h.district}${h.location ? " " + h.location : ""} · ${h.category}：${h.count} 件` }))) : el("p", { class: "muted", text: "暂无" })),
      el("div", { class: "card" }, el("h3", { text: "问得最多的未答问题" }),
        s.unanswered_top.length ? el("ol", {}, s.unanswered_top.map((u) => el("li", { text: `${u.text}（${u.count} 次）` }))) : el("p", { class: "muted", text: "暂无" })),
      el("p", { class: "muted", text: `尚未统计：${s.not_recorded.join("、")}（系统目前只记录未答问题和评价过的答复）。` }));
    for (const f of figures) f.draw(Chart);
  }

  return { view };
})();
