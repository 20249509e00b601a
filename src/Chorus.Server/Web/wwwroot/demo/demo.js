// The Chorus demo: a room panel (ZegoExpressEngine) and a chat panel (ZIM) on the TypeScript client (clients/js),
// served from this server. Everything from the network is shown with textContent, never parsed as HTML.
import { ZegoExpressEngine, ZIM } from "/demo/lib/index.js";

const $ = (id) => document.getElementById(id);
const server = location.origin;
const MAX_LIST_ITEMS = 500; // the event log and the message list keep the newest this many (the page may stay open for days)

function element(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = String(text);
  if (className) e.className = className;
  return e;
}

function time(ms) {
  return new Date(Number(ms) || Date.now()).toLocaleTimeString();
}

function log(list, text, className) {
  const li = element("li");
  li.append(element("span", time(Date.now()), "meta"), element("span", text, className));
  list.append(li);
  while (list.childElementCount > MAX_LIST_ITEMS) list.firstElementChild.remove();
  list.scrollTop = list.scrollHeight;
}

function status(text, isError) {
  $("status").textContent = text;
  $("status").className = isError ? "status error" : "status";
}

function describe(e) {
  if (e && typeof e === "object" && "code" in e) return `${e.code} ${e.message ?? ""}`.trim();
  return String(e && e.message ? e.message : e);
}

/** A development token from /demo/token (development app only). */
async function devToken(userId) {
  const response = await fetch(`/demo/token?userId=${encodeURIComponent(userId)}`, { cache: "no-store" });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body;
}

// ---- room panel ---------------------------------------------------------------------------------

const room = { engine: null, roomId: null, userId: null, members: new Map() };

function renderMembers() {
  $("room-count").textContent = String(room.members.size); // until the server's next online count
  const list = $("room-members");
  list.replaceChildren();
  for (const [userId, userName] of room.members) {
    const li = element("li", userName && userName !== userId ? `${userId} (${userName})` : userId);
    li.dataset.userId = userId;
    list.append(li);
  }
}

function setRoomLoggedIn(loggedIn) {
  $("room-login-button").disabled = loggedIn;
  $("room-logout-button").disabled = !loggedIn;
  $("room-command-send").disabled = !loggedIn;
  $("room-broadcast-send").disabled = !loggedIn;
  $("room-id").disabled = loggedIn;
  $("room-user").disabled = loggedIn;
}

function roomEngine(appID) {
  if (room.engine) return room.engine;
  const zg = new ZegoExpressEngine(appID, server);
  zg.on("roomUserUpdate", (roomID, updateType, userList) => {
    for (const u of userList) {
      if (updateType === "ADD") room.members.set(u.userID, u.userName);
      else room.members.delete(u.userID);
      log($("room-log"), `${u.userID} ${updateType === "ADD" ? "joined" : "left"}`);
    }
    renderMembers();
  });
  // Demo tokens live an hour: a new one from /demo/token before the old one expires keeps the login.
  zg.on("roomTokenWillExpire", async (roomID, remainTimeInSecond) => {
    try {
      const { token } = await devToken(room.userId);
      await zg.renewToken(token, roomID);
      log($("room-log"), `token renewed (the old one had ${remainTimeInSecond} s left)`, "meta");
    } catch (e) {
      log($("room-log"), `token renewal failed: ${describe(e)}`, "error");
    }
  });
  zg.on("roomOnlineUserCountUpdate", (roomID, count) => { $("room-count").textContent = String(count); });
  zg.on("IMRecvCustomCommand", (roomID, fromUser, command) => {
    log($("room-log"), `command from ${fromUser.userID}: ${command}`, "command");
  });
  zg.on("IMRecvBroadcastMessage", (roomID, messages) => {
    for (const m of messages) log($("room-log"), `broadcast from ${m.fromUser.userID}: ${m.message}`, "broadcast");
  });
  zg.on("roomStateChanged", (roomID, reason, errorCode, extendedData) => {
    $("room-state").textContent = `${reason}${errorCode ? ` (${errorCode})` : ""}`;
    if (reason === "KICKOUT") {
      log($("room-log"), `kicked out of ${roomID}: ${errorCode}${extendedData ? ` ${extendedData}` : ""}`, "error");
      room.members.clear();
      renderMembers();
      setRoomLoggedIn(false);
    }
  });
  room.engine = zg;
  return zg;
}

$("room-login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const roomId = $("room-id").value.trim();
  const userId = $("room-user").value.trim();
  try {
    const { appId, token } = await devToken(userId);
    const zg = roomEngine(appId);
    room.members.clear();
    room.members.set(userId, userId);
    await zg.loginRoom(roomId, token, { userID: userId, userName: userId }, { userUpdate: true });
    room.roomId = roomId;
    room.userId = userId;
    sessionStorage.setItem("chorus-demo-room", JSON.stringify({ roomId, userId }));
    $("room-state").textContent = "logged in";
    renderMembers();
    setRoomLoggedIn(true);
    log($("room-log"), `logged in to ${roomId} as ${userId}`);
  } catch (e) {
    $("room-state").textContent = "login failed";
    log($("room-log"), `login failed: ${describe(e)}`, "error");
  }
});

