// Shared helpers for the 一窗导办 pages: building DOM safely, calling the API, logging in.
"use strict";

const yc = (() => {
  // el("p", {class: "x", text: "…"}, child, …): never innerHTML, so nothing from the server runs as HTML
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key in node && typeof value !== "string") node[key] = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // replaceChildren, skipping the nulls that conditional parts leave (it would print "null")
  function fill(node, ...children) {
    node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
    return node;
  }

  let csrf = "";

  class ApiError extends Error {
    constructor(status, detail) {
      super(typeof detail === "string" ? detail : (detail && detail.message) || "请求失败");
      this.status = status;
      this.detail = detail;
    }
  }

  async function api(method, path, body, { signal, form } = {}) {
    const headers = {};
    if (csrf && method !== "GET") headers["X-CSRF-Token"] = csrf;
    let payload;
    if (form) payload = form;
    else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    let resp;
    try {
      resp = await fetch(path, { method, headers, body: payload, signal, credentials: "same-origin" });
    } catch (err) {
      if (err.name === "AbortError") throw err;
      throw new ApiError(0, "网络连接好像断了，请检查网络后再试。");
    }
    const data = await resp.json().catch(() => null);
    if (!resp.ok) {
      if (resp.status === 429) throw new ApiError(429, "操作太频繁了，请稍等几秒再试。");
      throw new ApiError(resp.status, (data && data.detail) || `请求失败（${resp.status}）`);
    }
    return data;
  }

  function toast(text) {
    const node = el("div", { class: "toast", role: "status", text });
    document.body.append(node);
    setTimeout(() => node.remove(), 2500);
  }

  async function copy(text) {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // clipboard API needs a secure context: fall back to a selected textarea
      const area = el("textarea", { class: "sr-only", "aria-hidden": "true" });
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    toast("已复制");
  }

  // The log-in gate of the staff and editor pages: resolves with {user, role} once logged in.
  // other scripts of a page (the staff inbox) start once someone has logged in
  const sessionWaiters = [];
  let sessionMe = null;
  function onSession(fn) {
    if (sessionMe) fn(sessionMe);
    else sessionWaiters.push(fn);
  }
  function loggedIn(me) {
    sessionMe = me;
    for (const fn of sessionWaiters.splice(0)) fn(me);
    return me;
  }

  async function session(root, needRole) {
    return loggedIn(await gate(root, needRole));
  }

  async function gate(root, needRole) {
    try {
      const me = await api("GET", "/api/auth/me");
      csrf = me.csrf;
      return me;
    } catch (err) {
      if (err.status !== 401) throw err;
    }
    return new Promise((resolve) => {
      const problem = el("p", { class: "error", role: "alert" });
      const user = el("input", { id: "login-user", name: "username", autocomplete: "username", required: true });
      const pass = el("input", { id: "login-pass", name: "password", type: "password", autocomplete: "current-password", required: true });
      const form = el("form", { class: "login card", "aria-labelledby": "login-title" },
        el("h2", { id: "login-title", text: needRole === "editor" ? "内容编辑登录" : "话务员登录" }),
        el("div", { class: "field" }, el("label", { for: "login-user", text: "用户名" }), user),
        el("div", { class: "field" }, el("label", { for: "login-pass", text: "密码" }), pass),
        problem,
        el("button", { class: "primary", type: "submit", text: "登录" }));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        problem.textContent = "";
        try {
          const me = await api("POST", "/api/auth/login", { username: user.value.trim(), password: pass.value });
          csrf = me.csrf;
          form.remove();
          resolve({ user: me.user, role: me.role, csrf: me.csrf, department: me.department || null });
        } catch (err) {
          problem.textContent = err.message;
          pass.value = "";
          pass.focus();
        }
      });
      root.replaceChildren(form);
      user.focus();
    });
  }

  async function logout() {
    try { await api("POST", "/api/auth/logout"); } catch { /* already gone */ }
    csrf = "";
    location.reload();
  }

  function debounce(fn, ms) {
    let timer;
    return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
  }

  const site = {}; // whose service this is: filled by the page that knows (chat.js from /api/site)
  const MARKS = (m) => [
    m.exempt ? el("span", { class: "tag exempt", text: `✓ 免提交${m.e_licence ? "（" + m.e_licence + "）" : ""}` }) : null,
    m.can_defer ? el("span", { class: "tag defer", text: "⏳ 可容缺后补" }) : null,
    !m.required && m.conditions && m.conditions.length ? el("span", { class: "tag", text: `${m.conditions.join("、")}时需要` }) : null,
  ];

  // A checklist (the API's Checklist.as_dict()) as real checkboxes; ticks are kept in localStorage.
  // What to bring comes first; the 免提交 ones follow as a plain list (nothing to tick or to bring).
  function checklist(data, { storageKey } = {}) {
    const key = storageKey || `yc-checklist:${data.bundle_code}`;
    const saved = new Set(JSON.parse(localStorage.getItem(key) || "[]"));
    const names = Object.fromEntries(data.guides.map((g) => [g.code, g.name]));
    const usedFor = (m) => el("span", { class: "muted", text: `（用于：${m.guides.map((c) => names[c] || c).join("、")}）` });
    const todo = data.materials.filter((m) => !m.exempt);
    const exempt = data.materials.filter((m) => m.exempt);
    const progress = el("p", { class: "progress", "aria-live": "polite" });
    const items = [];
    const update = () => {
      const done = items.filter((i) => i.box.checked);
      progress.textContent = `已备齐 ${done.length} / ${todo.length} 份材料`;
      localStorage.setItem(key, JSON.stringify(done.map((i) => i.material.name)));
    };
    const list = todo.map((m, index) => {
      const id = `${key}-${index}`.replace(/[^\w-]/g, "_");
      const box = el("input", { type: "checkbox", id, checked: m.done || saved.has(m.name) });
      const row = el("div", { class: "item" }, box,
        el("label", { for: id }, el("span", { class: "name", text: m.name }), el("span", { class: "forms", text: m.forms.join(" / ") }),
          m.copies > 1 ? el("span", { class: "copies", text: `${m.copies} 份` }) : null,
          ...MARKS(m), usedFor(m)));
      const sync = () => row.classList.toggle("done", box.checked);
      box.addEventListener("change", () => { sync(); update(); });
      sync();
      items.push({ material: m, box });
      return row;
    });
    update();
    const stages = data.guides.slice().sort((a, b) => a.stage - b.stage);
    const today = new Date().toLocaleDateString("zh-CN", { year: "numeric", month: "long", day: "numeric" });
    const title = `${site.city ? site.city + " · " : ""}${data.bundle_name} · 材料清单`;
    const asText = () => [
      title,
      `生成日期：${today}（一窗导办${site.operator ? "，" + site.operator : ""}）`,
      ...stages.map((g, i) => `${i + 1}. ${g.name}（${g.department}）`),
      "需要准备：",
      ...items.map(({ material: m, box }) => `${box.checked ? "☑" : "☐"} ${m.name}（${m.forms.join("、")}）${m.can_defer ? " 可容缺" : ""}`),
      exempt.length ? `不用带（窗口从电子证照库调取）：${exempt.map((m) => m.name).join("、")}` : "",
      `统一窗口：${data.single_window}`,
      data.total_days === 0 ? "即办：材料齐全当场办结" : data.total_days !== null && data.total_days !== undefined ? `承诺 ${data.total_days} 个工作日内办结` : "",
    ].filter(Boolean).join("\n");
    const section = el("section", { class: "checklist", "aria-label": `${data.bundle_name}材料清单` },
      el("p", { class: "print-only", text: `${title}　${today}` }),
      el("h3", { text: `${data.bundle_name} · 您的材料清单` }),
      el("fieldset", {}, el("legend", { text: `要带的材料（${todo.length} 份）：备好一样，勾一样` }), list),
      progress,
      exempt.length ? el("div", { class: "exempt-list" },
        el("p", { class: "legend", text: `不用带（${exempt.length} 份）：窗口从电子证照库调取` }),
        el("ul", {}, exempt.map((m) => el("li", {}, el("span", { class: "name", text: m.name }), ...MARKS(m), usedFor(m))))) : null,
      el("p", { class: "muted", text: `需要办理 ${data.guides.length} 个事项（按顺序）：` }),
      el("ol", {}, stages.map((g) => el("li", {}, g.name, el("span", { class: "muted", text: `　${g.department}${g.promised_limit_days === 0 ? "，即办" : g.promised_limit_days !== null ? "，" + g.promised_limit_days + " 个工作日" : ""}` })))),
      el("p", { text: `统一窗口：${data.single_window}` }),
      data.online_entry ? el("p", {}, "网上办理：", el("a", { href: data.online_entry, rel: "noopener", class: "url" },
        el("span", { class: "url-text", text: data.online_entry }), el("span", { class: "url-label", text: "🌐 打开网页" }))) : null,
      el("div", { class: "choices no-print" },
        el("button", { type: "button", text: "打印清单", onclick: (e) => print(e.target.closest(".msg, .card, section")) }),
        el("button", { type: "button", text: "保存为文本", onclick: () => download(`${data.bundle_name}材料清单-${new Date().toISOString().slice(0, 10)}.txt`, asText()) })));
    return section;
  }

  function print(target) {
    if (target) {
      target.classList.add("print-target");
      document.body.classList.add("printing");
    }
    window.print();
    if (target) {
      target.classList.remove("print-target");
      document.body.classList.remove("printing");
    }
  }

  function download(name, text) {
    const url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
    const link = el("a", { href: url, download: name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  // A stored moment (ISO, UTC or with an offset) as the city's wall-clock time "2026-12-01 17:05":
  // staff read deadlines and history in the city's time, whatever their own computer is set to.
  const CITY_TIME = new Intl.DateTimeFormat("sv-SE", {
    timeZone: document.documentElement.dataset.timezone || "Asia/Shanghai",
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false,
  });
  function when(iso) {
    if (!iso) return "";
    if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) return iso; // a calendar day is already the city's
    const moment = new Date(/[zZ]|[+-]\d{2}:?\d{2}$/.test(iso) ? iso : `${iso}Z`);
    return Number.isNaN(moment.getTime()) ? String(iso) : CITY_TIME.format(moment);
  }

  return { el, fill, api, ApiError, toast, copy, session, onSession, logout, debounce, checklist, print, download, MARKS, site, when };
})();
