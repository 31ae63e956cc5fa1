// The staff page's 转人工 inbox: conversations waiting for a person, with the masked transcript and
// what the bot already said; take one, reply, hand it back to the bot. Refreshed every 3 seconds.
"use strict";

(() => {
  const { el, api, fill } = yc;
  const box = document.getElementById("inbox");
  const list = el("div", { class: "inbox-list" });
  const summary = el("p", { class: "muted", role: "status" });
  const figures = el("p", { class: "muted" });
  const cards = new Map(); // chat id -> {root, head, transcript, actions, problem, reply}
  const WHO = { citizen: "市民", bot: "助手", staff: "客服", notice: "通知" };
  const CHANNEL = { web: "网页", wechat: "微信" };
  let shown = "";

  function minutes(seconds) {
    return seconds < 60 ? `${seconds} 秒` : `${Math.floor(seconds / 60)} 分 ${seconds % 60} 秒`;
  }

  async function act(chat, card, path, body) {
    card.problem.textContent = "";
    try {
      await api("POST", `/api/staff/inbox/${chat.id}/${path}`, body);
      await refresh();
      return true;
    } catch (err) {
      card.problem.textContent = err.message;
      return false;
    }
  }

  function create(chat) {
    const id = `reply-${chat.id}`;
    const text = el("textarea", { id, rows: 2, maxlength: 2000 });
    const reply = el("form", { class: "reply", "aria-label": `回复 ${chat.id} 号会话` },
      el("label", { for: id, text: "回复市民" }), text,
      el("button", { class: "primary", type: "submit", text: "发送回复" }));
    const card = {
      root: el("article", { class: "card inbox-chat", "aria-labelledby": `chat-${chat.id}` }),
      head: el("h3", { id: `chat-${chat.id}` }),
      transcript: el("ol", { class: "transcript", "aria-label": "对话记录（已遮盖个人信息）" }),
      actions: el("div", { class: "actions" }),
      problem: el("p", { class: "error", role: "alert" }),
      reply, text,
    };
    reply.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!text.value.trim()) return;
      if (await act(card.chat, card, "reply", { text: text.value.trim() })) { text.value = ""; text.focus(); }
    });
    card.root.append(card.head, card.transcript, card.actions, card.problem);
    return card;
  }

  function update(card, chat) {
    card.chat = chat;
    const state = chat.status === "waiting" ? `等候 ${minutes(chat.waited_seconds)}，待接手` : `${chat.mine ? "由我" : "由 " + chat.taken_by} 接手`;
    card.head.textContent = `${chat.id} 号 · ${CHANNEL[chat.channel] || chat.channel} · ${chat.reason === "misses" ? "助手两次没答上" : "市民要求转人工"} · ${state}`;
    fill(card.transcript, chat.transcript.map((line) => el("li", { class: `line ${line.who}` },
      el("span", { class: "who", text: `${WHO[line.who] || line.who}：` }), el("span", { class: "pre", text: line.text }))));
    const buttons = [];
    if (chat.status === "waiting") buttons.push(el("button", { class: "primary", type: "button", text: "接手", onclick: () => act(chat, card, "take").then(() => card.text.focus()) }));
    if (chat.mine) buttons.push(el("button", { type: "button", text: "交回助手", onclick: () => act(chat, card, "hand-back") }));
    fill(card.actions, buttons);
    if (chat.mine && !card.reply.isConnected) card.root.insertBefore(card.reply, card.problem);
    if (!chat.mine && card.reply.isConnected) card.reply.remove();
  }

  async function refresh() {
    let data;
    try {
      data = await api("GET", "/api/staff/inbox");
    } catch (err) {
      summary.textContent = err.message;
      return;
    }
    const waiting = data.chats.filter((c) => c.status === "waiting").length;
    summary.textContent = `人工服务时间：${data.hours}（现在${data.open_now ? "在服务时间内" : "不在服务时间"}）。等候 ${waiting} 个，处理中 ${data.chats.length - waiting} 个。`;
    const changed = data.chats.map((c) => `${c.id}:${c.status}`).join() !== shown;
    shown = data.chats.map((c) => `${c.id}:${c.status}`).join();
    if (changed) counts(); // the day's figures follow the queue, not only every 30 s
    const seen = new Set();
    for (const chat of data.chats) {
      seen.add(chat.id);
      let card = cards.get(chat.id);
      if (!card) {
        card = create(chat);
        cards.set(chat.id, card);
        list.append(card.root);
      }
      update(card, chat);
    }
    for (const [id, card] of cards) {
      if (!seen.has(id)) { card.root.remove(); cards.delete(id); }
    }
    if (!data.chats.length) fill(list, el("p", { class: "muted", text: "现在没有等候人工的会话。" }));
    else for (const p of list.querySelectorAll(":scope > p")) p.remove();
  }

  async function counts() {
    try {
      const f = await api("GET", "/api/staff/inbox/figures?days=1");
      figures.textContent = `近 24 小时：转人工 ${f.requests} 次，人工接入 ${f.answered_by_staff} 次（等候中位 ${f.median_wait_seconds ?? "—"} 秒），超时 ${f.timed_out} 次，非服务时间 ${f.after_hours} 次，交回助手 ${f.handed_back} 次。`;
    } catch { /* figures are a nicety */ }
  }

  yc.onSession(() => {
    fill(box, el("h2", { id: "inbox-title", text: "转人工会话" }), summary, list, figures);
    box.hidden = false;
    refresh();
    counts();
    setInterval(refresh, 3000);
    setInterval(counts, 30000);
  });
})();
