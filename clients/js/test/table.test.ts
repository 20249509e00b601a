import { test, after } from "node:test";
import assert from "node:assert/strict";
import { EventTable } from "../src/table.js";
import { ZIM, ZIMConnectionEvent, ZIMConnectionState, type ZIMEventHandler } from "../src/zim.js";
import { ZegoExpressEngine, type ZegoEvent } from "../src/express.js";
import type { Frame } from "../src/codec.js";
import { FakeNetwork } from "./fake.js";

test("the event table hands each op to the handler registered for it and ignores an op none registered", () => {
  const table = new EventTable();
  const calls: [string, unknown][] = [];
  table.register({ a: (f) => calls.push(["a", f.n]), b: (f) => calls.push(["b", f.n]) });
  table.register({ c: (f) => calls.push(["c", f.n]) });
  assert.deepEqual(table.ops, ["a", "b", "c"]);

  assert.equal(table.dispatch({ op: "b", n: 1 }), true);
  assert.equal(table.dispatch({ op: "a", n: 2 }), true);
  assert.equal(table.dispatch({ op: "c", n: 3 }), true);
  assert.deepEqual(calls, [["b", 1], ["a", 2], ["c", 3]]);

  // unknown, missing, non-string ops and names an object would inherit reach no handler and do not throw
  for (const frame of [{ op: "d" }, {}, { op: 5 }, { op: null }, { op: "toString" }, { op: "__proto__" }, { op: "constructor" }, { op: "hasOwnProperty" }] as Frame[])
    assert.equal(table.dispatch(frame), false, JSON.stringify(frame));
  assert.equal(calls.length, 3);

  // an op has one owner
  assert.throws(() => table.register({ b: () => undefined }), /"b" is registered twice/);
  table.dispatch({ op: "b", n: 4 });
  assert.deepEqual(calls.at(-1), ["b", 4], "the first registration stays");
});

// ---- ZIM ------------------------------------------------------------------------------------------------------------

const zims: ZIM[] = [];
const engines: ZegoExpressEngine[] = [];
after(() => {
  zims.forEach((z) => z.destroy());
  engines.forEach((e) => e.destroyEngine());
});

const zimEvents: (keyof ZIMEventHandler)[] = [
  "error",
  "connectionStateChanged",
  "tokenWillExpire",
  "peerMessageReceived",
  "groupMessageReceived",
  "roomMessageReceived",
  "conversationChanged",
  "conversationTotalUnreadMessageCountUpdated",
  "messageReceiptChanged",
  "messageRevokeReceived",
  "groupMemberStateChanged",
];

async function loggedInZim(): Promise<{ zim: ZIM; network: FakeNetwork; seen: [string, unknown][] }> {
  const network = new FakeNetwork();
  network.responder = (f) => {
    if (f.op === "ping") return { op: "pong", rid: f.rid };
    if (f.op === "queryConversations") return { op: "result", rid: f.rid, errorCode: 0, conversations: [], unreadTotal: 0 };
    if (f.op === "queryHistory") return { op: "result", rid: f.rid, errorCode: 0, messages: [] };
    return { op: "result", rid: f.rid, errorCode: 0 };
  };
  const zim = ZIM.create({ appID: 7, server: "http://127.0.0.1:1" }, { WebSocket: network.WebSocket, requestTimeoutMs: 1000 });
  zims.push(zim);
  await zim.login("alice", { token: "T" });
  const seen: [string, unknown][] = [];
  for (const name of zimEvents) zim.on(name, (z: ZIM, data: unknown) => {
    assert.equal(z, zim, "handlers get the ZIM instance first");
    seen.push([name, data]);
  });
  return { zim, network, seen };
}

function message(conversationId: string, conversationType: number, seq: number, type = 1, text = "t" + seq): Frame {
  return { messageId: String(9000 + seq), senderUserId: "bob", conversationId, conversationType, timestamp: 5, conversationSeq: seq, orderKey: seq, type, text };
}

