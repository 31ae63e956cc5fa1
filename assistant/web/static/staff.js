// The hotline operator's page: search as the caller speaks, read the answer out, print, open a ticket.
"use strict";

(async () => {
  const { el, api, fill } = yc;
  const root = document.getElementById("root");
  const me = await yc.session(root, "staff");
  document.getElementById("who").append(`${me.user}（${me.role}）　`, el("button", { type: "button", text: "退出", onclick: yc.logout }));

  const facets = await api("GET", "/api/staff/facets");
  const q = el("input", { id: "q", type: "search", placeholder: "输入来电人说的话，如“驾照丢了”", autocomplete: "off", "aria-controls": "results" });
  const dept = el("select", { id: "dept" }, el("option", { value: "", text: "全部部门" }), facets.departments.map((d) => el("option", { value: d, text: d })));
  const district = el("select", { id: "district" }, el("option", { value: "", text: "全部区" }), facets.districts.map((d) => el("option", { value: d, text: d })));
  const results = el("ul", { id: "results", class: "results", "aria-label": "查询结果" });
  const showAll = el("input", { id: "show-all", type: "checkbox" });
  const callerPhone = el("input", { id: "caller-phone", type: "tel", inputmode: "numeric", maxlength: 13, autocomplete: "off" });
  const callerOut = el("div", { id: "caller-out", "aria-live": "polite" });
  const state = el("p", { class: "muted", role: "status", "aria-live": "polite" });
  const detail = el("section", { id: "detail", "aria-live": "polite", "aria-label": "事项详情" },
    el("p", { class: "muted", text: "在左侧输入来电人的话，选一个结果查看完整指南。" }));
  fill(root, 
    el("section", { "aria-label": "查询" },
      el("div", { class: "filters" },
        el("div", { class: "wide" }, el("label", { for: "q", text: "来电人说的话" }), q),
        el("div", {}, el("label", { for: "dept", text: "部门" }), dept),
        el("div", {}, el("label", { for: "district", text: "区" }), district)),
      el("p", { class: "muted keys", text: "↓/↑ 在结果间移动，Enter 打开，Esc 回到搜索框" }),
      state, results,
      el("div", { class: "check-line" }, showAll, el("label", { for: "show-all", text: " 也显示没有把握的结果" })),
      el("div", { class: "actions" }, el("button", { type: "button", text: "为来电人建工单", onclick: () => ticketForm() }),
        el("a", { href: "/desk", text: "工单办理台" })),
      el("form", { class: "card caller no-print", "aria-labelledby": "caller-title", onsubmit: (e) => { e.preventDefault(); lookupCaller(); } },
        el("h2", { id: "caller-title", text: "来电人的工单和预约" }),
        el("div", { class: "filters" },
          el("div", { class: "grow" }, el("label", { for: "caller-phone", text: "来电号码" }), callerPhone),
          el("button", { type: "submit", text: "查询" })),
        callerOut)),
    detail);
  q.focus();

  let pending = null;
  let current = null;
  let hits = [];
  async function search() {
    if (pending) pending.abort();
    pending = new AbortController();
    const params = new URLSearchParams({ q: q.value.trim(), confident: String(!showAll.checked) });
    if (dept.value) params.set("department", dept.value);
    if (district.value) params.set("district", district.value);
    const started = performance.now();
    try {
      const data = await api("GET", `/api/staff/lookup?${params}`, undefined, { signal: pending.signal });
      const ms = Math.round(performance.now() - started);
      hits = data.results;
      fill(results, ...hits.map((hit) => el("li", {},
        el("button", { type: "button", "data-code": hit.code, onclick: () => open(hit, { focus: true }) },
          el("span", {}, hit.kind === "bundle" ? "【一件事】" : "", hit.name),
          el("span", { class: "muted", text: hit.department })))));
      const verdict = { answer: "", clarify: "（可能是以下之一）", none: "（没有把握，请追问来电人）", browse: "" }[data.decision] || "";
      const hidden = data.hidden ? `，另有 ${data.hidden} 条没有把握的已隐藏` : "";
      state.textContent = hits.length ? `${hits.length} 条结果${verdict}${hidden}，用时 ${ms} 毫秒` : `没有有把握的结果${hidden}，请换个说法或追问来电人`;
      state.dataset.ms = ms;
      // the top result opens by itself when it is clear; the cursor stays in the search box
      if (data.decision === "answer" && hits.length && (!current || current.code !== hits[0].code)) open(hits[0], { focus: false });
    } catch (err) {
      if (err.name !== "AbortError") state.textContent = err.message;
    }
  }
  const soon = yc.debounce(search, 120);
  q.addEventListener("input", () => (q.value.trim() || dept.value ? soon() : fill(results, )));
  q.addEventListener("keydown", (e) => {
    if (e.key === "Enter") { e.preventDefault(); search(); }
    if (e.key === "ArrowDown" && results.querySelector("button")) { e.preventDefault(); results.querySelector("button").focus(); }
  });
  // ↓/↑ move between results, Enter (the button's own) opens, Esc anywhere goes back to the search box
  results.addEventListener("keydown", (e) => {
    const buttons = [...results.querySelectorAll("button")];
    const at = buttons.indexOf(document.activeElement);
    if (e.key === "ArrowDown" && at < buttons.length - 1) { e.preventDefault(); buttons[at + 1].focus(); }
    if (e.key === "ArrowUp") { e.preventDefault(); (at > 0 ? buttons[at - 1] : q).focus(); }
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !e.defaultPrevented) { q.focus(); q.select(); }
  });
  showAll.addEventListener("change", search);
  dept.addEventListener("change", search);
  district.addEventListener("change", () => { search(); if (current) open(current); });

  let opened = 0;
  async function open(hit, { focus = true } = {}) {
    current = hit;
    const mine = ++opened;
    for (const b of results.querySelectorAll("button")) b.setAttribute("aria-current", String(b.dataset.code === hit.code));
    try {
      const [entry, script] = await Promise.all([
        api("GET", `/api/${hit.kind === "bundle" ? "bundles" : "guides"}/${encodeURIComponent(hit.code)}`),
        api("POST", `/api/staff/script/${encodeURIComponent(hit.code)}`, { district: district.value || null, answers: {} }),
      ]);
      if (mine !== opened) return; // another result (or this one again) was opened meanwhile
      fill(detail, printHeader(entry.content.name), hit.kind === "bundle" ? bundleView(entry.content, script) : guideView(entry.content, script));
      if (focus) detail.querySelector("h2").focus();
    } catch (err) {
      fill(detail, el("p", { class: "error", text: err.message }));
    }
  }

  async function lookupCaller() {
    const phone = callerPhone.value.trim();
    if (!phone) { callerOut.textContent = "请输入来电号码"; callerPhone.focus(); return; }
    fill(callerOut, "查询中…");
    try {
      const data = await api("GET", `/api/staff/caller?phone=${encodeURIComponent(phone)}`);
      const when = yc.when;
      fill(callerOut,
        el("h3", { text: `${data.phone_masked} 的工单（${data.tickets.length}）` }),
        data.tickets.length ? el("ul", { class: "caller-list" }, data.tickets.map((t) => el("li", {},
          el("strong", { text: t.number }), ` ${t.category} · `, el("span", { class: `status ${t.status === "办结" || t.status === "评价" ? "published" : "draft"}`, text: t.status }),
          el("div", { class: "muted", text: `${when(t.created_at)} 受理；${t.department}；${t.resolve_by.slice(0, 10)} 前办结` }),
          el("div", { text: t.description })))) : el("p", { class: "muted", text: "没有工单" }),
        el("h3", { text: `预约（${data.bookings.length}）` }),
        data.bookings_note ? el("p", { class: "muted", text: data.bookings_note }) : null,
        data.bookings.length ? el("ul", { class: "caller-list" }, data.bookings.map((b) => el("li", {},
          el("strong", { text: b.number }), ` ${b.service_name} · ${b.day} ${b.start}-${b.end} · ${b.hall.name} · ${b.status}`))) : el("p", { class: "muted", text: "没有预约" }));
    } catch (err) {
      fill(callerOut, el("p", { class: "error", role: "alert", text: err.message }));
    }
  }

  // what a printout starts with: which guide, from where, when
  const printHeader = (name) => el("p", { class: "print-only print-title", text: `${name} · 一窗导办 12345 · 打印于 ${new Date().toLocaleString("zh-CN", { hour12: false })}` });

  function scriptBox(script) {
    const area = el("textarea", { id: "script", class: "script", readonly: true, "aria-label": "答复口径" });
    area.value = script.text;
    return el("div", { class: "card no-print" },
      el("label", { for: "script", text: "答复口径（可照读）" }), area,
      el("div", { class: "actions" },
        el("button", { type: "button", class: "primary", id: "copy-answer", text: "复制答复", onclick: () => yc.copy(area.value) }),
        el("button", { type: "button", text: "打印", onclick: () => printDetail() })));
  }

  function printDetail() {
    document.body.classList.add("printing-detail");
    window.print();
    document.body.classList.remove("printing-detail");
  }

  function guideView(g, script) {
    const halls = g.halls.slice().sort((a, b) => (a.district === district.value ? -1 : 0) - (b.district === district.value ? -1 : 0));
    return [
      el("h2", { tabindex: "-1", text: g.name }),
      el("p", { class: "muted", text: `${g.code} · ${g.department} · ${g.type}` }),
      scriptBox(script),
      g.summary ? el("p", { text: g.summary }) : null,
      g.conditions.length ? el("div", {}, el("h3", { text: "办理条件" }), el("ul", {}, g.conditions.map((c) => el("li", { text: c })))) : null,
      el("h3", { text: "材料清单" }),
      el("table", {}, el("thead", {}, el("tr", {}, ["材料", "形式", "份数", "说明"].map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, g.materials.map((m) => el("tr", {},
          el("td", { text: m.name }), el("td", { text: m.forms.join("、") }), el("td", { text: m.copies }),
          el("td", {}, yc.MARKS({ ...m, conditions: m.condition ? [m.condition] : [] }), m.note || "", m.source ? ` 来源：${m.source}` : ""))))),
      el("h3", { text: "办理流程" }),
      el("ol", {}, g.steps.map((s) => el("li", { text: `${s.name}：${s.description}` }))),
      el("h3", { text: "办理地点" }),
      el("ul", {}, halls.map((h) => el("li", { text: `${h.name}（${h.district}）：${h.address}，${h.hours}，电话 ${h.phone}` }))),
      el("p", { text: `时限：${g.promised_limit_days === 0 ? "即办" : g.promised_limit_days !== null ? "承诺 " + g.promised_limit_days + " 个工作日" : "以窗口告知为准"}${g.legal_limit_days !== null ? "（法定 " + g.legal_limit_days + " 个工作日）" : ""}；收费：${g.fee}` }),
      el("p", { text: `咨询电话：${g.consult_phone || "12345"}；网办：${g.online_depth}${g.online_url ? "　" + g.online_url : ""}` }),
      el("div", { class: "actions no-print" }, el("button", { type: "button", text: "为来电人建工单", onclick: () => ticketForm(g) })),
    ];
  }

  function bundleView(b, script) {
    const box = scriptBox(script);
    const answers = {};
    const out = el("div", { "aria-live": "polite" });
    const questions = b.questions.map((question) => {
      const id = `bq-${question.id}`;
      const select = el("select", { id }, el("option", { value: "", text: "请选择" }), question.options.map((o) => el("option", { value: o.value, text: o.label })));
      select.addEventListener("change", () => { if (select.value) answers[question.id] = select.value; else delete answers[question.id]; refresh(); });
      return el("div", { class: "field" }, el("label", { for: id, text: question.text }), select);
    });
    let asked = 0;
    async function refresh() {
      const mine = ++asked; // answers picked quickly: only the newest reply may fill the page
      try {
        const [data, said] = await Promise.all([
          api("POST", `/api/bundles/${encodeURIComponent(b.code)}/checklist`, { answers, done: [] }),
          api("POST", `/api/staff/script/${encodeURIComponent(b.code)}`, { answers, district: district.value || null }),
        ]);
        if (mine !== asked || !out.isConnected) return; // a newer reply, or this view was replaced
        box.querySelector("textarea").value = said.text;
        fill(out, yc.checklist(data, { storageKey: `yc-staff:${b.code}:${JSON.stringify(answers)}` }));
      } catch (err) {
        fill(out, el("p", { class: "error", text: err.message }));
      }
    }
    setTimeout(refresh); // after the view is in the page: it updates the 答复口径 there
    return [
      el("h2", { tabindex: "-1", text: `【一件事】${b.name}` }),
      el("p", { class: "muted", text: `${b.code} · 牵头：${b.department} · 统一窗口：${b.single_window}` }),
      box,
      el("div", { class: "card no-print" }, el("h3", { text: "按来电人的情况回答" }), questions),
      out,
    ];
  }

  function ticketForm(guide) {
    const f = (id, label, input) => el("div", { class: "field" }, el("label", { for: id, text: label }), input);
    const category = el("select", { id: "t-category" }, ["投诉", "求助", "咨询", "举报", "建议"].map((c) => el("option", { value: c, text: c })));
    const description = el("textarea", { id: "t-description", maxlength: 2000, required: true });
    const said = q.value.trim();
    description.value = `${guide ? `关于「${guide.name}」：` : ""}${said}`;
    if (said) {  // the caller's words are the draft: the category as the 12345 rules read them
      api("POST", "/api/staff/ticket-draft", { text: said }).then((d) => { category.value = d.category; }).catch(() => {});
    }
    const where = el("select", { id: "t-district" }, el("option", { value: "", text: "未说明" }), facets.districts.map((d) => el("option", { value: d, text: d, selected: d === district.value })));
    const location = el("input", { id: "t-location", maxlength: 200 });
    const name = el("input", { id: "t-name", maxlength: 30, autocomplete: "off" });
    const phone = el("input", { id: "t-phone", maxlength: 11, inputmode: "numeric", autocomplete: "off", value: callerPhone.value.replace(/\D/g, "").slice(0, 11) });
    const anonymous = el("input", { id: "t-anonymous", type: "checkbox" });
    const problem = el("p", { class: "error", role: "alert" });
    const form = el("form", { class: "card", "aria-labelledby": "t-title" },
      el("h2", { id: "t-title", tabindex: "-1", text: "为来电人建工单" }),
      f("t-category", "类别", category), f("t-description", "来电人反映的情况", description),
      f("t-district", "区", where), f("t-location", "具体地点", location),
      f("t-name", "来电人姓名（选填）", name), f("t-phone", "回访电话", phone),
      el("div", {}, anonymous, el("label", { for: "t-anonymous", text: " 来电人要求匿名（不回访）" })),
      problem,
      el("div", { class: "actions" }, el("button", { type: "submit", class: "primary", text: "提交工单" }),
        el("button", { type: "button", text: "取消", onclick: () => current ? open(current) : fill(detail, ) })));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      problem.textContent = "";
      const body = {
        category: category.value, description: description.value.trim(), district: where.value || null,
        location: location.value.trim() || null, contact_name: name.value.trim() || null,
        contact_phone: anonymous.checked ? null : phone.value.trim() || null, anonymous: anonymous.checked,
        idempotency_key: form.dataset.key || (form.dataset.key = `hotline:${Date.now()}:${Math.random().toString(36).slice(2)}`),
      };
      try {
        const t = await api("POST", "/api/staff/tickets", body);
        fill(detail, el("div", { class: "receipt", role: "status" },
          el("h2", { tabindex: "-1", text: "工单已提交" }), el("div", { class: "number", text: t.number }),
          el("p", { text: `类别：${t.category}（${t.urgency}）；承办：${t.department}；${t.respond_by} 前响应，${t.resolve_by.slice(0, 10)} 前办结。` }),
          el("button", { type: "button", text: "复制工单号", onclick: () => yc.copy(t.number) })));
        detail.querySelector("h2").focus();
      } catch (err) {
        problem.textContent = err.message;
      }
    });
    fill(detail, form);
    form.querySelector("h2").focus();
  }
})().catch((err) => {
  document.getElementById("root").replaceChildren(yc.el("p", { class: "error", role: "alert", text: err.message || "页面加载失败，请刷新重试。" }));
});
