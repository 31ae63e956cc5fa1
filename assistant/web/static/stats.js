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
  function figure(id, title, type, labels, sets, columns, rows, stacked = false) {
    const canvas = el("canvas", { id, role: "img", "aria-label": `${title}（图表，数字见下表）` });
    const table = el("table", { class: "data", id: `${id}-table` }, el("caption", { text: title }),
      el("thead", {}, el("tr", {}, columns.map((c) => el("th", { scope: "col", text: c })))),
      el("tbody", {}, rows.map((r) => el("tr", {}, r.map((v, i) => (i === 0 ? el("th", { scope: "row", text: v }) : el("td", { text: v })))))));
    const box = el("figure", { class: "card chart" }, el("figcaption", { text: title }),
      rows.length ? el("div", { class: "canvas-box" }, canvas) : el("p", { class: "muted", text: "暂无数据" }), table);
    box.draw = (Chart) => {
      if (!Chart || !rows.length) return;
      const horizontal = type === "bar" && labels.length > 6 && !stacked;
      const counts = { ticks: { precision: 0 }, beginAtZero: true, stacked }; // whole numbers on the value axis
      charts.push(new Chart(canvas, {
        type, data: { labels, datasets: sets.map((s, i) => ({ backgroundColor: type === "doughnut" ? COLORS : COLORS[i], ...s })) },
        options: { responsive: true, maintainAspectRatio: false, animation: false, indexAxis: horizontal ? "y" : "x",
          scales: type === "bar" ? (horizontal ? { x: counts, y: { stacked } } : { x: { stacked }, y: counts }) : undefined,
          plugins: { legend: { display: sets.length > 1 || type === "doughnut" } } },
      }));
    };
    return box;
  }

  const percent = (x) => `${(x * 100).toFixed(1)}%`;

  // questions per day (a bar per day, one colour per channel), what was done with them, the rates
  function questionFigures(q) {
    const { channels, decisions } = q.names;
    const asked = [...new Set(q.per_day.map((r) => r.day))].sort(); // the table: days with questions
    const days = []; // the chart: every day of the window, a quiet day as a gap
    for (let d = new Date(`${q.since}T00:00:00Z`), end = asked.length ? asked[asked.length - 1] : q.since; d.toISOString().slice(0, 10) <= end; d.setUTCDate(d.getUTCDate() + 1)) {
      days.push(d.toISOString().slice(0, 10));
    }
    const used = Object.keys(channels).filter((c) => q.per_day.some((r) => r.channel === c));
    const count = (day, c) => q.per_day.filter((r) => r.day === day && r.channel === c).reduce((a, r) => a + r.count, 0);
    const perDay = figure("c-questions", `每天的提问量（按渠道，自 ${q.since} 起共 ${q.total} 轮）`, "bar", days,
      used.map((c) => ({ label: channels[c], data: days.map((d) => count(d, c)) })),
      ["日期", ...used.map((c) => channels[c]), "合计"],
      asked.map((d) => [d, ...used.map((c) => count(d, c)), used.reduce((a, c) => a + count(d, c), 0)]), true);
    const shown = Object.keys(decisions).filter((k) => q.decisions[k]);
    const total = q.total || 1;
    const done = figure("c-decisions", "每轮对话的处理结果", "doughnut", shown.map((k) => decisions[k]),
      [{ label: "轮数", data: shown.map((k) => q.decisions[k]) }], ["处理结果", "轮数", "占比"],
      shown.map((k) => [decisions[k], q.decisions[k], percent(q.decisions[k] / total)]));
    const kinds = ["answer", "clarify", "none"];
    const rates = figure("c-rates", `打字提问的回答率（共 ${q.typed} 个，点按钮不计）`, "bar", kinds.map((k) => decisions[k]),
      [{ label: "占比（%）", data: kinds.map((k) => Math.round(q.rates[k] * 1000) / 10) }], ["结果", "占比", "个数"],
      q.typed ? kinds.map((k) => [decisions[k], percent(q.rates[k]), Math.round(q.rates[k] * q.typed)]) : []);
    return [perDay, done, rates];
  }

  function questionCards(q) {
    const { channels, decisions } = q.names;
    return [
      el("div", { class: "card" }, el("h3", { text: "问得最多的问题" }),
        q.top.length ? el("ol", { id: "c-top" }, q.top.map((t) => el("li", { text: `${t.text}（${t.count} 次，${decisions[t.decision] || t.decision}）` })))
          : el("p", { class: "muted", text: "暂无" })),
      el("div", { class: "card" }, el("h3", { text: "紧急情况" }),
        q.emergencies.length ? el("ul", { id: "c-emergencies" }, q.emergencies.map((e) => el("li", { text: `${e.name}：${e.count} 次` })))
          : el("p", { class: "muted", text: "这段时间没有市民报告紧急情况。" }),
        q.emergencies_recent.length ? el("details", {}, el("summary", { text: "最近的紧急情况（已遮盖个人信息）" }),
          el("ul", {}, q.emergencies_recent.map((e) => el("li", { text: `${yc.when(e.at)} · ${channels[e.channel] || e.channel} · ${e.name}：${e.text}` })))) : null),
    ];
  }

  async function view(root) {
    while (charts.length) charts.pop().destroy();
    const [s, Chart] = await Promise.all([api("GET", "/api/admin/stats"), chartLib()]);
    const t = s.tickets;
    const q = s.questions;
    const kv = (list) => [list.map((r) => r.key), [{ label: "数量", data: list.map((r) => r.count) }], list.map((r) => [r.key, r.count])];
    const [catL, catS, catR] = kv(t.by_category);
    const [disL, disS, disR] = kv(t.by_district);
    const [depL, depS, depR] = kv(t.by_department);
    const dl = [["按期办结", t.deadlines.kept], ["超期办结", t.deadlines.missed], ["超期未结", t.deadlines.overdue], ["未到期", t.deadlines.open]];
    const guides = s.ratings.per_guide.slice(0, 12);
    const halls = s.bookings.per_hall_day;
    const figures = [
      ...questionFigures(q),
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
      el("p", { id: "c-summary", text: `自 ${q.since} 起共 ${q.total} 轮对话；打字提问 ${q.typed} 个：回答 ${percent(q.rates.answer)}，追问 ${percent(q.rates.clarify)}，未匹配 ${percent(q.rates.none)}。` }),
      el("div", { class: "charts" }, figures),
      el("div", { class: "charts" }, questionCards(q)),
      el("div", { class: "card" }, el("h3", { text: "热点：同一地点反复出现的问题" }),
        t.hot_spots.length ? el("ul", {}, t.hot_spots.map((h) => el("li", { text: `${h.district}${h.location ? " " + h.location : ""} · ${h.category}：${h.count} 件` }))) : el("p", { class: "muted", text: "暂无" })),
      el("div", { class: "card" }, el("h3", { text: "问得最多的未答问题" }),
        s.unanswered_top.length ? el("ol", {}, s.unanswered_top.map((u) => el("li", { text: `${u.text}（${u.count} 次）` }))) : el("p", { class: "muted", text: "暂无" })));
    for (const f of figures) f.draw(Chart);
  }

  return { view };
})();
