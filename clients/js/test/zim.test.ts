import { test, after } from "node:test";
import assert from "node:assert/strict";
import {
  ConversationCursor, ZIM, ZIMConversationType, ZIMConnectionState, ZIMConnectionEvent, ZIMMessageType, ZIMMessageSentStatus, type ZIMMessage,
  ZIMGroupBeInviteMode, ZIMGroupEnterType, ZIMGroupInviteMode, ZIMGroupJoinMode, ZIMGroupMessageNotificationStatus, ZIMGroupMuteMode,
} from "../src/zim.js";
import type { Frame } from "../src/codec.js";
import { FakeNetwork, waitFor } from "./fake.js";

/** A fake chat server holding one peer conversation ("bob" as alice sees it) with the given messages. */
function chatServer(network: FakeNetwork, history: Frame[], onRequest?: (f: Frame) => Frame | undefined): void {
  network.responder = (f) => {
    const special = onRequest?.(f);
    if (special) return special;
    switch (f.op) {
      case "queryConversations": {
        const max = history.length ? Math.max(...history.map((m) => m.conversationSeq as number)) : 0;
        return { op: "result", rid: f.rid, errorCode: 0, conversations: history.length ? [{ conversationId: "bob", conversationType: 0, unreadMessageCount: 0, maxSeq: max }] : [], unreadTotal: 0 };
      }
      case "queryHistory": {
        const from = (f.nextSeq as number) ?? 0;
        const page = history.filter((m) => (m.conversationSeq as number) > from).sort((a, b) => (a.conversationSeq as number) - (b.conversationSeq as number)).slice(0, f.count as number);
        return { op: "result", rid: f.rid, errorCode: 0, messages: page };
      }
      case "ping":
        return { op: "pong", rid: f.rid };
      default:
        return { op: "result", rid: f.rid, errorCode: 0 };
    }
  };
}

function wire(seq: number, text: string, from = "bob"): Frame {
  return { messageId: `9144171453832${String(seq).padStart(5, "0")}`, senderUserId: from, conversationId: from === "alice" ? "bob" : "bob", conversationType: 0, timestamp: 1000 + seq, conversationSeq: seq, orderKey: seq, type: 1, text };
}

const created: ZIM[] = [];
after(() => created.forEach((z) => z.destroy()));

function client(network: FakeNetwork): ZIM {
  return track(ZIM.create({ appID: 7, server: "http://127.0.0.1:1" }, { WebSocket: network.WebSocket, reconnectMinDelayMs: 5, reconnectMaxDelayMs: 20, requestTimeoutMs: 1000 }));
}

function track(zim: ZIM): ZIM {
  created.push(zim);
  return zim;
}

function collect(zim: ZIM): { text: string; offline: boolean; id: string }[] {
  const got: { text: string; offline: boolean; id: string }[] = [];
  zim.on("peerMessageReceived", (_z, data) => {
    for (const m of data.messageList) got.push({ text: m.message as string, offline: data.info.isOfflineMessage, id: m.messageID });
  });
  return got;
}