test("a chat message also fires ZIM's older event name of its conversation type, right after, with ZIM's older payload", async () => {
  const { zim, network, seen } = await loggedInZim();
  const older: [string, unknown][] = [];
  for (const name of ["receivePeerMessage", "receiveGroupMessage", "receiveRoomMessage"] as const)
    zim.on(name, (_z, data) => {
      older.push([name, data]);
      seen.push([name, data]);
    });
  const s = network.current!;
  s.push({ op: "chatMessage", message: message("bob", 0, 1) });
  s.push({ op: "chatMessage", message: message("g1", 2, 1) });
  s.push({ op: "chatMessage", message: message("room1", 1, 0, 20, "wow") });
  assert.deepEqual(seen.map((e) => e[0]), ["peerMessageReceived", "receivePeerMessage", "groupMessageReceived", "receiveGroupMessage", "roomMessageReceived", "receiveRoomMessage"]);
  assert.deepEqual(older.map(([name, d]) => {
    const data = d as { messageList: { message: string; conversationID: string }[]; fromConversationID: string };
    return [name, Object.keys(data).sort().join(","), data.fromConversationID, data.messageList.map((m) => m.message).join()];
  }), [
    ["receivePeerMessage", "fromConversationID,messageList", "bob", "t1"],
    ["receiveGroupMessage", "fromConversationID,messageList", "g1", "t1"],
    ["receiveRoomMessage", "fromConversationID,messageList", "room1", "wow"],
  ]);
  // the same message objects as the newer event's
  assert.equal((seen[1]![1] as { messageList: unknown[] }).messageList[0], (seen[0]![1] as { messageList: unknown[] }).messageList[0]);
});

test("every ZIM server event op reaches the handler of its feature, as one ZIM event with its data", async () => {
  const { zim, network, seen } = await loggedInZim();
  const s = network.current!;
  // each op pushed alone gives exactly the one event its handler emits
  const expect = (frame: Frame | string, name: string, check: (data: never) => void) => {
    seen.length = 0;
    s.push(frame);
    assert.deepEqual(seen.map((e) => e[0]), [name], `${typeof frame === "string" ? frame : frame.op} → ${name}`);
    check(seen[0]![1] as never);
  };

  expect({ op: "chatMessage", message: message("bob", 0, 1) }, "peerMessageReceived", (d: { messageList: { message: string }[]; fromConversationID: string }) => {
    assert.equal(d.fromConversationID, "bob");
    assert.deepEqual(d.messageList.map((m) => m.message), ["t1"]);
  });
  expect({ op: "chatMessage", message: message("g1", 2, 1) }, "groupMessageReceived", (d: { fromConversationID: string }) => assert.equal(d.fromConversationID, "g1"));
  expect({ op: "chatMessage", message: message("room1", 1, 0, 20, "wow") }, "roomMessageReceived", (d: { messageList: { message: string }[] }) =>
    assert.equal(d.messageList[0]!.message, "wow"),
  );
  expect({ op: "conversationChanged", conversation: { conversationId: "bob", conversationType: 0, unreadMessageCount: 3, maxSeq: 5 } }, "conversationChanged", (d: {
    infoList: { conversation: { conversationID: string; unreadMessageCount: number; maxSeq: number } }[];
  }) => assert.deepEqual([d.infoList[0]!.conversation.conversationID, d.infoList[0]!.conversation.unreadMessageCount, d.infoList[0]!.conversation.maxSeq], ["bob", 3, 5]));
  expect({ op: "unreadTotal", unreadTotal: 7 }, "conversationTotalUnreadMessageCountUpdated", (d) => assert.deepEqual(d, { totalUnreadMessageCount: 7 }));
  expect('{"op":"receiptChanged","convId":"bob","convType":0,"messageIds":[914417145383215104],"fromUserId":"bob"}', "messageReceiptChanged", (d: {
    infos: { messageID: string; readerUserID: string; conversationID: string }[];
  }) => assert.deepEqual(d.infos.map((i) => [i.conversationID, i.messageID, i.readerUserID]), [["bob", "914417145383215104", "bob"]]));
  expect({ op: "messageRevoked", message: message("bob", 0, 1, 31, "") }, "messageRevokeReceived", (d: { messageList: { messageID: string; type: number }[] }) =>
    assert.deepEqual(d.messageList.map((m) => [m.messageID, m.type]), [["9001", 31]]),
  );
  expect({ op: "groupMemberChanged", convId: "g1", updateType: "delete", members: ["carol"] }, "groupMemberStateChanged", (d) =>
    assert.deepEqual(d, { groupID: "g1", updateType: "delete", userList: [{ userID: "carol" }] }),
  );
  expect({ op: "chatTokenWillExpire", secondsLeft: 30 }, "tokenWillExpire", (d) => assert.deepEqual(d, { second: 30 }));
  expect({ op: "error", errorCode: 1000002, error: "bad frame" }, "error", (d) => assert.deepEqual(d, { code: 1000002, message: "bad frame" }));
  expect({ op: "chatKickedOut", errorCode: 6000121 }, "connectionStateChanged", (d) =>
    assert.deepEqual(d, { state: ZIMConnectionState.Disconnected, event: ZIMConnectionEvent.KickedOut, extendedData: "" }),
  );
  assert.equal(zim.currentUser, null);
});

