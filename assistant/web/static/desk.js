// The ticket desk of the built-in 12345 system: list by status/department/district/overdue, take a
// ticket, hand it back to 派单 with a reason, add notes, finish with the reply, 回访 with 满意度.
"use strict";

(async () => {
  const { el, api, fill } = yc;
  const root = document.getElementById("root");
  const me = await yc.session(root, "staff");
  document.getElementById("who").append(`${me.user}（${me.role}${me.department ? " · " + me.department : ""}）　`, el("button", { type: "button", text: "退出", onclick: yc.logout }));

  const facets = await api("GET", "/api/staff/facets");
  const select = (id, first, values) => el("select", { id }, el("option", { value: "", text: first }), values.map((v) => el("option", { value: v, text: v })));
  const status = select("d-status", "全部状态", ["派单", "办理", "办结", "回访", "评价"]);
  // an account of one department (a 承办单位) sees only its tickets: the server holds it to that too
  const dept = me.department ? select("d-dept", me.department, []) : select("d-dept", "全部部门", facets.departments);
  if (me.department) dept.disabled = true;
  const district = select("d-district", "全部区", facets.districts);
  const overdue = el("input", { id: "d-overdue", type: "checkbox" });
  const count = el("p", { class: "muted", role: "status", "aria-live": "polite" });
  const body = el("tbody");
  const detail = el("section", { id: "detail", "aria-label": "工单详情" }, el("p", { class: "muted", text: "在左侧选一个工单办理。" }));
  const when = yc.when;
  const badge = (t) => el("span", { class: `status ${t.overdue ? "retired" : ["办结", "回访", "评价"].includes(t.status) ? "published" : "draft"}`, text: t.overdue ? `${t.status}·已超期` : t.status });

  async function load() {
    const params = new URLSearchParams();
    for (const [k, input] of [["status", status], ["department", dept], ["district", district]]) if (input.value) params.set(k, input.value);
    if (overdue.checked) params.set("overdue", "true");
    const rows = await api("GET", `/api/desk/tickets?${params}`);
    count.textContent = `${rows.length} 个工单，其中超期 ${rows.filter((t) => t.overdue).length} 个`;
    fill(body, rows.map((t) => el("tr", {},
      el("td", {}, el("button", { type: "button", class: "link", text: t.number, "data-number": t.number, onclick: () => open(t) })),
      el("td", { text: `${t.category}（${t.urgency}）` }), el("td", {}, badge(t)),
      el("td", { text: t.district || "" }), el("td", { text: t.department }),
      el("td", { text: `${t.resolve_by}${t.deadline_kept === false ? "（超期办结）" : t.deadline_kept ? "（按期）" : ""}` }))));
  }
  for (const input of [status, dept, district, overdue]) input.addEventListener("change", load);

  function open(t) {
    const problem = el("p", { class: "error", role: "alert" });
    const act = async (path, payload, done) => {
      problem.textContent = "";
      try {
        const out = await api("POST", `/api/desk/tickets/${encodeURIComponent(t.number)}/${path}`, payload);
        yc.toast(done);
        await load();
        open(out);
      } catch (err) { problem.textContent = err.message; }
    };
    const textForm = (id, label, button, path, key, done) => {
      const area = el("textarea", { id, rows: 3, maxlength: 2000, required: true });
      const f = el("form", { class: "field" }, el("label", { for: id, text: label }), area, el("div", { class: "actions" }, el("button", { type: "submit", text: button })));
      f.addEventListener("submit", (e) => { e.preventDefault(); act(path, { [key]: area.value.trim() }, done); });
      return f;
    };
    const actions = [];
    if (t.status === "派单") actions.push(el("div", { class: "actions" }, el("button", { type: "button", class: "primary", text: "接单办理", onclick: () => act("take", undefined, "已接单") })));
    if (t.status === "办理") {
      actions.push(textForm("d-reply", "办理结果（给市民的答复）", "办结", "finish", "reply", "已办结"));
      actions.push(textForm("d-note", "办理记录", "添加记录", "note", "note", "已添加记录"));
      actions.push(el("details", {}, el("summary", { text: "不属于本单位？退回派单" }), textForm("d-return", "退回原因", "退回派单", "return", "note", "已退回派单")));
    }
    if (t.status === "办结") {
      const sat = el("select", { id: "d-sat" }, ["满意", "基本满意", "不满意"].map((v) => el("option", { value: v, text: v })));
      const note = el("textarea", { id: "d-visit", rows: 2, maxlength: 1000 });
      const f = el("form", { class: "card", "aria-labelledby": "d-visit-title" }, el("h3", { id: "d-visit-title", text: "回访" }),
        el("div", { class: "field" }, el("label", { for: "d-sat", text: "市民满意度" }), sat),
        el("div", { class: "field" }, el("label", { for: "d-visit", text: "回访记录" }), note),
        el("div", { class: "actions" }, el("button", { type: "submit", class: "primary", text: "完成回访" })));
      f.addEventListener("submit", (e) => { e.preventDefault(); act("visit", { satisfaction: sat.value, note: note.value.trim() }, "回访已记录"); });
      actions.push(f);
    }
    fill(detail, el("div", { class: "card" },
      el("h2", { tabindex: "-1", text: `工单 ${t.number}` }), badge(t),
      el("p", { text: `${t.category}（${t.urgency}） · ${t.department} · ${t.district || "未说明区"}${t.location ? " · " + t.location : ""}` }),
      el("p", { text: `来电人：${t.contact_masked}；${t.respond_by} 前响应，${t.resolve_by} 前办结（工作日，已扣除节假日）` }),
      el("p", { class: "pre", text: t.description }),
      t.satisfaction ? el("p", { text: `满意度：${t.satisfaction}` }) : null,
      actions, problem,
      el("h3", { text: "办理经过" }),
      el("ol", { class: "history" }, t.history.map((e) => el("li", {}, el("strong", { text: e.status }), ` ${when(e.at)} · ${e.actor}`, e.note ? el("div", { text: e.note }) : null)))));
    detail.querySelector("h2").focus();
  }

  fill(root,
    el("section", { "aria-label": "工单列表" },
      el("div", { class: "filters" },
        el("div", {}, el("label", { for: "d-status", text: "状态" }), status),
        el("div", {}, el("label", { for: "d-dept", text: "承办部门" }), dept),
        el("div", {}, el("label", { for: "d-district", text: "区" }), district),
        el("div", { class: "check-line" }, overdue, el("label", { for: "d-overdue", text: " 只看超期" }))),
      me.department ? el("p", { class: "muted", text: `本账号属于${me.department}：只显示、只能办理本部门的工单。` }) : null,
      count,
      el("div", { class: "table-wrap" }, el("table", {}, el("caption", { text: "工单" }),
        el("thead", {}, el("tr", {}, ["工单号", "类别", "状态", "区", "承办部门", "办结期限"].map((h) => el("th", { scope: "col", text: h })))), body))),
    detail);
  await load();
})().catch((err) => {
  document.getElementById("root").replaceChildren(yc.el("p", { class: "error", role: "alert", text: err.message || "页面加载失败，请刷新重试。" }));
});