test("ZIM.create takes ZIM's forms (an appID, {appID}); the server is the config's, else setServer's, else the page's origin", async () => {
  // Outside a page, with no server named anywhere: a clear refusal, not a connection to nowhere.
  assert.throws(() => ZIM.create(7), { code: 6000001, message: /no Chorus server/ });
  assert.throws(() => ZIM.setServer("not an address"), { code: 6000001 });

  // In a page: its origin.
  const page = new FakeNetwork();
  chatServer(page, []);
  (globalThis as { location?: unknown }).location = { origin: "https://chat.example:8443" };
  try {
    const zim = track(ZIM.create(7, { WebSocket: page.WebSocket, requestTimeoutMs: 1000 }));
    await zim.login("alice", { token: "T" });
    assert.equal(page.current!.url, "wss://chat.example:8443/ws?appId=7");
    assert.equal(ZIM.getInstance(), zim);
    zim.destroy();
  } finally {
    delete (globalThis as { location?: unknown }).location;
  }

  // Set once at start-up: ZIM's own calls connect there, with the options given.
  const configured = new FakeNetwork();
  chatServer(configured, []);
  ZIM.setServer("http://127.0.0.1:9", { WebSocket: configured.WebSocket, requestTimeoutMs: 1000 });
  for (const zim of [track(ZIM.create(7)), track(ZIM.create({ appID: 8, appSign: "ignored" }))]) {
    await zim.login("alice", { token: "T" });
    assert.equal(configured.current!.url, `ws://127.0.0.1:9/ws?appId=${zim.appConfig.appID}`);
    zim.destroy();
  }
  // A config that names its server still wins.
  const own = new FakeNetwork();
  chatServer(own, []);
  const zim = track(ZIM.create({ appID: 7, server: "http://127.0.0.1:10" }, { WebSocket: own.WebSocket, requestTimeoutMs: 1000 }));
  await zim.login("alice", { token: "T" });
  assert.equal(own.current!.url, "ws://127.0.0.1:10/ws?appId=7");
  zim.destroy();
});

test("login accepts both of ZIM's forms and reports Connecting then Connected", async () => {
  const network = new FakeNetwork();
  chatServer(network, []);
  const zim = client(network);
  const states: [number, number][] = [];
  zim.on("connectionStateChanged", (_z, d) => states.push([d.state, d.event]));
  await zim.login("alice", { userName: "Alice", token: "T" });
  assert.deepEqual({ ...network.requests("chatLogin")[0], rid: 0 }, { op: "chatLogin", rid: 0, userId: "alice", userName: "Alice", token: "T" });
  assert.deepEqual(states, [[ZIMConnectionState.Connecting, ZIMConnectionEvent.ActiveLogin], [ZIMConnectionState.Connected, ZIMConnectionEvent.Success]]);
  zim.destroy();
  const other = client(new FakeNetwork());
  await other.login({ userID: "bob", userName: "Bob" }, "T2");
  other.destroy();
});

test("a refused login rejects with {code, message}", async () => {
  const network = new FakeNetwork();
  network.responder = (f) => ({ op: "result", rid: f.rid, errorCode: 6000103, error: "token is invalid" });
  const zim = client(network);
  await assert.rejects(zim.login("alice", { token: "bad" }), { code: 6000103, message: "token is invalid" });
  await assert.rejects(zim.login("", { token: "x" }), { code: 6000001 });
  zim.destroy();
});

test("login pulls unread messages of each conversation and delivers them in order as offline messages", async () => {
  const network = new FakeNetwork();
  const history = [wire(1, "one"), wire(2, "two"), wire(3, "three")];
  chatServer(network, history, (f) =>
    f.op === "queryConversations" ? { op: "result", rid: f.rid, errorCode: 0, conversations: [{ conversationId: "bob", conversationType: 0, unreadMessageCount: 2, maxSeq: 3 }] } : undefined,
  );
  const zim = client(network);
  const got = collect(zim);
  await zim.login("alice", { token: "T" });
  assert.deepEqual(got.map((g) => [g.text, g.offline]), [["two", true], ["three", true]]);
  assert.deepEqual(network.requests("queryHistory").map((f) => [f.nextSeq, f.reverse]), [[1, true]]);
  zim.destroy();
});