$("room-logout-button").addEventListener("click", async () => {
  if (!room.engine || !room.roomId) return;
  try { await room.engine.logoutRoom(room.roomId); } catch (e) { log($("room-log"), `logout: ${describe(e)}`, "error"); }
  sessionStorage.removeItem("chorus-demo-room");
  room.members.clear();
  renderMembers();
  $("room-state").textContent = "logged out";
  setRoomLoggedIn(false);
});

$("room-command").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("room-command-text").value;
  const to = $("room-command-to").value.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  try {
    const result = await room.engine.sendCustomCommand(room.roomId, text, to);
    if (result && result.errorCode) throw result;
    log($("room-log"), `command sent${to.length ? ` to ${to.join(", ")}` : ""}: ${text}`, "mine");
    $("room-command-text").value = "";
  } catch (e) {
    log($("room-log"), `command failed: ${describe(e)}`, "error");
  }
});

$("room-broadcast").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("room-broadcast-text").value;
  try {
    const result = await room.engine.sendBroadcastMessage(room.roomId, text);
    if (result && result.errorCode) throw result;
    log($("room-log"), `broadcast sent: ${text}`, "mine");
    $("room-broadcast-text").value = "";
  } catch (e) {
    log($("room-log"), `broadcast failed: ${describe(e)}`, "error");
  }
});

// ---- chat panel ---------------------------------------------------------------------------------

const chat = { zim: null, userId: null, current: null, conversations: new Map(), oldest: null, shown: new Set() };

function setChatLoggedIn(loggedIn) {
  $("chat-login-button").disabled = loggedIn;
  $("chat-logout-button").disabled = !loggedIn;
  $("chat-open-button").disabled = !loggedIn;
  $("chat-user").disabled = loggedIn;
  $("chat-send-button").disabled = !loggedIn || !chat.current;
  $("chat-older").disabled = !loggedIn || !chat.current;
}

function renderConversations() {
  const list = $("conversations");
  list.replaceChildren();
  let total = 0;
  const sorted = [...chat.conversations.values()].sort((a, b) => (b.lastMessage?.timestamp ?? 0) - (a.lastMessage?.timestamp ?? 0));
  for (const c of sorted) {
    const li = element("li");
    li.dataset.conversationId = c.conversationID;
    li.append(element("span", c.conversationID, "name"));
    const unread = c.unreadMessageCount ?? 0;
    total += unread;
    if (unread > 0) li.append(element("span", unread, "badge"));
    if (c.conversationID === chat.current) li.classList.add("selected");
    li.addEventListener("click", () => openConversation(c.conversationID));
    list.append(li);
  }
  $("chat-unread").textContent = String(total);
}

function messageText(m) {
  if (typeof m.message === "string") return m.message;
  return `[message of type ${m.type}]`;
}

function messageItem(m) {
  const li = element("li");
  li.dataset.messageId = String(m.messageID);
  li.chorusMessage = m; // for the oldest-shown bookkeeping when old items are dropped
  const mine = m.senderUserID === chat.userId;
  li.append(element("span", time(m.timestamp), "meta"), element("span", `${m.senderUserID}: `, "meta"), element("span", messageText(m), mine ? "mine" : "text"));
  return li;
}

function showMessages(messages, older) {
  const list = $("messages");
  const fresh = messages.filter((m) => !chat.shown.has(String(m.messageID)));
  for (const m of fresh) chat.shown.add(String(m.messageID));
  fresh.sort((a, b) => a.orderKey - b.orderKey);
  if (older) list.prepend(...fresh.map(messageItem)); // asked for: kept
  else {
    list.append(...fresh.map(messageItem));
    // New messages drop the oldest shown beyond the bound; Load older continues from the oldest still shown.
    while (list.childElementCount > MAX_LIST_ITEMS) {
      chat.shown.delete(list.firstElementChild.dataset.messageId);
      list.firstElementChild.remove();
      chat.oldest = list.firstElementChild?.chorusMessage ?? null;
    }
    list.scrollTop = list.scrollHeight;
  }
}

async function loadHistory(older) {
  // From the latest message back (ZIM's reverse: true); an older page continues from the oldest message shown.
  const config = { count: 20, reverse: true };
  if (older && chat.oldest) config.nextMessage = chat.oldest;
  const result = await chat.zim.queryHistoryMessage(chat.current, 0, config);
  const messages = result.messageList ?? [];
  if (messages.length > 0) {
    const sorted = [...messages].sort((a, b) => a.orderKey - b.orderKey);
    if (!chat.oldest || sorted[0].orderKey < chat.oldest.orderKey) chat.oldest = sorted[0];
  }
  showMessages(messages, older);
  $("chat-older").disabled = messages.length < config.count;
}

