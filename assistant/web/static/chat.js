// The citizen chat page: one conversation with /api/chat, kept on this device for a while, with a
// real 转人工 (staff replies arrive by server-sent events, or by polling where those fail).
"use strict";

(() => {
  const { el, api } = yc;
  const KEY = "yc-chat";
  const log = document.getElementById("log"); // the live region (role=log) around the list of turns
  const turns = document.getElementById("turns");
  const form = document.getElementById("say");
  const input = document.getElementById("say-text");
  const send = form.querySelector("button[type=submit]");
  const banner = document.getElementById("handoff");
  const starters = document.getElementById("starters");
  const elder = document.getElementById("elder");
  const REASONS = ["答非所问", "材料不全或有误", "信息过时", "看不懂"];
  const site = Object.assign(yc.site, { operator: "", contact: "12345 政务服务便民热线", history_hours: 2 });

  // -- the conversation kept on this device (masked, for site.history_hours) ------------------
  function fresh() {
    const random = crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2) + Date.now();
    return { sender: `web:${random}`, savedAt: Date.now(), cursor: 0, items: [] };
  }
  function load() {
    try {
      const kept = JSON.parse(localStorage.getItem(KEY) || "null");
      if (kept && kept.sender && Date.now() - kept.savedAt < site.history_hours * 3600_000) return kept;
    } catch { /* unreadable: start again */ }
    localStorage.removeItem(KEY);
    return null;
  }
  function save() {
    state.savedAt = Date.now();
    try { localStorage.setItem(KEY, JSON.stringify(state)); } catch { /* storage full or off: the page still works */ }
  }
  function remember(item) {
    if (item.text) item.text = ycAnswer.mask(item.text);
    if (item.message) item.message = { ...item.message, text: ycAnswer.mask(item.message.text) };
    state.items.push(item);
    if (state.items.length > 200) state.items.splice(0, state.items.length - 200);
    save();
    return item;
  }
  let state = load() || fresh();
  let lastQuestion = "";
  let busy = false;

  // -- rendering ------------------------------------------------------------------------------
  // who said it (for screen readers) and what: the bubble takes focus when a reply arrives by a button
  function bubble(who, content) {
    return [el("span", { class: "sr-only", text: who }), el("div", { class: "bubble", tabindex: "-1" }, content)];
  }
  function userItem(text) {
    return el("li", { class: "msg user" }, bubble("我说：", el("div", { text })));
  }
  function failure(text) {
    return el("li", { class: "msg bot failed", role: "alert" }, bubble("导办助手：", el("p", { text })));
  }
  function answerable(m) { // one 👍/👎 per answer: not on questions, confirmations or misses
    return Boolean(m.about) && !m.receipt && !m.miss && !(m.buttons || []).some((b) => b.payload.startsWith("/bundle_answer"));
  }

  // a reply's choices; once one is pressed the others are spent (kept so across a reload: the
  // stored item is marked), and 长辈版 hides them, the citizen's answer below says what was chosen
  const storedOf = new WeakMap(); // a message's <li> -> its stored item
  function spend(item) {
    item.dataset.answered = "true";
    for (const b of item.querySelectorAll(".choices button")) b.disabled = true;
    const stored = storedOf.get(item);
    if (stored && !stored.answered) { stored.answered = true; save(); }
  }
  function buttons(list, item, stored) {
    if (!list || !list.length) return null;
    const group = el("div", { class: "choices", role: "group", "aria-label": "可选回复" });
    if (stored) storedOf.set(item, stored);
    if (stored && stored.answered) item.dataset.answered = "true";
    for (const b of list) {
      if (b.payload.startsWith("tel:")) {
        group.append(el("a", { class: "button", href: b.payload, text: `☎ ${b.title}` }));
        continue;
      }
      group.append(el("button", {
        type: "button", text: b.title, disabled: Boolean(stored && stored.answered), "data-payload": b.payload,
        onclick: () => {
          if (busy) return;
          spend(item);
          say(b.payload, b.title, true);
        },
      }));
    }
    return group;
  }

  function receipt(r) {
    const label = r.kind === "booking" ? "预约号" : "工单号";
    return el("div", { class: "receipt", role: "group", "aria-label": label },
      el("div", {}, `${label}（${r.status}）`),
      el("div", { class: "number", text: r.number }),
      el("button", { type: "button", text: `复制${label}`, onclick: () => yc.copy(r.number) }));
  }

  // a separate, labelled group that the live region does not read out with the answer
  function rating(message, question) {
    const box = el("div", { class: "rate", role: "group", "aria-label": "评价这条回答", "aria-live": "off" },
      el("span", { text: "这条回答有帮助吗？" }));
    const up = el("button", { type: "button", "aria-pressed": "false", text: "👍 有帮助" });
    const down = el("button", { type: "button", "aria-pressed": "false", text: "👎 没帮助" });
    const thanks = el("span", { role: "status" });
    const submit = async (helpful, reason = "") => {
      up.disabled = down.disabled = true;
      try {
        const body = { helpful, answer: message.text, question, reason, source: "web", sender: state.sender };
        if (message.about) body.about = { kind: message.about.kind, code: message.about.code };
        thanks.textContent = (await api("POST", "/api/ratings", body)).message;
        thanks.tabIndex = -1;
        thanks.focus();
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

  // an emergency: its call buttons first (the first thing seen, tapped and reached by keyboard)
  function urgentItem(message, stored) {
    const item = el("li", { class: "msg bot urgent" });
    const calls = message.buttons.filter((b) => b.payload.startsWith("tel:"));
    const others = message.buttons.filter((b) => !b.payload.startsWith("tel:"));
    item.append(el("div", { class: "calls", role: "group", "aria-label": "紧急电话" },
      calls.map((b) => el("a", { class: "button call", href: b.payload, text: `☎ ${b.title}` }))));
    item.append(...bubble("紧急情况：", ycAnswer.render(message.text)));
    const group = buttons(others, item, stored);
    if (group) item.append(group);
    return item;
  }

  function botItem(message, { rate = false, question = "", stored = null } = {}) {
    if (message.urgent) return urgentItem(message, stored);
    const item = el("li", { class: "msg bot" });
    item.append(...bubble("导办助手：", ycAnswer.render(message.text)));
    if (message.receipt) item.append(receipt(message.receipt));
    if (message.checklist) item.append(yc.checklist(message.checklist));
    const group = buttons(message.buttons, item, stored);
    if (group) item.append(group);
    if (rate) item.append(rating(message, question));
    return item;
  }

  function lineItem(line, stored = null) { // a staff member's reply or a hand-off notice
    const staff = line.who === "staff";
    const item = el("li", { class: `msg ${staff ? "staff" : "note"}` });
    item.append(...bubble(staff ? "人工客服：" : "通知：", ycAnswer.render(line.text)));
    const group = buttons(line.buttons, item, stored);
    if (group) item.append(group);
    return item;
  }

  function restore(item) {
    if (item.kind === "user") return userItem(item.text);
    if (item.kind === "bot") return botItem(item.message, { rate: item.rate, question: item.question, stored: item });
    if (item.kind === "line") return lineItem(item.line, item);
    return el("li", { class: "msg info" }, el("p", { class: "muted", text: item.text }));
  }

  // keep the newest reply clear of the input bar: the whole of it when it fits (its end just above
  // the bar, not the page's end: the footer would push its start off the screen), else its start
  function reveal(node) {
    if (!node) return;
    const room = window.innerHeight - form.offsetHeight;
    const box = node.getBoundingClientRect();
    if (box.top >= 0 && box.bottom <= room) return; // already in full view
    if (box.height <= room - 16) window.scrollBy({ top: box.bottom - (room - 8), behavior: "instant" });
    else node.scrollIntoView({ block: "start", behavior: "instant" });
  }

  // -- a turn -----------------------------------------------------------------------------------
  function say(text, shown, fromButton = false) {
    if (busy || !text.trim()) return;
    const words = shown || text;
    if (!text.startsWith("/")) lastQuestion = text;
    starters.hidden = true; // the conversation has begun: straight from the input to the reply
    turns.append(userItem(words));
    remember({ kind: "user", text: words });
    turn(text, shown, fromButton);
  }

  async function turn(text, shown, fromButton) {
    busy = true;
    send.disabled = true;
    log.setAttribute("aria-busy", "true");
    const waiting = el("li", { class: "msg bot pending" }, bubble("导办助手：", el("p", { class: "muted", text: "正在查询…" })));
    turns.append(waiting);
    if (fromButton) waiting.querySelector(".bubble").focus(); // never let focus fall to <body>
    reveal(waiting);
    let first = null;
    try {
      const data = await api("POST", "/api/chat", { sender: state.sender, text, shown: shown || null });
      waiting.remove();
      const rated = data.messages.map(answerable).lastIndexOf(true);
      data.messages.forEach((message, i) => {
        const stored = remember({ kind: "bot", message, rate: i === rated, question: ycAnswer.mask(lastQuestion) });
        const item = botItem(message, { rate: i === rated, question: lastQuestion, stored });
        turns.append(item);
        first = first || item;
        if (message.handoff) listen();
      });
      if (data.mode === "human") {
        if (!data.messages.length) {
          first = el("li", { class: "msg info" }, el("p", { class: "muted", text: "已发给人工客服" }));
          turns.append(first);
          remember({ kind: "info", text: "已发给人工客服" });
        }
        listen();
      } else if (!data.messages.length) {
        turns.append((first = failure("抱歉，我没有听明白，您可以换个说法，或拨打 12345。")));
      }
    } catch (err) {
      waiting.remove();
      turns.append((first = failure(err.message || "抱歉，服务暂时不可用，请稍后再试，或拨打 12345。")));
    } finally {
      busy = false;
      send.disabled = false;
      log.removeAttribute("aria-busy");
      reveal(first);
      if (fromButton && first) (first.querySelector(".bubble") || first).focus({ preventScroll: true });
    }
  }

  // -- 转人工: staff replies pushed by SSE, polling as the fallback ----------------------------------
  let source = null;
  let poller = null;
  let stopping = null;
  const LINGER_MS = 8000; // more than one poll (3 s) and one stream check (1 s) after the close
  const forcePoll = new URLSearchParams(location.search).has("poll") || !window.EventSource;

  function onLine(line) {
    if (line.id <= state.cursor) return;
    state.cursor = line.id;
    const item = lineItem(line, remember({ kind: "line", line }));
    turns.append(item);
    reveal(item);
  }

  function onChat(chat) {
    if (!chat || chat.status !== "waiting") { // taken or over: an earlier "取消转人工" would now end a person's help
      for (const b of turns.querySelectorAll('button[data-payload="/cancel_handoff"]:enabled')) spend(b.closest("li"));
    }
    const open = chat && (chat.status === "waiting" || chat.status === "taken");
    banner.hidden = !open;
    clearTimeout(stopping);
    // the closing notice ("人工客服已结束本次服务…") is written just after the chat closes: listen a
    // little longer so it is not lost
    if (!open) return void (stopping = setTimeout(stop, LINGER_MS));
    const end = el("button", { type: "button", text: chat.status === "waiting" ? "取消转人工" : "结束人工服务", onclick: () => say("/cancel_handoff", end.textContent) });
    const text = chat.status === "waiting"
      ? `正在为您转接人工客服（${chat.position > 1 ? `前面还有 ${chat.position - 1} 位` : "您是下一位"}）。着急的话可以拨打 12345（24 小时）。`
      : `人工客服（工号 ${chat.taken_by}）正在为您服务，您直接输入就行。`;
    yc.fill(banner, el("span", { text }), " ", el("a", { class: "button", href: "tel:12345", text: "☎ 拨打 12345" }), " ", end);
  }

  async function pollOnce() {
    try {
      const data = await api("GET", `/api/chat/updates?${new URLSearchParams({ sender: state.sender, after: state.cursor })}`);
      data.lines.forEach(onLine);
      onChat(data.chat);
    } catch { /* try again at the next tick */ }
  }

  function listen() {
    clearTimeout(stopping);
    if (source || poller) return;
    if (forcePoll) {
      poller = setInterval(pollOnce, 3000);
      pollOnce();
      return;
    }
    source = new EventSource(`/api/chat/stream?${new URLSearchParams({ sender: state.sender, after: state.cursor })}`);
    source.addEventListener("line", (e) => onLine(JSON.parse(e.data)));
    source.addEventListener("chat", (e) => onChat(JSON.parse(e.data)));
    source.addEventListener("error", () => {
      if (source && source.readyState === EventSource.CLOSED) { // refused, not just reconnecting
        source = null;
        poller = setInterval(pollOnce, 3000);
      }
    });
  }

  function stop() {
    clearTimeout(stopping);
    if (source) source.close();
    if (poller) clearInterval(poller);
    source = poller = null;
  }

  // -- the page -----------------------------------------------------------------------------
  function welcome() {
    const who = site.operator ? `${site.operator}主办的` : "";
    const message = { text: `您好，我是${who}一窗导办助手。请说说您想办什么事，比如“驾照丢了怎么补办”“开餐馆要带什么材料”。也可以预约办理，或向 12345 反映问题。\n需要人工时说“转人工”（${site.staff_hours || "工作时间"}）。对话怎么保存，见页面底部的“隐私说明”。`, buttons: [] };
    turns.append(botItem(message));
    remember({ kind: "bot", message });
  }

  function restart() {
    if (source || poller || !banner.hidden) api("POST", "/api/chat", { sender: state.sender, text: "/cancel_handoff" }).catch(() => {});
    stop();
    banner.hidden = true;
    localStorage.removeItem(KEY);
    state = fresh();
    turns.replaceChildren();
    starters.hidden = false;
    welcome();
    input.focus();
  }

  function setElder(on) {
    document.documentElement.classList.toggle("elder", on);
    elder.setAttribute("aria-pressed", String(on));
    localStorage.setItem("yc-elder", on ? "1" : "0");
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
  for (const starter of starters.querySelectorAll("button")) starter.addEventListener("click", () => say(starter.dataset.say, null, true));
  document.getElementById("restart").addEventListener("click", restart);
  elder.setAttribute("aria-pressed", String(document.documentElement.classList.contains("elder")));
  elder.addEventListener("click", () => setElder(elder.getAttribute("aria-pressed") !== "true"));

  (async () => {
    try { Object.assign(site, await api("GET", "/api/site")); } catch { /* the defaults stand */ }
    document.getElementById("operator").textContent = `主办单位：${site.operator || "—"}　联系方式：${site.contact}`;
    document.getElementById("privacy-text").textContent = site.privacy || "";
    if (state.items.length) {
      for (const item of state.items) turns.append(restore(item));
      starters.hidden = state.items.some((i) => i.kind === "user");
      reveal(turns.lastElementChild);
      if (state.items.some((i) => i.kind === "line" || (i.message && i.message.handoff))) listen();
    } else {
      welcome();
    }
  })();
})();
