/**
 * The web page's script, served as `/app.js`. Everything a node or a command chose (names,
 * error lines, output) is put in the page with `textContent` or as an attribute value, never
 * parsed as HTML. Changes are POSTed as JSON with the `x-steward-request` header.
 *
 * @module
 */

/** The script's source. */
export const APP_SCRIPT = String.raw`"use strict";
const $ = (id) => document.getElementById(id);
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
function post(path, body) {
  return fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json", "x-steward-request": "1" },
    body: JSON.stringify(body),
  });
}
async function getJson(path) {
  const res = await fetch(path);
  if (res.status === 401) { location.reload(); throw new Error("logged out"); }
  if (!res.ok) throw new Error(path + ": " + res.status);
  return res.json();
}
async function readLines(res, onLine) {
  if (!res.body) return;
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    let at;
    while ((at = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, at);
      buffered = buffered.slice(at + 1);
      if (line.trim() !== "") onLine(JSON.parse(line));
    }
  }
  if (buffered.trim() !== "") onLine(JSON.parse(buffered));
}
function age(seconds) {
  if (seconds === null) return "never";
  if (seconds < 60) return seconds + " s";
  if (seconds < 3600) return Math.floor(seconds / 60) + " min";
  if (seconds < 86400) return Math.floor(seconds / 3600) + " h";
  return Math.floor(seconds / 86400) + " d";
}
function when(ms) {
  return ms === null ? "never" : new Date(ms).toISOString().replace("T", " ").slice(0, 19);
}

async function approve(node, fingerprint, button) {
  const status = $("approve-status");
  button.disabled = true;
  status.textContent = "approving the key of " + node + "…";
  try {
    const res = await post("/api/approve", { node: node, fingerprint: fingerprint });
    let said = "no answer";
    await readLines(res, (l) => {
      if (l.status === "rejected") said = "refused: " + l.error;
      else if (l.status === "reply") said = l.ok ? l.data.trim() : "failed: " + (l.error || "");
      else if (l.status === "timeout") said = "no reply in time";
    });
    status.textContent = said;
  } catch (err) {
    status.textContent = "cannot approve: " + err.message;
  }
  await loadFleet();
}

function keyCell(n) {
  const td = el("td");
  td.append(el("span", n.key, "key key-" + n.key));
  for (const p of n.pending) {
    const div = el("div", undefined, "pending");
    const since = el("span", " first seen " + when(p.since) + " ", "hint");
    div.append(el("code", p.fingerprint), since);
    const button = el("button", "Approve", "approve");
    button.type = "button";
    button.dataset.node = n.node;
    button.dataset.fingerprint = p.fingerprint;
    button.addEventListener("click", () => approve(n.node, p.fingerprint, button));
    div.append(button);
    td.append(div);
  }
  return td;
}

function showTargets(nodes) {
  const box = $("targets");
  const checked = new Set([...box.querySelectorAll("input:checked")].map((i) => i.value));
  const known = new Set([...box.querySelectorAll("input")].map((i) => i.value));
  for (const n of nodes) {
    if (known.has(n.node)) continue;
    const label = el("label");
    const input = el("input");
    input.type = "checkbox";
    input.value = n.node;
    input.checked = checked.has(n.node);
    label.append(input, " ", n.node);
    box.append(label);
  }
}

function errorCell(line) {
  const td = el("td", undefined, "error");
  if (!line) return td;
  // Clamped to a few lines on a phone; the whole line is its title.
  const div = el("div", line, "clamp");
  div.title = line;
  td.append(div);
  return td;
}

async function loadFleet() {
  try {
    const view = await getJson("/api/fleet");
    $("central").textContent = view.central;
    const body = $("fleet-body");
    body.replaceChildren();
    for (const n of view.nodes) {
      const tr = el("tr");
      tr.dataset.node = n.node;
      tr.append(
        el("td", n.node, "node"),
        keyCell(n),
        el("td", when(n.lastHello), "hello"),
        el("td", age(n.helloAgeSeconds), "age"),
        el("td", n.inflight, "inflight"),
        errorCell(n.lastError),
      );
      body.append(tr);
    }
    showTargets(view.nodes);
    $("fleet-status").textContent = "";
  } catch (err) {
    $("fleet-status").textContent = "cannot load: " + err.message;
  }
}

async function loadMessages() {
  const query = new URLSearchParams();
  if ($("state-filter").value) query.set("state", $("state-filter").value);
  if ($("text-filter").value.trim()) query.set("text", $("text-filter").value.trim());
  try {
    const rows = await getJson("/api/messages?" + query);
    const body = $("messages-body");
    body.replaceChildren();
    for (const m of rows) {
      const tr = el("tr");
      tr.append(
        el("td", m.time.replace("T", " ").slice(0, 19)),
        el("td", m.toNode),
        el("td", m.fromNode),
        el("td", m.method + (m.isReply ? " (reply)" : "")),
        el("td", m.state, "state state-" + m.state),
        el("td", m.detail, "detail"),
        el("td", m.id),
      );
      body.append(tr);
    }
  } catch (_) {
    // Shown again on the next refresh.
  }
}

async function send(event) {
  event.preventDefault();
  const toNodes = [...$("targets").querySelectorAll("input:checked")].map((i) => i.value);
  const methodArgs = $("command").value.trim().split(/\s+/).filter((a) => a !== "");
  const status = $("send-status");
  if (toNodes.length === 0 || methodArgs.length === 0) {
    status.textContent = "choose at least one node and write a command";
    return;
  }
  const output = $("output");
  output.replaceChildren();
  const panes = new Map();
  for (const node of toNodes) {
    const box = el("div", undefined, "out");
    box.dataset.node = node;
    const state = el("span", "waiting", "out-state");
    const title = el("h3", node + ": ");
    title.append(state);
    const pre = el("pre");
    box.append(title, pre);
    output.append(box);
    panes.set(node, { pre: pre, state: state });
  }
  const ids = new Map();
  status.textContent = "sending…";
  try {
    const res = await post("/api/send", {
      toNodes: toNodes,
      method: $("method").value,
      methodArgs: methodArgs,
      methodTimeout: Number($("timeout").value) || 30,
    });
    if (res.status === 401) return location.reload();
    await readLines(res, (l) => {
      if (l.status === "accepted") {
        ids.set(l.id, l.toNode);
        const pane = panes.get(l.toNode);
        if (pane) pane.state.textContent = "accepted";
      } else if (l.status === "rejected") {
        status.textContent = "refused: " + l.error;
      } else if (l.status === "reply") {
        const pane = panes.get(ids.get(l.id) || l.node);
        if (!pane) return;
        pane.pre.textContent += l.data;
        if (!l.ok) pane.pre.textContent += (l.error || "failed") + "\n";
        pane.state.textContent = !l.ok ? "failed" : l.final || l.seq === undefined
          ? "done"
          : "running";
      } else if (l.status === "done") {
        status.textContent = "done";
      } else if (l.status === "timeout") {
        status.textContent = "no reply in time from " + l.pending.length + " of them";
      }
    });
  } catch (err) {
    status.textContent = "cannot send: " + err.message;
  }
  loadMessages();
}

function followErrors() {
  const list = $("errors");
  const status = $("errors-status");
  const source = new EventSource("/api/errors");
  source.onopen = () => { status.textContent = "(live)"; };
  source.onerror = () => { status.textContent = "(reconnecting…)"; };
  source.onmessage = (event) => {
    for (const e of JSON.parse(event.data)) {
      const li = el("li", e.line, "fresh");
      li.dataset.node = e.node;
      list.prepend(li);
      setTimeout(() => li.classList.remove("fresh"), 5000);
    }
    while (list.children.length > 200) list.lastElementChild.remove();
  };
  // A reconnect sends the backlog again: start the list afresh.
  source.addEventListener("backlog", (event) => {
    list.replaceChildren();
    source.onmessage(event);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  $("send-form").addEventListener("submit", send);
  $("filter-form").addEventListener("submit", (e) => { e.preventDefault(); loadMessages(); });
  $("state-filter").addEventListener("change", loadMessages);
  $("text-filter").addEventListener("input", loadMessages);
  $("logout").addEventListener("click", async () => {
    await post("/logout", {});
    location.reload();
  });
  loadFleet();
  loadMessages();
  followErrors();
  setInterval(() => { loadFleet(); loadMessages(); }, 5000);
});
`;