test("a gap in live messages is filled from history; held messages are delivered in order, each once", async () => {
  const network = new FakeNetwork();
  const history: Frame[] = [];
  chatServer(network, history);
  const zim = client(network);
  const got = collect(zim);
  await zim.login("alice", { token: "T" });
  const s = network.current!;
  history.push(wire(1, "one"));
  s.push({ op: "chatMessage", message: wire(1, "one") });
  history.push(wire(2, "two"), wire(3, "three"));
  s.push({ op: "chatMessage", message: wire(3, "three") }); // 2 was lost
  await waitFor(() => got.length === 3, "three messages");
  s.push({ op: "chatMessage", message: wire(2, "two") }); // arrives late: already delivered
  s.push({ op: "chatMessage", message: wire(3, "three") }); // duplicate
  history.push(wire(4, "four"));
  s.push({ op: "chatMessage", message: wire(4, "four") });
  await waitFor(() => got.length >= 4, "four messages");
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(got.map((g) => g.text), ["one", "two", "three", "four"]);
  // 2 came from history (offline); 3 had arrived live and was held back until 2 was there
  assert.deepEqual(got.map((g) => g.offline), [false, true, false, false]);
  assert.equal(new Set(got.map((g) => g.id)).size, 4);
  zim.destroy();
});

test("after a reconnect it logs back in, re-enters rooms and pulls what it missed, holding live messages back meanwhile", async () => {
  const network = new FakeNetwork();
  const history: Frame[] = [];
  let releaseHistory: (() => void) | undefined;
  chatServer(network, history, (f) => {
    if (f.op === "enterRoom") return { op: "result", rid: f.rid, errorCode: 0, count: 1, nextSeq: 0 };
    return undefined;
  });
  const zim = client(network);
  const got = collect(zim);
  const states: number[] = [];
  zim.on("connectionStateChanged", (_z, d) => states.push(d.state));
  await zim.login("alice", { token: "T" });
  await zim.enterRoom({ roomID: "room1", roomName: "Room" });
  history.push(wire(1, "one"));
  network.current!.push({ op: "chatMessage", message: wire(1, "one") });
  assert.deepEqual(got.map((g) => g.text), ["one"]);

  // While alice is away bob sends 2 and 3; after the reconnect, 4 arrives live while the pull of 2-3 is under way.
  history.push(wire(2, "two"), wire(3, "three"));
  const base = network.responder;
  network.responder = (f, socket) => {
    if (f.op === "queryHistory" && f.convType === 0) {
      // hold the history answer until the live message 4 was pushed
      const answer = base(f, socket) as Frame;
      new Promise<void>((resolve) => (releaseHistory = resolve)).then(() => socket.push(answer));
      history.push(wire(4, "four"));
      socket.push({ op: "chatMessage", message: wire(4, "four") });
      releaseHistory!();
      return undefined;
    }
    return base(f, socket);
  };
  network.current!.drop();
  await waitFor(() => got.length === 4, "four messages");
  await waitFor(() => states.at(-1) === ZIMConnectionState.Connected, "connected again");
  assert.deepEqual(got.map((g) => g.text), ["one", "two", "three", "four"]);
  assert.ok(states.includes(ZIMConnectionState.Reconnecting));
  const logins = network.requests("chatLogin");
  assert.equal(logins.length, 2);
  assert.deepEqual(network.requests("enterRoom").map((f) => f.convId), ["room1", "room1"]); // entered, then re-entered
  const pulls = network.requests("queryHistory").filter((f) => f.convType === 0);
  assert.equal(pulls[0]!.nextSeq, 1);
  zim.destroy();
});