async function openConversation(peerId) {
  chat.current = peerId;
  chat.oldest = null;
  chat.shown.clear();
  $("messages").replaceChildren();
  $("chat-with").textContent = `with ${peerId}`;
  setChatLoggedIn(true);
  sessionStorage.setItem("chorus-demo-chat-peer", peerId);
  try {
    await loadHistory(false);
    if (chat.conversations.has(peerId)) {
      await chat.zim.clearConversationUnreadMessageCount(peerId, 0);
      chat.conversations.get(peerId).unreadMessageCount = 0;
    }
  } catch (e) {
    status(`history: ${describe(e)}`, true);
  }
  renderConversations();
}

function chatEngine(appID) {
  if (chat.zim) return chat.zim;
  const zim = ZIM.create({ appID, server });
  zim.on("connectionStateChanged", (_zim, info) => {
    $("chat-state").textContent = String(info.state === 2 ? "connected" : info.state === 1 ? "connecting" : info.state === 3 ? "reconnecting" : "disconnected");
  });
  zim.on("tokenWillExpire", async (_zim, { second }) => {
    try {
      const { token } = await devToken(chat.userId);
      await zim.renewToken(token);
      $("chat-token").textContent = `token renewed (the old one had ${second} s left)`;
    } catch (e) {
      status(`chat token renewal failed: ${describe(e)}`, true);
    }
  });
  zim.on("peerMessageReceived", (_zim, { messageList, fromConversationID }) => {
    if (fromConversationID === chat.current) showMessages(messageList, false);
  });
  zim.on("conversationChanged", (_zim, { infoList }) => {
    for (const { conversation } of infoList) chat.conversations.set(conversation.conversationID, conversation);
    if (chat.current && chat.conversations.get(chat.current)?.unreadMessageCount > 0 && document.visibilityState === "visible") {
      chat.conversations.get(chat.current).unreadMessageCount = 0;
      zim.clearConversationUnreadMessageCount(chat.current, 0).catch(() => {});
    }
    renderConversations();
  });
  chat.zim = zim;
  return zim;
}

async function chatLogin(userId) {
  const { appId, token } = await devToken(userId);
  const zim = chatEngine(appId);
  await zim.login({ userID: userId, userName: userId }, token);
  chat.userId = userId;
  sessionStorage.setItem("chorus-demo-chat-user", userId);
  $("chat-state").textContent = "connected";
  setChatLoggedIn(true);
  const result = await zim.queryConversationList({ count: 100 });
  for (const c of result.conversationList ?? []) chat.conversations.set(c.conversationID, c);
  renderConversations();
}

$("chat-login").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await chatLogin($("chat-user").value.trim());
    status("chat: logged in");
  } catch (e) {
    $("chat-state").textContent = "login failed";
    status(`chat login failed: ${describe(e)}`, true);
  }
});

$("chat-logout-button").addEventListener("click", async () => {
  try { await chat.zim?.logout(); } catch { /* already out */ }
  sessionStorage.removeItem("chorus-demo-chat-user");
  sessionStorage.removeItem("chorus-demo-chat-peer");
  chat.conversations.clear();
  chat.current = null;
  $("messages").replaceChildren();
  renderConversations();
  $("chat-state").textContent = "logged out";
  setChatLoggedIn(false);
});

$("chat-open").addEventListener("submit", (event) => {
  event.preventDefault();
  openConversation($("chat-peer").value.trim());
});

$("chat-older").addEventListener("click", () => loadHistory(true).catch((e) => status(`history: ${describe(e)}`, true)));

$("chat-send").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("chat-text").value;
  try {
    const result = await chat.zim.sendMessage({ type: 1, message: text }, chat.current, 0, { priority: 1 });
    showMessages([result.message], false);
    $("chat-text").value = "";
  } catch (e) {
    status(`send failed: ${describe(e)}`, true);
  }
});

// ---- start --------------------------------------------------------------------------------------

status(`Connected to ${server}. Pick a room and a user, or a chat user, and log in.`);
$("room-user").value = `web-${Math.random().toString(36).slice(2, 7)}`;
// A reload logs the chat user back in and reopens the conversation: what was missed comes from history.
const savedUser = sessionStorage.getItem("chorus-demo-chat-user");
if (savedUser) {
  $("chat-user").value = savedUser;
  chatLogin(savedUser)
    .then(() => {
      const peer = sessionStorage.getItem("chorus-demo-chat-peer");
      if (peer) { $("chat-peer").value = peer; return openConversation(peer); }
    })
    .catch((e) => status(`chat login failed: ${describe(e)}`, true));
}
document.body.dataset.ready = "true";
