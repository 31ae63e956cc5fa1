// The editors' page: guides and bundles (edit, validate inline, draft, preview, publish, retire,
// versions, diff, restore), import/export, the unanswered-question queue and the 差评 queue.
"use strict";

(async () => {
  const { el, api, fill } = yc;
  const root = document.getElementById("root");
  const me = await yc.session(root, "editor");
  document.getElementById("who").append(`${me.user}（${me.role}）　`, el("button", { type: "button", text: "退出", onclick: yc.logout }));
  if (me.role === "staff") {
    fill(root, el("p", { class: "error", role: "alert", text: "您的账号是话务员账号，没有内容管理权限。话务查询请到 /staff。" }));
    return;
  }

  const TABS = { entries: "指南与一件事", unanswered: "未答问题", ratings: "差评", files: "导入导出", stats: "统计", ...(me.role === "admin" ? { accounts: "账号" } : {}) };
  const tabs = document.getElementById("tabs");
  tabs.hidden = false;
  const tabButtons = Object.entries(TABS).map(([id, label]) =>
    el("button", { type: "button", role: "tab", id: `tab-${id}`, "aria-selected": "false", "aria-controls": "root", text: label, onclick: () => show(id) }));
  tabs.replaceChildren(...tabButtons);
  const views = { entries: entriesView, unanswered: unansweredView, ratings: ratingsView, files: filesView, stats: () => ycStats.view(root), accounts: () => ycAccounts.view(root, me.user) };
  let entryNames = [];

  async function show(id, arg) {
    for (const b of tabButtons) b.setAttribute("aria-selected", String(b.id === `tab-${id}`));
    root.setAttribute("aria-labelledby", `tab-${id}`);
    try {
      await views[id](arg);
    } catch (err) {
      fill(root, el("p", { class: "error", role: "alert", text: err.message }));
    }
  }

  const field = (id, label, input, problem) => el("div", { class: "field" }, el("label", { for: id, text: label }), input, problem || null);
  const statusTag = (s) => el("span", { class: `status ${s}`, text: { draft: "草稿", published: "已发布", retired: "已下线" }[s] || s });
  const problemText = (err) => {
    if (err.detail && err.detail.problems) return err.detail.problems.map((p) => `${p.file ? p.file + " " : ""}${p.where ? p.where + " " : ""}${p.field ? p.field + "：" : ""}${p.message}`);
    return [err.message];
  };
  async function loadNames() {
    entryNames = await api("GET", "/api/admin/entries");
    let list = document.getElementById("entry-codes");
    if (!list) { list = el("datalist", { id: "entry-codes" }); document.body.append(list); }
    list.replaceChildren(...entryNames.map((e) => el("option", { value: e.code, text: e.name })));
    let depts = document.getElementById("departments");
    if (!depts) { depts = el("datalist", { id: "departments" }); document.body.append(depts); }
    depts.replaceChildren(...[...new Set(entryNames.map((e) => e.department))].sort().map((d) => el("option", { value: d })));
  }

  // ---- 指南与一件事 --------------------------------------------------------------------------
  async function entriesView(openCode) {
    const q = el("input", { id: "f-q", type: "search", placeholder: "名称或编码" });
    const kind = el("select", { id: "f-kind" }, [["", "全部"], ["guide", "办事指南"], ["bundle", "一件事"]].map(([v, t]) => el("option", { value: v, text: t })));
    const status = el("select", { id: "f-status" }, [["", "全部"], ["draft", "草稿"], ["published", "已发布"], ["retired", "已下线"]].map(([v, t]) => el("option", { value: v, text: t })));
    const dept = el("select", { id: "f-dept" }, el("option", { value: "", text: "全部部门" }),
      [...new Set(entryNames.map((e) => e.department))].sort().map((d) => el("option", { value: d, text: d })));
    const PAGE = 20;
    let rows = [];
    let page = 0;
    const pager = el("nav", { class: "pager", "aria-label": "翻页" });
    const draw = () => {
      const pages = Math.max(1, Math.ceil(rows.length / PAGE));
      page = Math.min(page, pages - 1);
      count.textContent = `${rows.length} 条，第 ${page + 1} / ${pages} 页`;
      table.replaceChildren(...rows.slice(page * PAGE, page * PAGE + PAGE).map(row));
      fill(pager, pages > 1 ? [
        el("button", { type: "button", text: "上一页", disabled: page === 0, onclick: () => { page -= 1; draw(); } }),
        el("span", { text: ` ${page + 1} / ${pages} ` }),
        el("button", { type: "button", text: "下一页", disabled: page >= pages - 1, onclick: () => { page += 1; draw(); } }),
      ] : []);
    };
    const table = el("tbody");
    const count = el("p", { class: "muted", role: "status" });
    const editor = el("section", { id: "editor", "aria-label": "编辑" });
    const load = async () => {
      const params = new URLSearchParams();
      if (q.value.trim()) params.set("q", q.value.trim());
      if (kind.value) params.set("kind", kind.value);
      if (status.value) params.set("status", status.value);
      if (dept.value.trim()) params.set("department", dept.value.trim());
      rows = await api("GET", `/api/admin/entries?${params}`);
      page = 0;
      draw();
    };
    const row = (r) => el("tr", {},
        el("td", {}, el("button", { type: "button", text: r.name, "data-code": r.code, onclick: () => edit(r.code, editor) })),
        el("td", { text: r.code }), el("td", { text: r.kind === "guide" ? "办事指南" : "一件事" }), el("td", { text: r.department }),
        el("td", {}, statusTag(r.status), r.draft_pending ? el("span", { class: "status draft", text: "有未发布修改" }) : null),
        el("td", { text: `v${r.latest_version}${r.published_version ? "（发布 v" + r.published_version + "）" : ""}` }),
        el("td", { text: `${r.updated_at.slice(0, 16).replace("T", " ")} ${r.updated_by}` }));
    q.addEventListener("input", yc.debounce(load, 250));
    for (const input of [kind, status, dept]) input.addEventListener("change", load);
    fill(root, 
      el("div", { class: "filters" },
        el("div", {}, el("label", { for: "f-q", text: "搜索" }), q), el("div", {}, el("label", { for: "f-kind", text: "类型" }), kind),
        el("div", {}, el("label", { for: "f-status", text: "状态" }), status), el("div", {}, el("label", { for: "f-dept", text: "部门" }), dept),
        el("button", { type: "button", text: "新建办事指南", onclick: () => create("guide", editor) }),
        el("button", { type: "button", text: "新建一件事", onclick: () => create("bundle", editor) })),
      count,
      el("div", { class: "table-wrap" }, el("table", {}, el("thead", {}, el("tr", {}, ["名称", "编码", "类型", "部门", "状态", "版本", "最近修改"].map((h) => el("th", { scope: "col", text: h })))), table)),
      pager,
      editor);
    await load();
    if (openCode) await edit(openCode.code || openCode, editor, openCode.at, openCode.rating);
  }

  const forms = {};
  const formOf = async (kind) => (forms[kind] = forms[kind] || await api("GET", `/api/admin/form/${kind}`));

  async function create(kind, editor) {
    await form(editor, { kind, code: null, status: "draft", content: {}, versions: [] });
  }

  // open an entry; `at` is a field path to put the cursor on (from a 差评: "修改内容")
  async function edit(code, editor, at, rating) {
    const data = await api("GET", `/api/admin/entries/${encodeURIComponent(code)}`);
    await form(editor, data, at, rating);
  }

  // opened from a 差评 (修改内容): what the citizen said, and closing it once the fix is in
  function ratingBanner(rating, code) {
    const note = el("textarea", { id: "h-note", rows: 2, maxlength: 1000, "aria-describedby": "h-problem" });
    const problem = el("p", { id: "h-problem", class: "problem", role: "alert" });
    const box = el("form", { class: "card rating-fix", "aria-labelledby": "h-title" },
      el("h3", { id: "h-title", text: `正在处理差评 #${rating.id}${rating.count > 1 ? `（同样的 ${rating.count} 条）` : ""}` }),
      el("p", {}, "市民问：", el("strong", { text: rating.question || "（未记录）" }), "　原因：", rating.reason || "（未填写）"),
      el("div", { class: "field" }, el("label", { for: "h-note", text: "处理说明（改了什么）" }), note, problem),
      el("div", { class: "actions" }, el("button", { type: "submit", text: "改好了，标为已处理" })));
    box.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const out = await api("POST", `/api/admin/ratings/${rating.id}/handled`, { note: note.value.trim(), code });
        yc.toast(`差评已处理（${out.closed} 条）`);
        show("ratings");
      } catch (err) { problem.textContent = err.message; note.focus(); }
    });
    return box;
  }

  const problemLine = (p) => `${p.label ? p.label + "：" : p.field ? p.field + "：" : ""}${p.message}`;

  async function form(editor, data, at, rating) {
    const kind = data.kind;
    const desc = await formOf(kind);
    const names = Object.fromEntries(entryNames.map((e) => [e.code, e.name]));
    const message = el("p", { id: "e-message", role: "status", "aria-live": "polite" });
    const summary = el("div", { id: "e-problems", class: "problem-summary", tabindex: "-1" });
    const built = ycForm.build(desc, data.content, { names, onChange: () => { dirty = true; live(); } });
    let dirty = false;
    const showProblems = (list) => {
      const loose = built.show(list);
      fill(summary, list.length ? [
        el("h3", { text: `有 ${list.length} 处问题，请按提示修改` }),
        el("ul", { class: "problems" }, list.map((p) => el("li", {},
          loose.includes(p) ? el("span", { text: problemLine(p) })
            : el("button", { type: "button", class: "link", text: problemLine(p), onclick: () => built.focus(p.field) })))),
      ] : []);
      return list.length;
    };
    const check = async () => {
      const result = await api("POST", "/api/admin/validate", { kind, content: built.value() });
      showProblems(result.problems);
      message.textContent = result.ok ? "内容检查通过" : `有 ${result.problems.length} 处问题，请按提示修改`;
      return result.ok;
    };
    const live = yc.debounce(() => check().catch((err) => (message.textContent = err.message)), 600);

    const act = async (label, fn) => {
      message.textContent = `${label}中…`;
      try {
        const out = await fn();
        if (out && out.code) {
          await form(editor, out, undefined, rating);
          editor.querySelector("#e-message").textContent = `${label}成功`;
        }
        await loadNames();
      } catch (err) {
        if (err.detail && err.detail.problems) { showProblems(err.detail.problems); summary.focus(); }
        message.textContent = `${label}失败：${err.message}`;
      }
    };
    const note = el("input", { id: "e-note", maxlength: 500, placeholder: "如：补充相似问" });
    const save = () => act("保存草稿", async () => {
      const body = { kind, content: built.value(), note: note.value.trim() };
      return data.code ? api("PUT", `/api/admin/entries/${encodeURIComponent(data.code)}`, body) : api("POST", "/api/admin/entries", body);
    });
    const preview = el("div", { id: "e-preview", "aria-live": "polite" });
    const showReply = (r, title) => fill(preview, el("div", { class: "card" }, el("h3", { text: title }),
      el("div", { class: "msg bot" }, el("div", { class: "bubble", text: r.text }), el("div", { class: "choices" }, r.buttons.map((b) => el("span", { class: "tag", text: b.title }))))));
    const previewEdited = async () => {
      try {
        showReply(await api("POST", "/api/admin/preview", { kind, content: built.value() }), "预览：市民将看到（正在编辑的内容，未保存）");
      } catch (err) {
        if (err.detail && err.detail.problems) showProblems(err.detail.problems);
        fill(preview, el("p", { class: "error", text: err.message }));
      }
    };

    // advanced: the same content as YAML text
    const yamlText = el("textarea", { id: "e-yaml", class: "json", spellcheck: "false", "aria-describedby": "e-yaml-problem" });
    const yamlProblem = el("p", { id: "e-yaml-problem", class: "problem", "aria-live": "polite" });
    const advanced = el("details", { class: "card advanced" }, el("summary", { text: "高级：直接编辑 YAML" }),
      el("p", { class: "muted", text: "熟悉 YAML 的编辑可以在这里整体修改，改好后点“用 YAML 更新表单”，再检查和保存。" }),
      el("div", { class: "field" }, el("label", { for: "e-yaml", text: "YAML 内容" }), yamlText, yamlProblem),
      el("div", { class: "actions" },
        el("button", { type: "button", text: "用表单内容重新生成", onclick: async () => { yamlText.value = (await api("POST", "/api/admin/yaml/dump", { kind, content: built.value() })).text; } }),
        el("button", { type: "button", text: "用 YAML 更新表单", onclick: async () => {
          yamlProblem.textContent = "";
          try {
            const parsed = await api("POST", "/api/admin/yaml/parse", { kind, text: yamlText.value });
            if (!parsed.ok) { yamlProblem.textContent = parsed.problem; yamlText.focus(); return; }
            built.replace(parsed.content);
            dirty = true;
            await check();
          } catch (err) { yamlProblem.textContent = err.message; }
        } })));
    advanced.addEventListener("toggle", async () => {
      if (advanced.open && !yamlText.value) yamlText.value = (await api("POST", "/api/admin/yaml/dump", { kind, content: built.value() })).text;
    });

    const diffOut = el("div", { class: "diff", "aria-live": "polite" });
    const versions = data.versions.slice().reverse();
    const pick = (nameAttr, v, checked) => el("input", { type: "radio", name: nameAttr, value: v.version, checked, "aria-label": `${nameAttr === "from" ? "对比起点" : "对比终点"} v${v.version}` });
    const versionRows = versions.map((v, i) => el("tr", {},
      el("td", { text: `v${v.version}` }), el("td", { text: v.published ? "已发布" : "" }), el("td", { text: v.author }),
      el("td", { text: yc.when(v.at) }), el("td", { text: v.note }),
      el("td", {}, pick("from", v, i === 1), pick("to", v, i === 0)),
      el("td", {}, el("button", { type: "button", text: "恢复为新版本", onclick: () => act("恢复", () => api("POST", `/api/admin/entries/${encodeURIComponent(data.code)}/restore`, { version: v.version })) }))));
    const compare = async () => {
      const from = editor.querySelector("input[name=from]:checked");
      const to = editor.querySelector("input[name=to]:checked");
      if (!from || !to) { diffOut.textContent = "请选择两个版本"; return; }
      const d = await api("GET", `/api/admin/entries/${encodeURIComponent(data.code)}/diff?from=${from.value}&to=${to.value}`);
      const show = (v) => (v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v));
      fill(diffOut, d.changes.length
        ? el("table", {}, el("caption", { text: `v${d.from} → v${d.to}` }), el("thead", {}, el("tr", {}, ["字段", "变化", "原来", "现在"].map((h) => el("th", { scope: "col", text: h })))),
          el("tbody", {}, d.changes.map((c) => el("tr", {}, el("td", { text: c.label || c.field }), el("td", { text: { added: "新增", removed: "删除", changed: "修改" }[c.change] }),
            el("td", { class: "removed", text: show(c.from) }), el("td", { class: "added", text: show(c.to) })))))
        : el("p", { text: "两个版本内容相同" }));
    };

    const buttons = () => el("div", { class: "actions" },
      el("button", { type: "button", text: "检查", onclick: () => check().catch((err) => (message.textContent = err.message)) }),
      el("button", { type: "button", text: "预览正在编辑的内容", onclick: previewEdited }),
      el("button", { type: "button", class: "primary", text: "保存草稿", onclick: save }),
      data.code ? el("button", { type: "button", text: "发布", onclick: () => {
        if (dirty && !confirm("有未保存的修改，发布的是最近保存的版本。仍要发布吗？")) return;
        act("发布", () => api("POST", `/api/admin/entries/${encodeURIComponent(data.code)}/publish`, { note: note.value.trim() }));
      } }) : null,
      data.code && data.status !== "retired" ? el("button", { type: "button", text: "下线", onclick: () => {
        if (confirm(`下线后市民将查不到「${data.content.name}」，确定吗？`)) act("下线", () => api("POST", `/api/admin/entries/${encodeURIComponent(data.code)}/retire`));
      } }) : null);

    fill(editor, el("div", { class: "card" },
      el("h2", { id: "e-title", tabindex: "-1" }, data.code ? `${data.content.name}（${data.code}）` : `新建${desc.title}`, " ", statusTag(data.status)),
      data.code ? el("p", { class: "muted", text: `最新 v${data.latest_version}；已发布 ${data.published_version ? "v" + data.published_version : "无"}` }) : null,
      rating ? ratingBanner(rating, data.code) : null,
      summary,
      built.node,
      advanced,
      field("e-note", "修改说明", note),
      message,
      buttons(),
      preview,
      versions.length ? el("div", {},
        el("h3", { text: "版本" }),
        el("table", {}, el("thead", {}, el("tr", {}, ["版本", "", "作者", "时间", "说明", "对比", ""].map((h) => el("th", { scope: "col", text: h })))), el("tbody", {}, versionRows)),
        el("div", { class: "actions" }, el("button", { type: "button", text: "对比所选版本", onclick: () => compare().catch((err) => (diffOut.textContent = err.message)) })),
        diffOut) : null));
    if (!at || !built.focus(at)) editor.querySelector("#e-title").focus();
  }

  // ---- 未答问题与差评: both end in "add these words to a guide as a 相似问" -----------------------
  // the turns of the conversation around a queue's item (masked): what the citizen said, what the answer was
  function conversation(turns, label) {
    if (!turns || !turns.length) return null;
    return el("ol", { class: "transcript context", "aria-label": label }, turns.flatMap((t) => [
      el("li", { class: "line citizen" }, el("span", { class: "who", text: "市民" }), t.text),
      el("li", { class: `line bot${t.rated ? " rated" : ""}` }, el("span", { class: "who", text: t.rated ? "被评价的答复" : "答复" }),
        el("span", { class: "tag", text: t.name ? `${t.decision_name}：${t.name}` : t.decision_name }), t.reply),
    ]));
  }

  function linkForm(prefix, item, defaultCode, question, url, reload) {
    const code = el("input", { id: `${prefix}-code-${item.id}`, list: "entry-codes", value: defaultCode || "", placeholder: "条目编码", required: true });
    const words = el("input", { id: `${prefix}-q-${item.id}`, value: question || "", maxlength: 200 });
    const publish = el("input", { id: `${prefix}-pub-${item.id}`, type: "checkbox" });
    const note = el("span", { role: "status" });
    const form = el("form", { class: "filters", "aria-label": `处理 #${item.id}` },
      el("div", {}, el("label", { for: code.id, text: "关联条目" }), code),
      el("div", { class: "grow" }, el("label", { for: words.id, text: "作为相似问加入" }), words),
      el("div", {}, el("span", {}, publish, el("label", { for: publish.id, text: " 立即发布" }))),
      el("button", { type: "submit", class: "primary", text: "关联并加入相似问" }),
      el("button", { type: "button", text: "忽略", onclick: async () => {
        try { await api("POST", `${url}/${item.id}/dismiss`, { also: item.ids || [] }); reload(); } catch (err) { note.textContent = err.message; }
      } }),
      el("button", { type: "button", text: "打开条目", onclick: () => code.value && show("entries", code.value.trim()) }),
      note);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        await api("POST", `${url}/${item.id}/link`, { code: code.value.trim(), question: words.value.trim(), publish: publish.checked, also: item.ids || [] });
        yc.toast(publish.checked ? "已加入相似问并发布" : "已加入相似问（草稿，发布后生效）");
        reload();
      } catch (err) {
        note.textContent = problemText(err).join("；");
      }
    });
    return form;
  }

  async function unansweredView() {
    await loadNames();
    const items = await api("GET", "/api/admin/unanswered");
    fill(root, el("h2", { text: `未答问题（${items.length}）` }),
      el("p", { class: "muted", text: "市民问了但没有匹配到事项的话，意思相同的问法合为一项。关联到正确的条目，这句话会成为它的相似问，以后就能查到；“作为相似问加入”已去掉寒暄和遮盖的号码，接着上一个答复问的，前面加上了事项名称。" }),
      items.length ? null : el("p", { text: "没有待处理的问题。" }),
      ...items.map((i) => el("article", { class: "card", "aria-labelledby": `u-t-${i.id}` },
        el("p", {}, el("strong", { id: `u-t-${i.id}`, text: i.text }), i.count > 1 ? el("span", { class: "tag", text: `问过 ${i.count} 次` }) : null, el("span", { class: "muted", text: `　最近 ${yc.when(i.at)} · ${i.source}${i.region ? " · " + i.region : ""}` })),
        i.variants.length ? el("p", { class: "muted", text: `同样意思的问法：${i.variants.join("、")}` }) : null,
        i.context.length ? el("p", { class: "muted", text: "在这之前的对话（已遮盖个人信息）：" }) : null,
        conversation(i.context, `“${i.text}”之前的对话`),
        i.candidates.length ? el("p", { class: "muted", text: `最接近：${i.candidates.map((c) => `${c.name}（${c.code}）`).join("、")}` }) : null,
        linkForm("u", i, i.suggested_code || (i.candidates[0] && i.candidates[0].code), i.suggested || i.text, "/api/admin/unanswered", unansweredView))));
  }

  async function ratingsView() {
    await loadNames();
    const [items, summary] = await Promise.all([api("GET", "/api/admin/ratings"), api("GET", "/api/admin/ratings/summary")]);
    const overdue = items.filter((r) => r.overdue).length;
    fill(root, el("h2", { text: `差评（${items.length} 项待处理${overdue ? `，${overdue} 项已超期` : ""}）` }),
      el("p", { class: "muted", text: "先看市民说哪里不好：内容有错就“修改内容”，改好后标为已处理；答复的条目本身不对，才把市民的话加为正确条目的相似问。" }),
      items.length ? null : el("p", { text: "没有待处理的差评。" }),
      ...items.map((r) => el("article", { class: `card${r.overdue ? " overdue" : ""}`, "aria-labelledby": `r-q-${r.id}` },
        el("p", {}, "市民问：", el("strong", { id: `r-q-${r.id}`, text: r.question || "（未记录）" }),
          r.count > 1 ? el("span", { class: "tag", text: `同样的差评 ${r.count} 条` }) : null,
          el("span", { class: "muted", text: `　${yc.when(r.at)} · ${r.source}` })),
        el("p", {}, "原因：", el("strong", { text: r.reason || "（未填写）" })),
        el("p", {}, `处理期限：${r.due}`, r.overdue ? el("span", { class: "status retired", text: "已超期" }) : null),
        r.about ? el("p", {}, "答复的条目：", `${r.about.name}（${r.about.code}）`) : null,
        r.context && r.context.length ? el("p", { class: "muted", text: "评价前后的对话（已遮盖个人信息）：" }) : null,
        conversation(r.context, `差评 #${r.id} 前后的对话`),
        el("details", {}, el("summary", { text: "当时的答复（全文）" }), el("pre", { class: "pre", text: r.answer })),
        el("div", { class: "actions" },
          r.about ? el("button", { type: "button", class: "primary", text: "修改内容", "aria-label": `修改内容：${r.about.name}`,
            onclick: () => show("entries", { code: r.about.code, at: r.field, rating: r }) }) : null,
          handledForm(r)),
        el("details", {}, el("summary", { text: "答复的条目不对？把市民的话加为正确条目的相似问" }),
          linkForm("r", r, "", r.question, "/api/admin/ratings", ratingsView)))),
      el("h3", { text: "各条目的好差评" }),
      el("table", {}, el("thead", {}, el("tr", {}, ["条目", "👍 有帮助", "👎 没帮助"].map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, summary.map((s) => el("tr", {}, el("td", { text: `${s.name}（${s.code}）` }), el("td", { text: s.up }), el("td", { text: s.down }))))));
  }

  function handledForm(r) {
    const note = el("input", { id: `r-note-${r.id}`, maxlength: 1000, placeholder: "如：已补充照片尺寸要求", "aria-describedby": `r-note-p-${r.id}` });
    const problem = el("span", { id: `r-note-p-${r.id}`, class: "problem", role: "alert" });
    const f = el("form", { class: "inline", "aria-label": `已处理差评 #${r.id}` },
      el("label", { for: note.id, text: "处理说明" }), note, el("button", { type: "submit", text: "已处理" }), problem);
    f.addEventListener("submit", async (e) => {
      e.preventDefault();
      try { await api("POST", `/api/admin/ratings/${r.id}/handled`, { note: note.value.trim(), code: r.about && r.about.code }); yc.toast("已标为已处理"); ratingsView(); }
      catch (err) { problem.textContent = err.message; }
    });
    return f;
  }

  // ---- 导入导出 -----------------------------------------------------------------------------
  async function filesView() {
    const file = el("input", { id: "i-file", type: "file", accept: ".yaml,.yml,.xlsx", required: true });
    const publish = el("input", { id: "i-pub", type: "checkbox" });
    const out = el("div", { role: "status", "aria-live": "polite" });
    const form = el("form", { class: "card", "aria-labelledby": "i-title" },
      el("h2", { id: "i-title", text: "导入" }),
      el("p", { class: "muted", text: "YAML 或 Excel 文件整体校验：有任何问题都不会写入，问题会列出文件、行和字段。" }),
      field("i-file", "选择文件", file),
      el("div", {}, publish, el("label", { for: "i-pub", text: " 导入后立即发布" })),
      el("button", { type: "submit", class: "primary", text: "导入" }), out);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!file.files.length) return;
      const data = new FormData();
      data.append("file", file.files[0]);
      fill(out, "导入中…");
      try {
        const r = await api("POST", `/api/admin/import?publish=${publish.checked}`, undefined, { form: data });
        fill(out, el("p", { text: `新增 ${r.created.length} 条，更新 ${r.updated.length} 条，未变 ${r.unchanged} 条，发布 ${r.published.length} 条。` }));
        await loadNames();
      } catch (err) {
        fill(out, el("p", { class: "error", text: typeof err.detail === "object" && err.detail ? err.detail.message : err.message }),
          el("ul", { class: "problems" }, problemText(err).map((t) => el("li", { text: t }))));
      }
    });
    fill(root, form, el("div", { class: "card" }, el("h2", { text: "导出" }),
      el("ul", {},
        el("li", {}, el("a", { href: "/api/admin/export?format=xlsx", text: "已发布内容（Excel）" })),
        el("li", {}, el("a", { href: "/api/admin/export?format=yaml", text: "已发布内容（YAML）" })),
        el("li", {}, el("a", { href: "/api/admin/export?format=yaml&latest=true", text: "最新版本含草稿（YAML）" })))));
  }

  await loadNames();
  show("entries");
})().catch((err) => {
  document.getElementById("root").replaceChildren(yc.el("p", { class: "error", role: "alert", text: err.message || "页面加载失败，请刷新重试。" }));
});