test("sendMessage calls onMessageAttached, resolves with the stored message, and ids keep every digit", async () => {
  const network = new FakeNetwork();
  chatServer(network, [], (f) => {
    if (f.op !== "sendMessage") return undefined;
    const m = f.message as Frame;
    return `{"op":"result","rid":${f.rid},"errorCode":0,"message":{"messageId":914417145383215104,"localMessageId":${m.localMessageId},"senderUserId":"alice","conversationId":"bob","conversationType":0,"timestamp":5,"conversationSeq":1,"orderKey":1,"type":1,"text":"${m.text}"}}` as unknown as Frame;
  });
  // the responder above returns raw text: push it as such
  const base = network.responder;
  network.responder = (f, socket) => {
    const r = base(f, socket);
    if (typeof r === "string") {
      socket.push(r);
      return undefined;
    }
    return r;
  };
  const zim = client(network);
  await zim.login("alice", { token: "T" });
  const attached: ZIMMessage[] = [];
  const input: { type: ZIMMessageType; message: string } & Partial<ZIMMessage> = { type: ZIMMessageType.Text, message: "hi" };
  const { message } = await zim.sendMessage(input, "bob", ZIMConversationType.Peer, { hasReceipt: true }, { onMessageAttached: (m) => attached.push({ ...m }) });
  // the app's own object followed the send, as in ZIM
  assert.deepEqual([input.messageID, input.timestamp, input.sentStatus, input.orderKey, input.conversationSeq, input.localMessageID],
    ["914417145383215104", 5, ZIMMessageSentStatus.Success, 1, 1, message.localMessageID]);
  assert.equal(attached.length, 1);
  assert.equal(attached[0]!.messageID, "0");
  assert.equal(message.messageID, "914417145383215104");
  assert.equal(message.conversationSeq, 1);
  assert.equal(message.localMessageID, attached[0]!.localMessageID);
  const sent = network.requests("sendMessage")[0]!;
  assert.equal((sent.message as Frame).hasReceipt, true);
  assert.equal(String((sent.message as Frame).localMessageId), message.localMessageID);

  // ids go back to the server digit for digit
  await zim.revokeMessage(message);
  assert.deepEqual(network.requests("revokeMessage")[0]!.messageIds, ["914417145383215104"]);
  await zim.deleteMessages([message], "bob", ZIMConversationType.Peer);
  assert.deepEqual(network.requests("deleteMessages")[0]!.messageIds, ["914417145383215104"]);
  zim.destroy();
});

test("messages the server would refuse are refused before sending, without onMessageAttached", async () => {
  const network = new FakeNetwork();
  chatServer(network, []);
  const zim = client(network);
  await zim.login("alice", { token: "T" });
  let attached = 0;
  const note = { onMessageAttached: () => attached++ };
  await assert.rejects(zim.sendMessage({ type: 1, message: "x".repeat(2049) }, "bob", 0, {}, note), { code: 6000001 });
  const empty: { type: ZIMMessageType; message: string; sentStatus?: ZIMMessageSentStatus } = { type: 1, message: "" };
  await assert.rejects(zim.sendMessage(empty, "bob", 0, {}, note), { code: 6000001 });
  assert.equal(empty.sentStatus, ZIMMessageSentStatus.Failed, "a refused send marks the app's object Failed");
  await assert.rejects(zim.sendMessage({ type: 20, message: "b" }, "bob", 0, {}, note), { code: 6000001 });
  await assert.rejects(zim.sendMessage({ type: 1, message: "x" }, "g".repeat(33), 2, {}, note), { code: 6000001 });
  await assert.rejects(zim.queryHistoryMessage("bob", 0, { count: 101 }), { code: 6000001 });
  for (const nextMessage of [{}, { messageID: "5" }, { conversationSeq: 0 }, { conversationSeq: 1.5 }])
    await assert.rejects(zim.queryHistoryMessage("bob", 0, { count: 10, reverse: true, nextMessage }), { code: 6000001 }, JSON.stringify(nextMessage));
  assert.equal(network.requests("queryHistory").length, 0, "a refused query sends nothing");
  await assert.rejects(zim.sendMessageReceiptsRead(Array.from({ length: 11 }, () => ({ messageID: "1" })), "bob", 0), { code: 6000001 });
  // a message without an id (ZIM's messageID is optional) or with one that is no id: 6000001, never a TypeError, nothing sent
  for (const bad of [{}, { messageID: "abc" }, { messageID: "" }]) {
    await assert.rejects(zim.deleteMessages([bad], "bob", 0), { code: 6000001 });
    await assert.rejects(zim.revokeMessage(bad), { code: 6000001 });
    await assert.rejects(zim.sendMessageReceiptsRead([bad], "bob", 0), { code: 6000001 });
  }
  assert.deepEqual([network.requests("deleteMessages").length, network.requests("revokeMessage").length, network.requests("sendReceiptsRead").length], [0, 0, 0]);
  assert.equal(attached, 0);
  assert.equal(network.requests("sendMessage").length, 0);
  // exactly at the limit passes
  await zim.sendMessage({ type: 1, message: "x".repeat(2048) }, "bob", 0, {}, note).catch(() => undefined);
  assert.equal(attached, 1);
  zim.destroy();
});

