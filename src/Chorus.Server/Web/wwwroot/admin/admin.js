// The Chorus admin page. Holds no data of its own: it asks /admin/api/* with the key the operator typed (kept in
// sessionStorage, sent as an Authorization header, never a cookie). Everything from the server is shown with
// textContent, never parsed as HTML.
const $ = (id) => document.getElementById(id);
const KEY = "chorus-admin-key";
const REFRESH_MS = 2000;
let timer = null;
let generation = 0; // bumped by start/stop: a refresh loop of an older generation ends
let hovering = false; // the pointer is on the rooms table: automatic refreshes do not rebuild it under the pointer
let skipped = 0;

function element(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = String(text);
  if (className) e.className = className;
  return e;
}

function status(text, isError) {
  $("status").textContent = text;
  $("status").className = isError ? "status error" : "status";
}

function log(text, isError) {
  const li = element("li", `${new Date().toLocaleTimeString()} ${text}`, isError ? "error" : "");
  $("log").prepend(li);
}

async function api(path, body) {
  const key = sessionStorage.getItem(KEY);
  if (!key) throw new Error("no admin key");
  const init = { headers: { Authorization: `Bearer ${key}` }, cache: "no-store" };
  if (body !== undefined) {
    init.method = "POST";
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`/admin/api/${path}`, init);
  let answer = {};
  try { answer = await response.json(); } catch { /* no body */ }
  if (response.status === 401) {
    stop();
    throw new Error("the admin key was refused");
  }
  if (!response.ok) throw new Error(answer.error ?? `HTTP ${response.status}`);
  return answer;
}

function cell(row, text) {
  const td = element("td", text);
  row.append(td);
  return td;
}

function render(o) {
  $("connections").textContent = String(o.connections);
  $("room-connections").textContent = String(o.roomConnections);
  $("in-rate").textContent = String(o.frames.receivedPerSecond);
  $("out-rate").textContent = String(o.frames.sentPerSecond);
  $("totals").textContent = `${o.frames.received} / ${o.frames.sent}`;
  $("uptime").textContent = `${o.uptimeSeconds} s`;
  $("node").textContent = `node ${o.nodeId}`;

  const apps = $("apps");
  apps.replaceChildren();
  for (const a of o.apps) {
    const tr = element("tr");
    cell(tr, a.development ? `${a.appId} (development app)` : a.appId);
    cell(tr, a.rooms);
    cell(tr, a.roomUsers);
    cell(tr, a.connections);
    apps.append(tr);
  }

  $("room-total").textContent = o.rooms.length < o.roomCount ? `(${o.rooms.length} of ${o.roomCount} shown)` : `(${o.roomCount})`;
  const rooms = $("rooms");
  rooms.replaceChildren();
  for (const r of o.rooms) {
    const tr = element("tr");
    tr.dataset.roomId = r.roomId;
    cell(tr, r.appId);
    cell(tr, r.roomId).className = "room-id";
    cell(tr, r.userCount);
    const members = element("ul", undefined, "members");
    for (const u of r.users) {
      const li = element("li");
      li.dataset.userId = u.userId;
      li.append(element("span", u.userName && u.userName !== u.userId ? `${u.userId} (${u.userName})` : u.userId, "user-id"));
      const kick = element("button", "Kick", "kick");
      kick.type = "button";
      kick.addEventListener("click", () => {
        if (!confirm(`Kick user "${u.userId}" out of room "${r.roomId}" (app ${r.appId})?`)) return;
        act("kick", { appId: r.appId, roomId: r.roomId, userIds: [u.userId], reason: "kicked by the admin" }, `kicked ${u.userId} from ${r.roomId}`);
      });
      li.append(kick);
      members.append(li);
    }
    cell(tr, "").append(members);
    const actions = cell(tr, "");
    const close = element("button", "Close room", "close-room");
    close.type = "button";
    close.addEventListener("click", () => {
      if (!confirm(`Close room "${r.roomId}" (app ${r.appId}) and kick its ${r.userCount} user(s)?`)) return;
      act("close-room", { appId: r.appId, roomId: r.roomId, reason: "closed by the admin" }, `closed ${r.roomId}`);
    });
    const command = element("button", "Command…", "command");
    command.type = "button";
    command.addEventListener("click", () => {
      $("command-app").value = String(r.appId);
      $("command-room").value = r.roomId;
      $("command-text").focus();
    });
    actions.append(close, command);
    rooms.append(tr);
  }
}

async function act(path, body, done) {
  try {
    const answer = await api(path, body);
    log(path === "custom-command" && answer.failedUsers?.length ? `${done} (not online: ${answer.failedUsers.map((f) => f.userId).join(", ")})` : done);
    await refresh();
  } catch (e) {
    log(`${path} failed: ${e.message}`, true);
  }
}

async function refresh() {
  try {
    render(await api("overview"));
    $("main").hidden = false;
    status(`Updated ${new Date().toLocaleTimeString()}.`);
  } catch (e) {
    status(e.message, true);
    if (!sessionStorage.getItem(KEY) || e.message === "the admin key was refused") $("main").hidden = true;
  }
}

// The next refresh is scheduled only when the previous one has finished (a slow server is never asked twice at once).
async function tick(mine) {
  if (hovering) {
    skipped++;
    document.body.dataset.skipped = String(skipped);
    status("Paused while the pointer is on the rooms table.");
  } else {
    await refresh();
  }
  if (mine === generation) timer = setTimeout(() => tick(mine), REFRESH_MS);
}

function start() {
  stop();
  tick(generation);
}

function stop() {
  generation++;
  if (timer) clearTimeout(timer);
  timer = null;
}

$("rooms-table").addEventListener("pointerenter", () => { hovering = true; });
$("rooms-table").addEventListener("pointerleave", () => {
  hovering = false;
  if (timer !== null) { // resume at once rather than at the next tick
    clearTimeout(timer);
    start();
  }
});

$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY, $("key").value);
  $("key").value = "";
  start();
});

$("key-forget").addEventListener("click", () => {
  sessionStorage.removeItem(KEY);
  stop();
  $("main").hidden = true;
  status("Key forgotten.");
});

$("command-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const to = $("command-to").value.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  act("custom-command", {
    appId: Number($("command-app").value),
    roomId: $("command-room").value,
    fromUserId: $("command-from").value,
    toUserIds: to,
    content: $("command-text").value,
  }, `command sent to ${$("command-room").value}`);
});

if (sessionStorage.getItem(KEY)) start();
document.body.dataset.ready = "true";
