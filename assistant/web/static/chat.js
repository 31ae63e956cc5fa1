// The citizen chat page: one conversation with /api/chat, replies rendered channel-neutrally.
"use strict";

(() => {
  const { el, api } = yc;
  const log = document.getElementById("log"); // the live region (role=log) around the list of turns
  const turns = document.getElementById("turns");
  const form = document.getElementById("say");
  const input = document.getElementById("say-text");
  const send = form.querySelector("button[type=submit]");
  const handoff = document.getElementById("handoff");
  const REASONS = ["答非所问", "材料不全或有误", "信息过时", "看不懂"];

  const sender = (() => {
    let id = sessionStorage.getItem("yc-sender");
    if (!id) {
      const random = crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2) + Date.now();
      id = `web:${random}`;
      sessionStorage.setItem("yc-sender", id);
    }
    return id;
  })();
  let lastQuestion = "";
  let busy = false;

  function scrollDown(node) {
    node.scrollIntoView({ block: "end", behavior: "smooth" });
  }

  function say(text, shown) {
    if (busy || !text.trim()) return;
    const words = shown || text;
    if (!text.startsWith("/")) lastQuestion = text;
    turns.append(el("li", { class: "msg user" }, el("span", { class: "sr-only", text: "我说：" }), el("div", { class: "bubble", text: words })));
    turn(text);
  }

  async function turn(text) {
    busy = true;
    send.disabled = true;
    log.setAttribute("aria-busy", "true");
    const waiting = el("li", { class: "msg bot" }, el("div", { class: "bubble muted", text: "正在查询…" }));
    turns.append(waiting);
    scrollDown(waiting);
    try {
      const data = await api("POST", "/api/chat", { sender, text });
      waiting.remove();
      for (const message of data.messages) turns.append(reply(message));
      if (!data.messages.length) turns.append(failure("抱歉，我没有听明白，您可以换个说法，或拨打 12345。"));
    } catch (err) {
      waiting.remove();
      turns.append(failure(err.message || "抱歉，服务暂时不可用，请稍后再试，或拨打 12345。"));
    } finally {
      busy = false;
      send.disabled = false;
      log.removeAttribute("aria-busy");
      scrollDown(turns.lastElementChild);
    }
  }

  function failure(text) {
    return el("li", { class: "msg bot failed", role: "alert" }, el("div", { class: "bubble", text }));
  }

  function buttons(message, item) {
    if (!message.buttons || !message.buttons.length) return null;
    const group = el("div", { class: "choices", role: "group", "aria-label": "可选回复" });
    for (const b of message.buttons) {
      if (b.payload.startsWith("tel:")) {
        group.append(el("a", { class: "button", href: b.payload, text: b.title }));
        continue;
      }
      group.append(el("button", {
        type: "button", text: b.title,
        onclick: () => {
          if (busy) return;
          for (const other of group.querySelectorAll("button")) other.disabled = true;
          item.dataset.answered = "true";
          say(b.payload, b.title);
        },
      }));
    }
    return group;
  }

  function receipt(r) {
    const label = r.kind === "booking" ? "预约号" : "工单号";
    return el("div", { class: "receipt", role: "status" },
      el("div", {}, `${label}（${r.status}）`),
      el("div", { class: "number", text: r.number }),
      el("button", { type: "button", text: `复制${label}`, onclick: () => yc.copy(r.number) }));
  }

  // ``question``: what the citizen last typed before this reply appeared
  function rating(message, question) {
    const box = el("div", { class: "rate", role: "group", "aria-label": "评价这条回答" }, el("span", { text: "这条回答有帮助吗？" }));
    const up = el("button", { type: "button", "aria-pressed": "false", text: "👍 有帮助" });
    const down = el("button", { type: "button", "aria-pressed": "false", text: "👎 没帮助" });
    const thanks = el("span", { role: "status" });
    const submit = async (helpful, reason = "") => {
      up.disabled = down.disabled = true;
      try {
        const body = { helpful, answer: message.text, question, reason, source: "web" };
        if (message.about) body.about = { kind: message.about.kind, code: message.about.code };
        const done = await api("POST", "/api/ratings", body);
        thanks.textContent = done.message;
      } catch (err) {
        thanks.textContent = err.message;
        up.disabled = down.disabled = false;
      }
    };
    up.addEventListener("click", () => { up.setAttribute("aria-pressed", "true"); submit(true); });
    down.addEventListener("click", () => {
      down.setAttribute("aria-pressed", "true");
      up.disabled = down.disabled = true;
      const id = `why-${Math.random().toString(36).slice(2)}`;
      const why = el("textarea", { id, rows: 1, maxlength: 500, placeholder: "选填" });
      const chips = REASONS.map((r) => el("button", { type: "button", text: r, onclick: () => { why.value = why.value ? `${why.value}；${r}` : r; why.focus(); } }));
      const reasonForm = el("form", { "aria-label": "差评原因" },
        el("label", { for: id, text: "哪里不满意？" }), ...chips, why,
        el("button", { type: "submit", class: "primary", text: "提交评价" }));
      reasonForm.addEventListener("submit", (e) => { e.preventDefault(); reasonForm.remove(); submit(false, why.value.trim()); });
      box.append(reasonForm);
      why.focus();
    });
    box.append(up, down, thanks);
    return box;
  }

  function reply(message) {
    const item = el("li", { class: "msg bot" });
    item.append(el("span", { class: "sr-only", text: "导办助手：" }), el("div", { class: "bubble", text: message.text }));
    if (message.receipt) item.append(receipt(message.receipt));
    if (message.checklist) item.append(yc.checklist(message.checklist));
    const group = buttons(message, item);
    if (group) item.append(group);
    if (message.handoff) {
      handoff.hidden = false;
      handoff.textContent = "已为您转人工：人工客服接入前，您也可以直接拨打 12345 政务服务便民热线（24 小时）。";
    }
    item.append(rating(message, lastQuestion));
    return item;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    say(text);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  for (const starter of document.querySelectorAll("#starters button")) {
    starter.addEventListener("click", () => say(starter.dataset.say));
  }
  turns.append(el("li", { class: "msg bot" }, el("div", { class: "bubble", text: "您好，我是一窗导办助手。请说说您想办什么事，比如“驾照丢了怎么补办”“开餐馆要带什么材料”。也可以预约办理，或向 12345 反映问题。" })));
})();