test("a kick-out ends the login with KickedOut; token expiry with TokenExpired", async () => {
  const network = new FakeNetwork();
  chatServer(network, []);
  const zim = client(network);
  const states: [number, number][] = [];
  zim.on("connectionStateChanged", (_z, d) => states.push([d.state, d.event]));
  await zim.login("alice", { token: "T" });
  network.current!.push({ op: "chatKickedOut", errorCode: 6000121 });
  assert.deepEqual(states.at(-1), [ZIMConnectionState.Disconnected, ZIMConnectionEvent.KickedOut]);
  assert.equal(zim.currentUser, null);
  const socketsBefore = network.sockets.length;
  network.current!.drop();
  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.equal(network.sockets.length, socketsBefore, "no reconnect after a kick-out");
  await zim.login("alice", { token: "T" });
  network.current!.push({ op: "chatKickedOut", errorCode: 6000106 });
  assert.deepEqual(states.at(-1), [ZIMConnectionState.Disconnected, ZIMConnectionEvent.TokenExpired]);
  zim.destroy();
});

test("behind a gap history cannot fill, held messages stay bounded and are delivered in order; the refusal is not asked again per message", async () => {
  const delivered: string[] = [];
  let queries = 0;
  const host = {
    request: async (): Promise<Frame> => { queries++; return { op: "result", errorCode: 6000541 }; },
    deliver: (_t: ZIMConversationType, _c: string, list: ZIMMessage[]) => { for (const m of list) delivered.push(m.messageID); },
    disposed: () => false,
    myUserID: () => "me",
  };
  const cursor = new ConversationCursor(host, ZIMConversationType.Group, "g", 10);
  const wire = (seq: number): Frame => ({ messageId: String(1000 + seq), conversationSeq: seq, senderUserId: "other", type: 1, text: "t" + seq, timestamp: 1 });
  // seq 11 never comes (deleted, or sent before access was lost): 12.. wait behind it
  for (let seq = 12; seq < 12 + ConversationCursor.MaxHeld; seq++) cursor.accept(wire(seq) as never, false);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(delivered.length, 0, "held behind the gap while under the bound");
  assert.equal(queries, 1, "one history pull; the lasting refusal pauses the others");
  cursor.accept(wire(12 + ConversationCursor.MaxHeld) as never, false); // one over the bound
  assert.equal(delivered.length, ConversationCursor.MaxHeld + 1);
  assert.deepEqual(delivered.slice(0, 3), ["1012", "1013", "1014"]);
  assert.equal(delivered.at(-1), String(1012 + ConversationCursor.MaxHeld));
  cursor.accept(wire(13 + ConversationCursor.MaxHeld) as never, false); // and live delivery goes on in order
  assert.equal(delivered.at(-1), String(1013 + ConversationCursor.MaxHeld));
});

