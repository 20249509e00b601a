import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ZegoExpressEngine, ZegoRoomStateChangedReason, ZegoExpressVersion } from "../src/express.js";
import { ChorusError } from "../src/errors.js";
import { webSocketUrl } from "../src/channel.js";
import { FakeNetwork, waitFor } from "./fake.js";

const created: ZegoExpressEngine[] = [];
after(() => created.forEach((e) => e.destroyEngine()));

function engine(network: FakeNetwork, extra: Record<string, unknown> = {}): ZegoExpressEngine {
  const zg = new ZegoExpressEngine(7, "http://127.0.0.1:1", { WebSocket: network.WebSocket, reconnectMinDelayMs: 5, reconnectMaxDelayMs: 20, requestTimeoutMs: 1000, ...extra });
  created.push(zg);
  return zg;
}

test("the WebSocket address is derived from the server address", () => {
  assert.equal(webSocketUrl("http://127.0.0.1:8080", 1), "ws://127.0.0.1:8080/ws?appId=1");
  assert.equal(webSocketUrl("https://chorus.example/base/", 42), "wss://chorus.example/base/ws?appId=42");
  assert.equal(webSocketUrl("ws://127.0.0.1:8080/ws", 3), "ws://127.0.0.1:8080/ws?appId=3");
});

test("loginRoom sends the login frame, reports LOGINING then LOGINED and the users already there", async () => {
  const network = new FakeNetwork();
  network.responder = (f) => ({ op: "result", rid: f.rid, errorCode: 0, roomId: f.roomId, users: [{ userId: "bob", userName: "Bob" }], count: 2 });
  const zg = engine(network);
  const states: string[] = [];
  const updates: unknown[] = [];
  zg.on("roomStateChanged", (roomID, reason) => states.push(`${roomID}:${reason}`));
  zg.on("roomUserUpdate", (roomID, type, users) => updates.push([roomID, type, users]));
  assert.equal(await zg.loginRoom("r1", "TOKEN", { userID: "alice", userName: "Alice" }, { maxMemberCount: 3 }), true);
  assert.deepEqual(states, ["r1:LOGINING", "r1:LOGINED"]);
  assert.deepEqual(updates, [["r1", "ADD", [{ userID: "bob", userName: "Bob" }]]]);
  const login = network.requests("login")[0]!;
  assert.deepEqual({ ...login, rid: 0 }, { op: "login", rid: 0, roomId: "r1", userId: "alice", userName: "Alice", token: "TOKEN", maxMemberCount: 3, userStatusNotify: true });
  assert.equal(network.current!.protocols, "chorus.v1.json");
  assert.equal(network.current!.url, "ws://127.0.0.1:1/ws?appId=7");
  zg.destroyEngine();
});

test("a refused login rejects with the server's {code, message} and reports LOGIN_FAILED", async () => {
  const network = new FakeNetwork();
  network.responder = (f) => ({ op: "result", rid: f.rid, errorCode: 1002033, error: "token is invalid" });
  const zg = engine(network);
  const states: string[] = [];
  zg.on("roomStateChanged", (_r, reason, code) => states.push(`${reason}:${code}`));
  await assert.rejects(zg.loginRoom("r1", "bad", { userID: "alice" }), (e: ChorusError) => e.code === 1002033 && e.message === "token is invalid");
  assert.deepEqual(states, ["LOGINING:0", "LOGIN_FAILED:1002033"]);
  zg.destroyEngine();
});

