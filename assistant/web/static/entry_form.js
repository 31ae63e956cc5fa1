// The structured editor of one guide or bundle, drawn from the form the API describes
// (/api/admin/form/{kind}): one labelled input per field, rows that can be added, moved and removed,
// and each validation problem shown beside the field it names.
"use strict";

const ycForm = (() => {
  const { el } = yc;
  const idOf = (path) => `f-${path.replace(/[[\].]+/g, "-").replace(/-$/, "")}`;
  // "materials[2].e_licence" -> ["materials[2].e_licence", "materials[2]", "materials"]
  function ancestors(path) {
    const out = [path];
    let p = path;
    while (p) {
      const cut = Math.max(p.lastIndexOf("."), p.lastIndexOf("["));
      if (cut <= 0) break;
      p = p.slice(0, cut);
      out.push(p);
    }
    return out;
  }
  function blank(fields) {
    const item = {};
    for (const f of fields) {
      if (f.default !== null && f.default !== undefined) item[f.key] = structuredClone(f.default);
      else if (f.required && f.type === "rows") item[f.key] = [];
      else if (f.required) item[f.key] = "";
    }
    return item;
  }
  const rowTitle = (item, fields) => {
    const first = fields.find((f) => f.type === "text" && typeof item[f.key] === "string" && item[f.key] && f.key !== "id" && f.key !== "value");
    return first ? item[first.key] : "";
  };

  function build(desc, content, { names = {}, onChange = () => {} } = {}) {
    const state = structuredClone(content);
    const root = el("div", { class: "entry-form" });
    const slots = new Map(); // field path -> the <p> beside it that shows its problems
    const changed = () => onChange(state);

    function slot(path) {
      const p = el("p", { id: `${idOf(path)}-problem`, class: "problem", "aria-live": "polite" });
      slots.set(path, p);
      return p;
    }
    const describedBy = (path, hint) => [hint ? `${idOf(path)}-hint` : "", `${idOf(path)}-problem`].filter(Boolean).join(" ");
    const hintOf = (f, path) => (f.hint ? el("p", { id: `${idOf(path)}-hint`, class: "hint", text: f.hint }) : null);

    function labelled(f, path, input) {
      return el("div", { class: "field", "data-path": path }, el("label", { for: idOf(path), text: f.label + (f.required ? "（必填）" : "") }), hintOf(f, path), input, slot(path));
    }

    function widget(f, obj, path) {
      const id = idOf(path);
      const value = obj[f.key] === undefined ? f.default : obj[f.key];
      const attrs = { id, "data-path": path, "aria-describedby": describedBy(path, f.hint) };
      switch (f.type) {
        case "bool": {
          const box = el("input", { ...attrs, type: "checkbox", checked: Boolean(value) });
          box.addEventListener("change", () => { obj[f.key] = box.checked; changed(); });
          return el("div", { class: "field check", "data-path": path }, el("div", {}, box, el("label", { for: id, text: ` ${f.label}` })), hintOf(f, path), slot(path));
        }
        case "int": {
          const input = el("input", { ...attrs, type: "number", inputmode: "numeric", step: 1, min: f.ge, max: f.le, value: value === null || value === undefined ? "" : String(value) });
          input.addEventListener("input", () => {
            const v = input.value.trim();
            if (v === "") { if (f.nullable) obj[f.key] = null; else delete obj[f.key]; } else obj[f.key] = Number(v);
            changed();
          });
          return labelled(f, path, input);
        }
        case "select": {
          const select = el("select", attrs, f.nullable || !f.required && f.default === null ? el("option", { value: "", text: "（不填）" }) : null,
            f.options.map((o) => el("option", { value: o.value, text: o.label, selected: o.value === value })));
          if (f.required && (value === "" || value === undefined || value === null)) select.prepend(el("option", { value: "", text: "请选择", selected: true }));
          select.addEventListener("change", () => { obj[f.key] = select.value === "" ? null : select.value; changed(); });
          return labelled(f, path, select);
        }
        case "multi":
        case "guides": {
          const options = f.type === "multi" ? f.options
            : (state.guides || []).filter((g) => g.code).map((g) => ({ value: g.code, label: names[g.code] || g.code }));
          const chosen = new Set(value || []);
          const boxes = options.map((o, i) => {
            const box = el("input", { type: "checkbox", id: `${id}-${i}`, value: o.value, checked: chosen.has(o.value), "data-path": path });
            box.addEventListener("change", () => { obj[f.key] = boxes.filter((b) => b.checked).map((b) => b.value); changed(); });
            return box;
          });
          return el("fieldset", { class: "field choices-set", "data-path": path, id, "aria-describedby": describedBy(path, f.hint) },
            el("legend", { text: f.label }), hintOf(f, path),
            options.length ? boxes.map((b, i) => el("span", { class: "choice" }, b, el("label", { for: b.id, text: ` ${options[i].label}` })))
              : el("span", { class: "muted", text: "（先在“包含的事项”里填写事项编码）" }),
            slot(path));
        }
        case "lines": {
          const area = el("textarea", { ...attrs, rows: Math.min(8, Math.max(2, (value || []).length + 1)) });
          area.value = (value || []).join("\n");
          area.addEventListener("input", () => { obj[f.key] = area.value.split("\n").map((s) => s.trim()).filter(Boolean); changed(); });
          return labelled({ ...f, label: `${f.label}（每行一个）` }, path, area);
        }
        case "rows":
          return rows(f, obj, path);
        default: {
          const input = f.type === "textarea" ? el("textarea", { ...attrs, rows: 2 }) : el("input", { ...attrs, list: f.key === "code" && path.startsWith("guides[") ? "entry-codes" : f.key === "department" ? "departments" : null });
          input.value = value === null || value === undefined ? "" : String(value);
          input.addEventListener("input", () => { obj[f.key] = input.value === "" && f.nullable ? null : input.value; changed(); });
          if (path.startsWith("guides[") && f.key === "code") input.addEventListener("change", render); // the options' pickers list these
          return labelled(f, path, input);
        }
      }
    }

    function rows(f, obj, path) {
      if (!Array.isArray(obj[f.key])) obj[f.key] = [];
      const list = obj[f.key];
      const move = (i, to) => { const [item] = list.splice(i, 1); list.splice(to, 0, item); render(`${path}[${to}]`); changed(); };
      const items = list.map((item, i) => {
        const itemPath = `${path}[${i}]`;
        const title = rowTitle(item, f.fields);
        return el("fieldset", { class: "row", "data-path": itemPath, id: idOf(itemPath) },
          el("legend", { text: `${f.label} ${i + 1}${title ? "：" + title : ""}` }),
          slot(itemPath),
          el("div", { class: "row-fields" }, f.fields.map((sub) => widget(sub, item, `${itemPath}.${sub.key}`))),
          el("div", { class: "row-tools" },
            el("button", { type: "button", text: "上移", disabled: i === 0, "aria-label": `上移${f.label} ${i + 1}`, onclick: () => move(i, i - 1) }),
            el("button", { type: "button", text: "下移", disabled: i === list.length - 1, "aria-label": `下移${f.label} ${i + 1}`, onclick: () => move(i, i + 1) }),
            el("button", { type: "button", class: "danger", text: "删除", "aria-label": `删除${f.label} ${i + 1}${title ? "：" + title : ""}`, onclick: () => {
              list.splice(i, 1); render(list.length ? `${path}[${Math.min(i, list.length - 1)}]` : `${path}-add`); changed();
            } })));
      });
      return el("section", { class: "rows", "data-path": path, "aria-label": f.label },
        el("h4", { text: `${f.label}（${list.length}）` }), hintOf(f, path), slot(path), items,
        el("button", { type: "button", id: idOf(`${path}-add`), text: `添加${f.label}`, onclick: () => {
          list.push(blank(f.fields)); render(`${path}[${list.length - 1}]`); changed();
        } }));
    }

    // redraw from the state (after rows change); focus goes to `focusPath` or stays where it was
    function render(focusPath) {
      const active = typeof focusPath === "string" ? null : document.activeElement && document.activeElement.id;
      slots.clear();
      root.replaceChildren(...desc.groups.map((g) => el("fieldset", { class: "group" },
        el("legend", { text: g.title }), g.fields.map((f) => widget(f, state, f.key)))));
      if (typeof focusPath === "string") focus(focusPath);
      else if (active && document.getElementById(active)) document.getElementById(active).focus();
      if (lastProblems) show(lastProblems);
    }

    function focus(path) {
      for (const p of ancestors(path)) {
        const box = root.querySelector(`[data-path="${CSS.escape(p)}"]`) || document.getElementById(idOf(p));
        if (!box) continue;
        const target = box.matches("input, select, textarea, button") ? box : box.querySelector("input, select, textarea, button");
        (target || box).focus();
        (target || box).scrollIntoView({ block: "center" });
        return true;
      }
      return false;
    }

    let lastProblems = null;
    // problems -> beside their fields; returns those with no field on the form
    function show(problems) {
      lastProblems = problems;
      for (const p of slots.values()) p.replaceChildren();
      for (const input of root.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
      const loose = [];
      for (const problem of problems) {
        const path = problem.field ? ancestors(problem.field).find((p) => slots.has(p)) : null;
        if (!path) { loose.push(problem); continue; }
        slots.get(path).append(el("span", { text: `${problem.message} ` }));
        const input = document.getElementById(idOf(path));
        if (input) input.setAttribute("aria-invalid", "true");
      }
      return loose;
    }

    render();
    return { node: root, value: () => structuredClone(state), show, focus, replace(content_) {
      for (const k of Object.keys(state)) delete state[k];
      Object.assign(state, structuredClone(content_));
      render();
    }, idOf, ancestors };
  }

  return { build, idOf, ancestors };
})();