test("a ZIM event op no feature registered is ignored: no event, no request, no throw, and later events still arrive", async () => {
  const { network, seen } = await loggedInZim();
  const s = network.current!;
  const requests = () => network.sent.filter((f) => f.op !== "ping").length;
  const sentBefore = requests();
  for (const frame of [
    { op: "somethingNew", message: message("bob", 0, 1) },
    { op: "hello", version: 1, heartbeatMs: 10000 },
    { op: "toString" },
    { op: "__proto__" },
    { message: message("bob", 0, 1) },
  ] as Frame[])
    s.push(frame);
  assert.deepEqual(seen, []);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(requests(), sentBefore, "nothing was sent (no history pull for the message the unknown op carried)");
  s.push({ op: "chatMessage", message: message("bob", 0, 1) });
  assert.deepEqual(seen.map((e) => e[0]), ["peerMessageReceived"], "the unknown op carrying message 1 did not deliver it");
});

// ---- ZegoExpressEngine -----------------------------------------------------------------------------------------------

const expressEvents: (keyof ZegoEvent)[] = [
  "roomStateChanged",
  "roomUserUpdate",
  "roomOnlineUserCountUpdate",
  "roomTokenWillExpire",
  "roomExtraInfoUpdate",
  "IMRecvCustomCommand",
  "IMRecvBroadcastMessage",
  "IMRecvBarrageMessage",
];

async function loggedInEngine(): Promise<{ zg: ZegoExpressEngine; network: FakeNetwork; seen: unknown[][] }> {
  const network = new FakeNetwork();
  const zg = new ZegoExpressEngine(7, "http://127.0.0.1:1", { WebSocket: network.WebSocket, requestTimeoutMs: 1000 });
  engines.push(zg);
  await zg.loginRoom("r1", "T", { userID: "alice" });
  const seen: unknown[][] = [];
  for (const name of expressEvents) zg.on(name, (...args: unknown[]) => seen.push([name, ...args]));
  return { zg, network, seen };
}

