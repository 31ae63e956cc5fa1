// The admins' accounts page: create an account, change its role and department, disable/enable it,
// reset its password. An account with a department (a 12345 承办单位) works only that department's tickets.
"use strict";

const ycAccounts = (() => {
  const { el, api, fill } = yc;
  const ROLES = [["staff", "话务员"], ["editor", "内容编辑"], ["admin", "管理员"]];
  const roleSelect = (id, value, label) => el("select", { id, "aria-label": label }, ROLES.map(([v, t]) => el("option", { value: v, text: t, selected: v === value })));

  async function view(root, current) {
    const [list, departments] = await Promise.all([api("GET", "/api/admin/accounts"), api("GET", "/api/admin/accounts/departments")]);
    const known = el("datalist", { id: "a-departments" }, departments.departments.map((d) => el("option", { value: d })));
    const message = el("p", { id: "a-message", role: "status", "aria-live": "polite" });
    const done = async (text) => { await view(root, current); document.getElementById("a-message").textContent = text; };
    const failed = (err) => { message.textContent = err.message; };

    const user = el("input", { id: "a-user", maxlength: 50, required: true, autocomplete: "off" });
    const pass = el("input", { id: "a-pass", type: "password", minlength: 10, maxlength: 200, required: true, autocomplete: "new-password", "aria-describedby": "a-pass-hint" });
    const role = roleSelect("a-role", "staff", "角色");
    const dept = el("input", { id: "a-dept", list: "a-departments", maxlength: 100, autocomplete: "off", "aria-describedby": "a-dept-hint" });
    const create = el("form", { class: "card", "aria-labelledby": "a-new" },
      el("h2", { id: "a-new", text: "新建账号" }),
      el("div", { class: "filters" },
        el("div", {}, el("label", { for: "a-user", text: "用户名" }), user),
        el("div", {}, el("label", { for: "a-pass", text: "初始密码" }), pass, el("span", { id: "a-pass-hint", class: "hint", text: "至少 10 个字符，请当面告知本人" })),
        el("div", {}, el("label", { for: "a-role", text: "角色" }), role),
        el("div", {}, el("label", { for: "a-dept", text: "承办部门" }), dept, el("span", { id: "a-dept-hint", class: "hint", text: "填了部门，工单台只显示、只能办理该部门的工单；12345 中心和编辑留空" })),
        el("button", { type: "submit", class: "primary", text: "创建" })));
    create.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        await api("POST", "/api/admin/accounts", { username: user.value.trim(), password: pass.value, role: role.value, department: dept.value.trim() || null });
        await done(`已创建账号 ${user.value.trim()}`);
      } catch (err) { failed(err); }
    });

    const rows = list.map((a, i) => {
      const r = roleSelect(`a-role-${i}`, a.role, `${a.username} 的角色`);
      if (a.username === current) r.disabled = true; // another admin changes an admin's own role
      r.addEventListener("change", async () => {
        try { await api("PATCH", `/api/admin/accounts/${encodeURIComponent(a.username)}`, { role: r.value }); await done(`${a.username} 的角色已改为 ${r.selectedOptions[0].text}`); } catch (err) { r.value = a.role; failed(err); }
      });
      const toggle = a.username === current ? el("span", { class: "muted", text: "（自己）" }) : el("button", { type: "button", text: a.active ? "停用" : "启用", onclick: async () => {
        if (a.active && !confirm(`停用后 ${a.username} 将立即退出且无法登录，确定吗？`)) return;
        try { await api("PATCH", `/api/admin/accounts/${encodeURIComponent(a.username)}`, { active: !a.active }); await done(`${a.username} 已${a.active ? "停用" : "启用"}`); } catch (err) { failed(err); }
      } });
      const where = el("input", { id: `a-dept-${i}`, list: "a-departments", maxlength: 100, value: a.department || "", placeholder: "不限部门", "aria-label": `${a.username} 的承办部门` });
      const move = el("button", { type: "button", text: "保存部门", onclick: async () => {
        const value = where.value.trim();
        try { await api("PATCH", `/api/admin/accounts/${encodeURIComponent(a.username)}`, { department: value || null }); await done(value ? `${a.username} 现属于${value}` : `${a.username} 不再限于某个部门`); } catch (err) { failed(err); }
      } });
      const newPass = el("input", { id: `a-reset-${i}`, type: "password", minlength: 10, autocomplete: "new-password", "aria-label": `${a.username} 的新密码` });
      const reset = el("button", { type: "button", text: "重置密码", onclick: async () => {
        try { await api("POST", `/api/admin/accounts/${encodeURIComponent(a.username)}/password`, { password: newPass.value }); await done(`${a.username} 的密码已重置，原来的登录已失效`); } catch (err) { failed(err); }
      } });
      return el("tr", {}, el("th", { scope: "row", text: a.username }), el("td", {}, r), el("td", {}, el("div", { class: "inline" }, where, move)),
        el("td", {}, el("span", { class: `status ${a.active ? "published" : "retired"}`, text: a.active ? "正常" : "已停用" })),
        el("td", { text: a.created_at.slice(0, 10) }), el("td", {}, toggle), el("td", {}, el("div", { class: "inline" }, newPass, reset)));
    });
    fill(root, known, create, message,
      el("div", { class: "table-wrap" }, el("table", {}, el("caption", { text: `账号（${list.length}）` }),
        el("thead", {}, el("tr", {}, ["用户名", "角色", "承办部门", "状态", "创建", "启用/停用", "重置密码"].map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, rows))));
  }

  return { view };
})();
