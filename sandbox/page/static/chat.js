// The sandbox page: sends what the person types as a customer, and polls the conversation.
"use strict";

const POLL_MS = 700;
const BOT = "Shop Support";
const HINTS = {
  messenger: "On Messenger the bot's options appear as buttons under its message.",
  x: "On X the bot's options are a numbered list: reply with the number, e.g. 1.",
};

const el = (id) => document.getElementById(id);
let customer = null; // {platform, userId, name}
let shown = 0; // messages already in the list
let shownReplies = ""; // the quick replies on screen, to redraw them only when they change
let sending = false;

// A customer's id from their name, the same on every visit: numbers, as both platforms use.
function userIdFor(name) {
  const hash = (seed) => {
    let h = seed >>> 0;
    for (const ch of name) {
      h ^= ch.codePointAt(0);
      h = Math.imul(h, 16777619) >>> 0;
    }
    return String(h).padStart(10, "0");
  };
  return "1" + (hash(2166136261) + hash(84696351)).slice(0, 15);
}

function chosenCustomer() {
  const platform = document.querySelector("input[name=platform]:checked").value;
  const name = el("name").value.trim() || "Customer";
  return { platform, name, userId: userIdFor(name) };
}

function switchCustomer() {
  customer = chosenCustomer();
  localStorage.setItem("sandbox-customer", JSON.stringify(customer));
  shown = 0;
  shownReplies = "";
  el("messages").replaceChildren();
  el("typing").textContent = "";
  el("quick-replies").replaceChildren();
  el("quick-replies").hidden = true;
  el("status").textContent = "";
  const platformName = customer.platform === "x" ? "X" : "Messenger";
  el("conversation-title").textContent =
    `${customer.name} and ${BOT} on ${platformName}`;
  el("platform-hint").textContent = HINTS[customer.platform];
  refresh();
}

function restoreCustomer() {
  try {
    const saved = JSON.parse(localStorage.getItem("sandbox-customer") || "null");
    if (saved && saved.name) {
      el("name").value = saved.name;
      const radio = document.querySelector(`input[name=platform][value="${saved.platform}"]`);
      if (radio) radio.checked = true;
    }
  } catch (_) {
    // A broken saved value: start from the defaults.
  }
}

function addMessage(message) {
  const item = document.createElement("li");
  item.className = message.from === "bot" ? "bot" : "customer";
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = message.from === "bot" ? `${BOT}: ` : "You: ";
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = message.text;
  item.append(who, text);
  if (!message.delivered) {
    const note = document.createElement("span");
    note.className = "note";
    note.textContent = " (not delivered)";
    item.append(note);
  }
  el("messages").append(item);
  item.scrollIntoView({ block: "nearest" });
}

function showQuickReplies(messages) {
  const last = messages[messages.length - 1];
  const replies = last && last.from === "bot" ? last.quick_replies : [];
  const key = JSON.stringify(replies) + messages.length;
  if (key === shownReplies) return;
  shownReplies = key;
  const group = el("quick-replies");
  group.replaceChildren(
    ...replies.map((reply) => {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = reply.title;
      button.addEventListener("click", () => {
        group.hidden = true;
        el("text").focus();
        send({ text: reply.title, payload: reply.payload });
      });
      return button;
    })
  );
  group.hidden = replies.length === 0;
}

function render(conversation) {
  if (conversation.messages.length < shown) return; // an answer overtaken by a newer one
  conversation.messages.slice(shown).forEach(addMessage);
  shown = conversation.messages.length;
  el("typing").textContent = conversation.typing ? `${BOT} is typing…` : "";
  showQuickReplies(conversation.messages);
}

async function refresh() {
  if (sending || !customer) return;
  const asked = customer;
  const query = new URLSearchParams({ platform: asked.platform, user_id: asked.userId });
  try {
    const response = await fetch(`/api/conversation?${query}`);
    if (!response.ok) throw new Error(`the sandbox answered ${response.status}`);
    const conversation = await response.json();
    if (asked === customer && !sending) render(conversation);
  } catch (error) {
    el("status").textContent = `Cannot reach the sandbox: ${error.message}`;
  }
}

async function send(message) {
  sending = true;
  el("status").textContent = "";
  try {
    const response = await fetch("/api/send", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        platform: customer.platform,
        user_id: customer.userId,
        name: customer.name,
        ...message,
      }),
    });
    if (!response.ok) {
      const answer = await response.json().catch(() => ({}));
      el("status").textContent = answer.error || `The sandbox answered ${response.status}`;
    }
  } catch (error) {
    el("status").textContent = `Cannot reach the sandbox: ${error.message}`;
  } finally {
    sending = false;
  }
  await refresh();
}

document.addEventListener("DOMContentLoaded", () => {
  restoreCustomer();
  el("customer").addEventListener("change", switchCustomer);
  el("customer").addEventListener("submit", (event) => {
    event.preventDefault();
    switchCustomer();
    el("text").focus();
  });
  el("compose").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = el("text");
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    input.focus();
    send({ text });
  });
  switchCustomer();
  setInterval(refresh, POLL_MS);
});
