// Answers made easy to scan: the reply text's "· " lines become lists, halls get tappable phone
// numbers and a map link, materials get 原件/复印件/份数 and 免提交/容缺 badges, links are links.
// The text is the one every channel gets (assistant/replies.py writes these line shapes).
"use strict";

const ycAnswer = (() => {
  const { el } = yc;
  const URL_RE = /https?:\/\/[^\s，。；、）)」"]+/g;
  // landlines (0531-12345678), mobiles, 12345 and the 123xx hotlines; emergency numbers after ☎/拨打/：
  const PHONE_RE = /(?<![\d*])(0\d{2,3}-?\d{7,8}|1[3-9]\d{9}|123\d{2}|12345)(?![\d*])|(?<=(?:☎|拨打|电话|：)\s?)(110|119|120|122)(?!\d)/g;
  const HALL_RE = /^(.+?)：(.+?)，(.+?)，电话 (.+)$/;
  const MATERIAL_RE = /^(.+?)：((?:原件|复印件|电子件|原件或复印件)(?:、(?:原件|复印件|电子件))*)(?: (\d+) 份)?(?:（(.+)）)?$/;

  // text with URLs and phone numbers as links
  function inline(text, linkClass = "tel") {
    const parts = [];
    const found = [];
    // a web address as itself; 长辈版 shows a button "打开网页" instead of the long address (app.css)
    for (const m of text.matchAll(URL_RE)) {
      const node = el("a", { href: m[0], rel: "noopener", target: "_blank", class: "url" },
        el("span", { class: "url-text", text: m[0] }), el("span", { class: "url-label", text: "🌐 打开网页" }));
      found.push({ at: m.index, end: m.index + m[0].length, node });
    }
    for (const m of text.matchAll(PHONE_RE)) {
      if (found.some((f) => m.index < f.end && m.index + m[0].length > f.at)) continue; // inside a URL
      const number = m[0];
      found.push({ at: m.index, end: m.index + number.length, node: el("a", { href: `tel:${number.replace(/-/g, "")}`, class: linkClass, text: number }) });
    }
    found.sort((a, b) => a.at - b.at);
    let at = 0;
    for (const f of found) {
      if (f.at < at) continue;
      parts.push(text.slice(at, f.at), f.node);
      at = f.end;
    }
    parts.push(text.slice(at));
    return parts.filter((p) => p !== "");
  }

  function badge(mark) {
    if (mark.startsWith("免提交")) return el("span", { class: "tag exempt", text: `✓ ${mark}` });
    if (mark.startsWith("可容缺")) return el("span", { class: "tag defer", text: `⏳ ${mark}` });
    return el("span", { class: "tag cond", text: mark });
  }

  function material(m) {
    const [, name, forms, copies, marks] = m;
    const exempt = (marks || "").startsWith("免提交");
    return el("li", { class: exempt ? "material exempt" : "material" },
      el("span", { class: "name", text: name }),
      el("span", { class: "forms", text: forms.split("、").join(" / ") }),
      copies ? el("span", { class: "copies", text: `${copies} 份` }) : null,
      (marks || "").split("；").filter(Boolean).map(badge));
  }

  function hall(m) {
    const [, name, address, hours, phone] = m;
    const map = `https://uri.amap.com/search?keyword=${encodeURIComponent(address)}`;
    return el("li", { class: "hall" },
      el("span", { class: "name", text: name }),
      el("span", { class: "address" }, address),
      el("span", { class: "hours", text: hours }),
      el("span", { class: "hall-actions" },
        ...inline(phone, "button tel").map((p) => (typeof p === "string" ? (p.trim() ? el("span", { text: p }) : null) : (p.prepend("☎ 电话 "), p))),
        el("a", { class: "button", href: map, rel: "noopener", target: "_blank", text: "🗺 地图", "aria-label": `在地图上查看：${address}` })));
  }

  function item(line) {
    const body = line.slice(2);
    const h = HALL_RE.exec(body);
    if (h && /\d/.test(h[4])) return hall(h);
    const m = MATERIAL_RE.exec(body);
    if (m) return material(m);
    return el("li", {}, ...inline(body));
  }

  // the reply text as paragraphs and lists
  function render(text) {
    const box = el("div", { class: "answer" });
    let list = null;
    for (const line of String(text).split("\n")) {
      const bullet = line.startsWith("· ");
      const numbered = /^\d+\. /.test(line);
      if (bullet || numbered) {
        const tag = bullet ? "ul" : "ol";
        if (!list || list.tagName.toLowerCase() !== tag) box.append((list = el(tag)));
        list.append(bullet ? item(line) : el("li", {}, ...inline(line.replace(/^\d+\. /, ""))));
        continue;
      }
      list = null;
      if (line.trim()) box.append(el("p", {}, ...inline(line)));
    }
    // what to bring first: the 免提交 materials (nothing to bring) after the others
    for (const ul of box.querySelectorAll("ul")) ul.append(...ul.querySelectorAll(":scope > li.material.exempt"));
    return box;
  }

  // what may be kept in the browser: phone numbers and 身份证号 masked like the server does
  function mask(text) {
    return String(text)
      .replace(/(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)/g, "$1****$2")
      .replace(/(?<![\dA-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![\dA-Za-z])/g, "$1********$2");
  }

  return { render, inline, mask };
})();