test("bad input is refused before anything is sent, with the server's codes", async () => {
  const network = new FakeNetwork();
  const zg = engine(network);
  await assert.rejects(zg.loginRoom("", "t", { userID: "a" }), { code: 1002011 });
  await assert.rejects(zg.loginRoom("r", "t", { userID: "a\u202e" }), { code: 1002006 });
  await assert.rejects(zg.sendCustomCommand("r1", "x", []), { code: 1002002 });
  await zg.loginRoom("r1", "t", { userID: "a" });
  await assert.rejects(zg.sendCustomCommand("r1", "x".repeat(1025), []), { code: 1009002 });
  await assert.rejects(zg.sendCustomCommand("r2", "x", []), { code: 1009005 });
  await assert.rejects(zg.sendBroadcastMessage("r1", ""), { code: 1009001 });
  await assert.rejects(zg.setRoomExtraInfo("r1", "", "v"), { code: 1009002 });
  assert.equal(network.sent.filter((f) => f.op !== "login").length, 0);
  zg.destroyEngine();
});

test("a request over the server's frame limit fails with 1000005 and is not sent", async () => {
  const network = new FakeNetwork();
  network.hello = { op: "hello", version: 1, heartbeatMs: 10000, maxFrameBytes: 300, maxTextBytes: 2048 };
  const zg = engine(network);
  await zg.loginRoom("r1", "t", { userID: "a" });
  await assert.rejects(zg.sendBroadcastMessage("r1", "x".repeat(400)), { code: 1000005 });
  assert.equal(network.requests("broadcast").length, 0);
  zg.destroyEngine();
});

test("a request the server does not answer fails with 1009010 after the timeout", async () => {
  const network = new FakeNetwork();
  const zg = engine(network, { requestTimeoutMs: 50 });
  await zg.loginRoom("r1", "t", { userID: "a" });
  network.responder = () => undefined;
  await assert.rejects(zg.sendBroadcastMessage("r1", "hi"), { code: 1009010 });
  zg.destroyEngine();
});

test("events arrive with Express's names and shapes; broadcast ids keep every digit", async () => {
  const network = new FakeNetwork();
  const zg = engine(network);
  const seen: unknown[] = [];
  zg.on("IMRecvCustomCommand", (...args) => seen.push(["cmd", ...args]));
  zg.on("IMRecvBroadcastMessage", (...args) => seen.push(["bc", ...args]));
  zg.on("IMRecvBarrageMessage", (...args) => seen.push(["barrage", ...args]));
  zg.on("roomOnlineUserCountUpdate", (...args) => seen.push(["count", ...args]));
  zg.on("roomTokenWillExpire", (...args) => seen.push(["expire", ...args]));
  zg.on("roomExtraInfoUpdate", (roomID, list) => seen.push(["extra", roomID, list.map((i) => [i.key, i.value, i.updateUser.userID])]));
  zg.on("roomUserUpdate", (...args) => seen.push(["users", ...args]));
  await zg.loginRoom("r1", "t", { userID: "a" });
  const s = network.current!;
  s.push({ op: "customCommand", roomId: "r1", fromUserId: "bob", fromUserName: "Bob", content: "mute", sendTime: 5 });
  s.push('{"op":"broadcast","roomId":"r1","fromUserId":"bob","content":"hi","messageId":1838951147868161406,"sendTime":6}');
  s.push({ op: "barrage", roomId: "r1", fromUserId: "bob", content: "wow", barrageId: "1_2_3", sendTime: 7 });
  s.push({ op: "onlineCount", roomId: "r1", count: 9 });
  s.push({ op: "tokenWillExpire", roomId: "r1", secondsLeft: 30 });
  s.push({ op: "extraInfo", roomId: "r1", key: "topic", value: "music", fromUserId: "bob" });
  s.push({ op: "userUpdate", roomId: "r1", updateType: "delete", users: [{ userId: "bob", userName: "Bob" }] });
  assert.deepEqual(seen, [
    ["cmd", "r1", { userID: "bob", userName: "Bob" }, "mute"],
    ["bc", "r1", [{ fromUser: { userID: "bob", userName: "bob" }, message: "hi", sendTime: 6, messageID: "1838951147868161406" }]],
    ["barrage", "r1", [{ fromUser: { userID: "bob", userName: "bob" }, message: "wow", sendTime: 7, messageID: "1_2_3" }]],
    ["count", "r1", 9],
    ["expire", "r1", 30],
    ["extra", "r1", [["topic", "music", "bob"]]],
    ["users", "r1", "DELETE", [{ userID: "bob", userName: "Bob" }]],
  ]);
  zg.destroyEngine();
});

