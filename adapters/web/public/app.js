// Steps playground: makes the server-rendered page live. Every form also works
// without this script (it posts and the server redirects back to the page).
"use strict";

document.documentElement.classList.add("js");

const POLL_MS = 2000;
const personId = Number(document.body.dataset.personId);
// The server refuses posts without this page's token (another site's page cannot read it).
const token = document.body.dataset.token;
const announcer = document.getElementById("announcer");
// The conversation: a list inside the live log (a list cannot itself be the log).
const lines = document.querySelector(".transcript > ol");
let version = Number(document.body.dataset.version);
// The page's words for what the script says (data-say-new-dm → say.newDm), in the language of the person shown.
const say = Object.fromEntries(
  Object.entries(document.body.dataset)
    .filter(([key]) => key.startsWith("say"))
    .map(([key, text]) => [key[3].toLowerCase() + key.slice(4), text]),
);

function fromHtml(html) {
  const template = document.createElement("template");
  template.innerHTML = html.trim();
  return template.content.firstElementChild;
}

function announce(text) {
  // Clearing first makes screen readers repeat an identical message.
  announcer.textContent = "";
  setTimeout(() => (announcer.textContent = text), 50);
}

async function post(path, body) {
  const response = await fetch(path, { method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify({ ...body, token }) });
  const answered = () => say.serverAnswered.replace("{status}", String(response.status));
  const data = await response.json().catch(() => ({ ok: false, error: answered() }));
  if (!response.ok || !data.ok) throw new Error(data.error || answered());
  return data;
}

function addLines(html) {
  for (const line of html) lines.append(fromHtml(line));
  lines.lastElementChild?.scrollIntoView({ block: "nearest" });
}

function showProblem(message) {
  const li = document.createElement("li");
  li.className = "line problem";
  // The alert is inside the item: a list item must stay a list item.
  const alert = li.appendChild(document.createElement("p"));
  alert.setAttribute("role", "alert");
  alert.textContent = message;
  lines.append(li);
}

/** Inserts new messages (newest first) and replaces edited ones, leaving the rest (and the focus in them) alone. */
function updateFeed(list, messages, label, quiet) {
  const byId = new Map([...list.querySelectorAll(":scope > li.msg")].map((li) => [li.dataset.id, li]));
  if (messages.length) list.querySelector(":scope > li.empty")?.remove();
  const decided = list.closest(".pane").querySelector("[data-decided]");
  for (const m of messages) {
    const old = byId.get(String(m.id));
    if (!old) {
      list.prepend(fromHtml(m.html));
      // "No more requests" is no longer true.
      decided.textContent = "";
      if (!quiet) announce(`${label}: ${m.text}`);
    } else if (old.dataset.rev !== String(m.rev)) {
      const hadFocus = old.contains(document.activeElement);
      const fresh = fromHtml(m.html);
      old.replaceWith(fresh);
      if (hadFocus) {
        const card = fresh.querySelector(".card");
        card.tabIndex = -1;
        card.focus();
      }
      if (!quiet) announce(`${label} updated: ${m.text}`);
    }
  }
}

async function refresh(quiet = false) {
  const [inbox, channel] = await Promise.all([
    fetch(`/playground/inbox?personId=${personId}`).then((r) => r.json()),
    fetch(`/playground/channel?personId=${personId}`).then((r) => r.json()),
  ]);
  if (!inbox.ok || !channel.ok) return;
  version = Math.max(inbox.version, channel.version);
  updateFeed(document.querySelector('[data-feed="inbox"]'), inbox.messages, say.newDm, quiet);
  updateFeed(document.querySelector('[data-feed="announcements"]'), channel.announcements, say.newAnnouncement, quiet);
  updateFeed(document.querySelector('[data-feed="coordinators"]'), channel.coordinators, say.newCoordinators, quiet);
}

async function poll() {
  try {
    const state = await fetch(`/playground/channel?personId=${personId}`).then((r) => r.json());
    if (state.ok && state.version !== version) await refresh();
  } catch {
    // The server is restarting or gone; the next beat tries again.
  }
  setTimeout(poll, POLL_MS);
}

document.querySelector("form.command").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = event.target.elements.text;
  const text = input.value.trim();
  if (!text) return;
  try {
    const data = await post("/playground/command", { personId, text });
    input.value = "";
    addLines(data.lines);
    await refresh();
  } catch (error) {
    showProblem(error.message);
  }
  input.focus();
});

document.addEventListener("click", (event) => {
  const reveal = event.target.closest("button.reveal");
  const cancel = event.target.closest("button.cancel");
  const form = (reveal || cancel)?.closest("form.needs-reason");
  if (!form) return;
  const open = Boolean(reveal);
  form.classList.toggle("open", open);
  form.querySelector("button.reveal").setAttribute("aria-expanded", String(open));
  (open ? form.querySelector("textarea") : form.querySelector("button.reveal")).focus();
});

document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form.act");
  if (!form) return;
  event.preventDefault();
  const button = event.submitter;
  const reason = form.elements.reason?.value.trim();
  const body = { personId, action: button.value, value: form.elements.namedItem("value").value, ...(reason ? { reason } : {}) };
  // Captured now: the card is replaced when its edit arrives.
  const decided = form.closest("li.msg");
  const feed = decided?.parentElement;
  for (const b of form.querySelectorAll("button")) b.disabled = true;
  try {
    const data = await post("/playground/action", body);
    // The conversation log is live, so the reply is read out from there.
    addLines(data.lines);
    await refresh(true);
    if (feed) focusAfterDecision(feed, decided.dataset.id);
  } catch (error) {
    showProblem(error.message);
  } finally {
    for (const b of form.querySelectorAll("button")) b.disabled = false;
  }
});

/**
 * The clicked button is gone once the card is edited, and focus would fall back to the top of the page:
 * it moves on to the next card that still asks for a decision, or to a message saying none is left.
 */
function focusAfterDecision(list, id) {
  const cards = [...list.querySelectorAll(":scope > li.msg")];
  const at = cards.findIndex((li) => li.dataset.id === id);
  // Older cards (below) first, then newer ones.
  const order = [...cards.slice(at + 1), ...cards.slice(0, Math.max(at, 0)).reverse()];
  const next = order.map((li) => li.querySelector(".m-actions button:not(:disabled)")).find(Boolean);
  if (next) return next.focus();
  const status = list.closest(".pane").querySelector("[data-decided]");
  status.textContent = say.noneLeft;
  status.focus();
}

document.getElementById("clock").addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = event.target.querySelector("[data-clock-status]");
  status.textContent = say.running;
  try {
    const data = await post("/playground/clock", { ...(personId > 0 ? { personId } : {}), at: event.target.elements.at.value });
    status.textContent = data.said;
    await refresh();
  } catch (error) {
    status.textContent = error.message;
  }
});

setTimeout(poll, POLL_MS);