test("every room server event op reaches its handler, as one Express event with its arguments", async () => {
  const { zg, network, seen } = await loggedInEngine();
  const s = network.current!;
  const expect = (frame: Frame | string, event: unknown[]) => {
    seen.length = 0;
    s.push(frame);
    assert.deepEqual(seen, [event], typeof frame === "string" ? frame : String(frame.op));
  };
  expect({ op: "customCommand", roomId: "r1", fromUserId: "bob", fromUserName: "Bob", content: "mute" }, ["IMRecvCustomCommand", "r1", { userID: "bob", userName: "Bob" }, "mute"]);
  expect('{"op":"broadcast","roomId":"r1","fromUserId":"bob","content":"hi","messageId":1838951147868161406,"sendTime":6}', [
    "IMRecvBroadcastMessage",
    "r1",
    [{ fromUser: { userID: "bob", userName: "bob" }, message: "hi", sendTime: 6, messageID: "1838951147868161406" }],
  ]);
  expect({ op: "barrage", roomId: "r1", fromUserId: "bob", content: "wow", barrageId: "1_2_3", sendTime: 7 }, [
    "IMRecvBarrageMessage",
    "r1",
    [{ fromUser: { userID: "bob", userName: "bob" }, message: "wow", sendTime: 7, messageID: "1_2_3" }],
  ]);
  expect({ op: "userUpdate", roomId: "r1", updateType: "add", users: [{ userId: "carol", userName: "Carol" }] }, ["roomUserUpdate", "r1", "ADD", [{ userID: "carol", userName: "Carol" }]]);
  expect({ op: "onlineCount", roomId: "r1", count: 9 }, ["roomOnlineUserCountUpdate", "r1", 9]);
  expect({ op: "tokenWillExpire", roomId: "r1", secondsLeft: 30 }, ["roomTokenWillExpire", "r1", 30]);
  seen.length = 0;
  s.push({ op: "extraInfo", roomId: "r1", key: "topic", value: "music", fromUserId: "bob" });
  assert.equal(seen.length, 1);
  assert.deepEqual(seen[0]!.slice(0, 2), ["roomExtraInfoUpdate", "r1"]);
  assert.deepEqual((seen[0]![2] as { key: string; value: string; updateUser: unknown }[]).map((i) => [i.key, i.value, i.updateUser]), [["topic", "music", { userID: "bob", userName: "bob" }]]);
  assert.deepEqual(zg.roomIDs, ["r1"]);
  expect({ op: "roomState", roomId: "r1", reason: 6, errorCode: 1002055, extendedData: "spam" }, ["roomStateChanged", "r1", "KICKOUT", 1002055, "spam"]);
  assert.deepEqual(zg.roomIDs, [], "the kick-out's handler removed the room");
});

test("a room event op no handler is registered for is ignored: no event, no throw, and later events still arrive", async () => {
  const { zg, network, seen } = await loggedInEngine();
  const s = network.current!;
  for (const frame of [
    { op: "chatMessage", roomId: "r1", content: "x" },
    { op: "somethingNew", roomId: "r1", reason: 6 },
    { op: "toString", roomId: "r1" },
    { op: "__proto__", roomId: "r1" },
    { roomId: "r1", reason: 6 },
  ] as Frame[])
    s.push(frame);
  assert.deepEqual(seen, []);
  assert.deepEqual(zg.roomIDs, ["r1"]);
  s.push({ op: "onlineCount", roomId: "r1", count: 2 });
  assert.deepEqual(seen, [["roomOnlineUserCountUpdate", "r1", 2]]);
});

test("a conversation carries every field ZIM's does: readMessageSeq from the server's seq and unread count, empty values where Chorus has none", async () => {
  const { network, seen } = await loggedInZim();
  seen.length = 0;
  network.current!.push({ op: "conversationChanged", conversation: { conversationId: "bob", conversationType: 0, unreadMessageCount: 3, maxSeq: 5, orderKey: 9, isPinned: true } });
  const info = (seen[0]![1] as { infoList: { conversation: unknown }[] }).infoList[0]!;
  assert.deepEqual(info.conversation, {
    conversationID: "bob", conversationName: "", conversationAvatarUrl: "", conversationAlias: "", type: 0, unreadMessageCount: 3, readMessageSeq: 2,
    lastMessage: undefined, orderKey: 9, notificationStatus: 1, isPinned: true, pinnedTime: 0, mentionedInfoList: [], draft: "", marks: [], maxSeq: 5,
  });
});