test("a kick-out removes the room and reports KICKOUT with the server's code", async () => {
  const network = new FakeNetwork();
  const zg = engine(network);
  const states: unknown[] = [];
  zg.on("roomStateChanged", (...args) => states.push(args));
  await zg.loginRoom("r1", "t", { userID: "a" });
  network.current!.push({ op: "roomState", roomId: "r1", reason: 6, errorCode: 1002055, extendedData: "spam" });
  assert.deepEqual(states.at(-1), ["r1", "KICKOUT", 1002055, "spam"]);
  assert.deepEqual(zg.roomIDs, []);
  zg.destroyEngine();
});

test("after a drop it reconnects with backoff and logs back into every room with the same token", async () => {
  const network = new FakeNetwork();
  const zg = engine(network);
  const states: string[] = [];
  zg.on("roomStateChanged", (roomID, reason) => states.push(`${roomID}:${reason}`));
  await zg.loginRoom("r1", "t1", { userID: "a" });
  await zg.loginRoom("r2", "t2", { userID: "a" });
  await zg.renewToken("t1b", "r1");
  network.accept = false; // the first attempts fail: backoff goes on
  network.current!.drop();
  await waitFor(() => network.sockets.length >= 4, "failed reconnect attempts");
  network.accept = true;
  await waitFor(() => states.filter((s) => s.endsWith("RECONNECTED")).length === 2, "both rooms reconnected");
  assert.deepEqual(states.filter((s) => !s.endsWith("LOGINING") && !s.endsWith("LOGINED")), ["r1:RECONNECTING", "r2:RECONNECTING", "r1:RECONNECTED", "r2:RECONNECTED"]);
  const relogins = network.requests("login").slice(2);
  assert.deepEqual(relogins.map((f) => [f.roomId, f.token]), [["r1", "t1b"], ["r2", "t2"]]);
  assert.ok(zg.isConnected);
  zg.destroyEngine();
});

test("a room whose login is refused after the reconnect gets RECONNECT_FAILED; giving up reports it for every room", async () => {
  const network = new FakeNetwork();
  const zg = engine(network, { reconnectGiveUpAfterMs: 60 });
  const states: string[] = [];
  zg.on("roomStateChanged", (roomID, reason, code) => states.push(`${roomID}:${reason}:${code}`));
  await zg.loginRoom("r1", "t1", { userID: "a" });
  await zg.loginRoom("r2", "t2", { userID: "a" });
  network.responder = (f) => ({ op: "result", rid: f.rid, errorCode: f.roomId === "r2" ? 1002078 : 0, error: "token has expired" });
  network.current!.drop();
  await waitFor(() => states.some((s) => s.startsWith("r2:RECONNECT_FAILED")), "r2 refused");
  assert.ok(states.includes("r1:RECONNECTED:0"));
  assert.ok(states.includes("r2:RECONNECT_FAILED:1002078"));
  assert.deepEqual(zg.roomIDs, ["r1"]);

  network.accept = false;
  network.current!.drop();
  await waitFor(() => states.includes("r1:RECONNECT_FAILED:1009010"), "give up");
  assert.deepEqual(zg.roomIDs, []);
  const attempts = network.sockets.length;
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(network.sockets.length, attempts, "no attempts after giving up");
  zg.destroyEngine();
});

