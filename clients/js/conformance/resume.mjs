// Reconnect and resume of the TypeScript client against a real Chorus server: alice's connections go through a
// loopback TCP proxy in this script that drops them and refuses new ones for a while; meanwhile bob (connected
// directly) sends her chat messages. When the proxy lets her back in, alice must log back into her room and her chat
// by herself, get the missed messages once each and in order (as offline messages), then live ones, and room traffic
// again. Prints "T <text>" lines in a fixed order (tests/Chorus.IntegrationTests/JsClient/ResumeTests.cs compares them
// with the expected ones).
//
// Usage: node conformance/resume.mjs '{"server":"http://127.0.0.1:PORT","appId":N,"tokens":{"alice":"04...","bob":"04..."}}'
import net from "node:net";
import WebSocket from "ws";
import { ZegoExpressEngine, ZIM, ZIMConversationType, ZIMMessageType } from "../dist/index.js";

const config = JSON.parse(process.argv[2] ?? "{}");
const DeadlineMs = 10000;
const transcript = (line) => process.stdout.write(`T ${line}\n`);

/** A loopback TCP proxy to the server that can drop every connection and refuse new ones. */
function startProxy(target) {
  const sockets = new Set();
  const proxy = { refuse: false, server: null, port: 0 };
  proxy.server = net.createServer((client) => {
    if (proxy.refuse) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(target.port), "127.0.0.1");
    for (const [a, b] of [[client, upstream], [upstream, client]]) {
      sockets.add(a);
      a.on("error", () => b.destroy());
      a.on("close", () => {
        sockets.delete(a);
        b.destroy();
      });
      a.pipe(b);
    }
  });
  proxy.dropAll = () => {
    for (const s of [...sockets]) s.destroy();
  };
  return new Promise((resolve) => proxy.server.listen(0, "127.0.0.1", () => resolve(Object.assign(proxy, { port: proxy.server.address().port }))));
}

async function until(what, predicate) {
  const deadline = Date.now() + DeadlineMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const closers = [];

async function main() {
  const target = new URL(config.server);
  const proxy = await startProxy(target);
  closers.push(() => proxy.server.close());
  const viaProxy = `http://127.0.0.1:${proxy.port}`;
  const fast = { WebSocket, requestTimeoutMs: 5000, connectTimeoutMs: 5000, reconnectMinDelayMs: 50, reconnectMaxDelayMs: 200 };
  const room = "resume-room";

  const alice = new ZegoExpressEngine(config.appId, viaProxy, fast);
  const bob = new ZegoExpressEngine(config.appId, config.server, fast);
  const zimAlice = ZIM.create({ appID: config.appId, server: viaProxy }, fast);
  const zimBob = ZIM.create({ appID: config.appId, server: config.server }, fast);
  closers.push(() => alice.destroyEngine(), () => bob.destroyEngine(), () => zimAlice.destroy(), () => zimBob.destroy());

  const roomStates = [];
  const chatStates = [];
  const received = [];
  const commands = [];
  alice.on("roomStateChanged", (_roomID, reason) => roomStates.push(reason));
  zimAlice.on("connectionStateChanged", (_zim, { state }) => chatStates.push(state));
  zimAlice.on("peerMessageReceived", (_zim, { messageList, info }) => {
    for (const m of messageList) received.push(`alice received ${m.message} seq=${m.conversationSeq} offline=${info.isOfflineMessage}`);
  });
  alice.on("IMRecvCustomCommand", (_roomID, fromUser, command) => commands.push(`alice IMRecvCustomCommand from=${fromUser.userID} command=${command}`));

  await alice.loginRoom(room, config.tokens.alice, { userID: "alice" });
  await bob.loginRoom(room, config.tokens.bob, { userID: "bob" });
  await zimAlice.login("alice", { token: config.tokens.alice });
  await zimBob.login("bob", { token: config.tokens.bob });
  transcript("setup ok");

  const send = async (text) => (await zimBob.sendMessage({ type: ZIMMessageType.Text, message: text }, "alice", ZIMConversationType.Peer)).message.conversationSeq;
  await send("m0");
  await until("m0", () => received.length === 1);
  transcript(received[0]);

  proxy.refuse = true;
  proxy.dropAll();
  await until("RECONNECTING", () => roomStates.includes("RECONNECTING") && chatStates.includes(3));
  transcript("dropped: room RECONNECTING, chat Reconnecting");

  const seqs = [await send("m1"), await send("m2"), await send("m3")];
  transcript(`bob sent m1..m3 seq=${seqs.join(",")}`);
  await new Promise((resolve) => setTimeout(resolve, 300)); // a few refused reconnect attempts
  proxy.refuse = false;

  await until("RECONNECTED", () => roomStates.includes("RECONNECTED") && chatStates.at(-1) === 2);
  transcript("restored: room RECONNECTED, chat Connected");
  await until("m1..m3", () => received.length >= 4);
  for (const line of received.slice(1, 4)) transcript(line);

  await send("m4");
  await until("m4", () => received.length >= 5);
  transcript(received[4]);
  await bob.sendCustomCommand(room, "still here", ["alice"]);
  await until("custom command", () => commands.length >= 1);
  transcript(commands[0]);
  await new Promise((resolve) => setTimeout(resolve, 100)); // nothing delivered twice
  transcript(`deliveries=${received.length}`);
  transcript("end");
}

let exitCode = 0;
try {
  await main();
} catch (error) {
  process.stderr.write(`resume step failed: ${error?.stack ?? JSON.stringify(error)}\n`);
  exitCode = 1;
} finally {
  for (const close of closers.reverse()) {
    try {
      close();
    } catch {
      /* closing anyway */
    }
  }
}
process.exit(exitCode);