test("queryHistoryMessage pages as ZIM does: reverse from the latest message back, else from the oldest forward; pages oldest first", async () => {
  const network = new FakeNetwork();
  const history = [1, 2, 3, 4, 5].map((seq) => wire(seq, `m${seq}`));
  chatServer(network, [], (f) => {
    if (f.op !== "queryHistory") return undefined;
    // the server's wire: reverse true reads forward (seq > nextSeq, ascending), false back (seq < nextSeq, newest first)
    const at = f.nextSeq as number | undefined;
    const seqOf = (m: Frame) => m.conversationSeq as number;
    const page = f.reverse
      ? history.filter((m) => seqOf(m) > (at ?? 0)).sort((a, b) => seqOf(a) - seqOf(b))
      : history.filter((m) => at === undefined || seqOf(m) < at).sort((a, b) => seqOf(b) - seqOf(a));
    return { op: "result", rid: f.rid, errorCode: 0, messages: page.slice(0, f.count as number) };
  });
  const zim = client(network);
  await zim.login("alice", { token: "T" });
  const pages = async (reverse: boolean) => {
    const seen: string[] = [];
    let nextMessage: ZIMMessage | undefined;
    for (let i = 0; i < 5; i++) {
      const { messageList } = await zim.queryHistoryMessage("bob", ZIMConversationType.Peer, { count: 2, reverse, ...(nextMessage ? { nextMessage } : {}) });
      if (messageList.length === 0) break;
      seen.push(messageList.map((m) => m.message).join(","));
      nextMessage = reverse ? messageList[0] : messageList.at(-1);
    }
    return seen;
  };
  const before = network.requests("queryHistory").length;
  assert.deepEqual(await pages(true), ["m4,m5", "m2,m3", "m1"]);
  assert.deepEqual(network.requests("queryHistory").slice(before).map((f) => [f.reverse, f.nextSeq ?? null]), [[false, null], [false, 4], [false, 2], [false, 1]]);
  assert.deepEqual(await pages(false), ["m1,m2", "m3,m4", "m5"]);
  zim.destroy();
});

test("group and member objects carry every field ZIM's do: the server's values, and empty or ZIM's defaults where Chorus has none", async () => {
  const network = new FakeNetwork();
  chatServer(network, [], (f) => {
    const group = { groupId: "g1", groupName: "Friends", ownerUserId: "alice", memberCount: 2 };
    if (f.op === "createGroup" || f.op === "queryGroupInfo") return { op: "result", rid: f.rid, errorCode: 0, group };
    if (f.op === "queryGroupMembers" || f.op === "queryRoomMembers") return { op: "result", rid: f.rid, errorCode: 0, members: ["alice", "bob"] };
    return undefined;
  });
  const zim = client(network);
  await zim.login("alice", { token: "T" });
  const created = await zim.createGroup({ groupID: "g1", groupName: "Friends" }, ["bob"]);
  const info = (await zim.queryGroupInfo("g1")).groupInfo;
  for (const g of [created.groupInfo, info]) {
    assert.deepEqual(g, {
      baseInfo: { groupID: "g1", groupName: "Friends", groupAvatarUrl: "" },
      groupNotice: "", groupAttributes: {}, groupAlias: "", notificationStatus: ZIMGroupMessageNotificationStatus.Notify,
      mutedInfo: { mode: ZIMGroupMuteMode.None, expiredTime: 0, roles: [] }, createTime: 0, maxMemberCount: 0,
      verifyInfo: { joinMode: ZIMGroupJoinMode.Any, inviteMode: ZIMGroupInviteMode.Any, beInviteMode: ZIMGroupBeInviteMode.None },
      ownerUserID: "alice", memberCount: 2,
    });
  }
  const member = (userID: string, memberRole: number) => ({
    userID, userName: "", userAvatarUrl: "", userExtendedData: "", memberNickname: "", memberRole, memberAvatarUrl: "", muteExpiredTime: 0,
    groupEnterInfo: { enterTime: 0, enterType: ZIMGroupEnterType.Unknown },
  });
  assert.deepEqual(created.userList, [member("bob", 3)], "a member the creator added is a member (3)");
  const list = await zim.queryGroupMemberList("g1", { count: 100, nextFlag: 0 });
  assert.deepEqual(list, { groupID: "g1", userList: [member("alice", 0), member("bob", 0)], nextFlag: 0 }, "roles Chorus does not know are 0");
  const room = await zim.queryRoomMemberList("r1", { count: 100, nextFlag: "" });
  assert.deepEqual(room.memberList, [
    { userID: "alice", userName: "", userAvatarUrl: "", userExtendedData: "" },
    { userID: "bob", userName: "", userAvatarUrl: "", userExtendedData: "" },
  ]);
  zim.destroy();
});