test("requests under way when the connection drops fail with 1009010; after destroyEngine every method rejects", async () => {
  const network = new FakeNetwork();
  const zg = engine(network);
  await zg.loginRoom("r1", "t", { userID: "a" });
  network.responder = (f, socket) => {
    if (f.op === "broadcast") socket.drop();
    return undefined;
  };
  await assert.rejects(zg.sendBroadcastMessage("r1", "hi"), { code: 1009010 });
  zg.destroyEngine();
  await assert.rejects(zg.sendBroadcastMessage("r1", "hi"), { code: 1009010 });
  await assert.rejects(zg.loginRoom("r1", "t", { userID: "a" }), { code: 1009010 });
});

test("the heartbeat pings at the interval from hello, and a silent server is dropped and reconnected", async () => {
  const network = new FakeNetwork();
  network.hello = { op: "hello", version: 1, heartbeatMs: 10, maxFrameBytes: 16384, maxTextBytes: 2048 };
  const zg = engine(network, { serverSilenceTimeoutMs: 60 });
  const states: string[] = [];
  zg.on("roomStateChanged", (_r, reason) => states.push(reason));
  await zg.loginRoom("r1", "t", { userID: "a" });
  await waitFor(() => network.requests("ping").length >= 2, "pings");
  network.responder = (f) => (f.op === "ping" ? undefined : { op: "result", rid: f.rid, errorCode: 0 }); // pings unanswered: silence
  await waitFor(() => states.includes("RECONNECTING"), "silence detected");
  network.responder = (f) => (f.op === "ping" ? { op: "pong", rid: f.rid } : { op: "result", rid: f.rid, errorCode: 0 });
  await waitFor(() => states.includes("RECONNECTED"), "reconnected");
  zg.destroyEngine();
});

test("Express web's other names: roomStateUpdate follows each roomStateChanged as a state, tokenWillExpire follows roomTokenWillExpire", async () => {
  const network = new FakeNetwork();
  network.responder = (f) => ({ op: "result", rid: f.rid, errorCode: 0, roomId: f.roomId, users: [], count: 1 });
  const zg = engine(network);
  const seen: unknown[][] = [];
  zg.on("roomStateChanged", (roomID, reason, code) => seen.push(["changed", roomID, reason, code]));
  zg.on("roomStateUpdate", (roomID, state, code, extended) => seen.push(["update", roomID, state, code, extended]));
  zg.on("roomTokenWillExpire", (roomID, left) => seen.push(["roomTokenWillExpire", roomID, left]));
  zg.on("tokenWillExpire", (roomID) => seen.push(["tokenWillExpire", roomID]));
  await zg.loginRoom("r1", "t", { userID: "a" });
  assert.deepEqual(seen, [
    ["changed", "r1", ZegoRoomStateChangedReason.Logining, 0],
    ["update", "r1", "CONNECTING", 0, ""],
    ["changed", "r1", "LOGINED", 0],
    ["update", "r1", "CONNECTED", 0, ""],
  ]);
  seen.length = 0;
  network.current!.push({ op: "tokenWillExpire", roomId: "r1", secondsLeft: 30 });
  assert.deepEqual(seen, [["roomTokenWillExpire", "r1", 30], ["tokenWillExpire", "r1"]]);
  seen.length = 0;
  network.current!.push({ op: "roomState", roomId: "r1", reason: 6, errorCode: 1002055, extendedData: "spam" });
  assert.deepEqual(seen, [["changed", "r1", "KICKOUT", 1002055], ["update", "r1", "DISCONNECTED", 1002055, "spam"]]);
  zg.destroyEngine();
});

test("getVersion names this client; setLogConfig and setDebugVerbose are accepted (the client writes no log)", () => {
  const zg = engine(new FakeNetwork());
  assert.equal(zg.getVersion(), ZegoExpressVersion);
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  assert.equal(zg.getVersion(), `chorus-client-${pkg.version}`, "the version is the package's");
  assert.equal(zg.setLogConfig({ logLevel: "disable", remoteLogLevel: "disable" }), true);
  assert.equal(zg.setDebugVerbose(false), undefined);
  zg.destroyEngine();
});
