// The protocol conformance script: one scripted exchange (room login, custom command, broadcast, chat peer send with
// its acknowledgment, history, conversation list, unread clear, a group and a chat room message, a read receipt, and
// refusals with their codes) run through this
// package against a real Chorus server. It prints one transcript line per step or event, "T <text>", in a fixed
// order; tests/Chorus.IntegrationTests/JsClient/ConformanceTests.cs runs the same exchange through the C# SDK and
// compares the two transcripts line for line. Values that differ between runs (ids, times) are written as the
// properties the protocol promises (an id above 2^53 that equals the sender's acknowledgment...).
//
// Usage: node conformance/run.mjs '{"server":"http://127.0.0.1:PORT","appId":N,"tokens":{"alice":"04...","bob":"04..."}}'
// Exit code 0 when the script ran to its end, 1 when a step failed (the reason on stderr).
import WebSocket from "ws";
import { ZegoExpressEngine, ZIM, ZIMConversationType, ZIMMessageType } from "../dist/index.js";

const config = JSON.parse(process.argv[2] ?? "{}");
const options = { WebSocket, requestTimeoutMs: 5000, connectTimeoutMs: 5000 };
const EventDeadlineMs = 5000;
const TwoTo53 = 9007199254740992n;

const transcript = (line) => process.stdout.write(`T ${line}\n`);
const isBigId = (id) => /^\d+$/.test(id) && BigInt(id) > TwoTo53;

/** An inbox of events of one kind: wait for the next one that matches, with a deadline. */
class Inbox {
  items = [];
  waiters = [];
  push = (...args) => {
    this.items.push(args);
    for (const w of [...this.waiters]) w();
  };
  next(what, match = () => true) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const i = this.items.findIndex((args) => match(...args));
        if (i < 0) return false;
        const [found] = this.items.splice(i, 1);
        this.waiters = this.waiters.filter((w) => w !== check);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`no ${what} within ${EventDeadlineMs} ms`));
      }, EventDeadlineMs);
      if (!check()) this.waiters.push(check);
    });
  }
}

async function refusedCode(promise) {
  try {
    await promise;
    return "none";
  } catch (error) {
    return String(error?.code);
  }
}

const engines = [];
const zims = [];

async function main() {
  const room = "conformance-room";
  const alice = new ZegoExpressEngine(config.appId, config.server, options);
  const bob = new ZegoExpressEngine(config.appId, config.server, options);
  const carol = new ZegoExpressEngine(config.appId, config.server, options);
  engines.push(alice, bob, carol);
  const aliceUsers = new Inbox();
  const bobCommands = new Inbox();
  const aliceBroadcasts = new Inbox();
  alice.on("roomUserUpdate", aliceUsers.push);
  bob.on("IMRecvCustomCommand", bobCommands.push);
  alice.on("IMRecvBroadcastMessage", aliceBroadcasts.push);

  // rooms
  await alice.loginRoom(room, config.tokens.alice, { userID: "alice", userName: "Alice" });
  transcript("room.login alice ok");
  await bob.loginRoom(room, config.tokens.bob, { userID: "bob", userName: "Bob" });
  transcript("room.login bob ok");
  const [, addType, added] = await aliceUsers.next("roomUserUpdate for bob", (_r, type, users) => users.some((u) => u.userID === "bob"));
  transcript(`alice roomUserUpdate ${addType} ${added.map((u) => `${u.userID}/${u.userName}`).join(",")}`);

  await alice.sendCustomCommand(room, "hello bob", ["bob"]);
  transcript("alice customCommand ok");
  const [cmdRoom, cmdFrom, cmdText] = await bobCommands.next("custom command");
  transcript(`bob IMRecvCustomCommand room=${cmdRoom} from=${cmdFrom.userID}/${cmdFrom.userName} command=${cmdText}`);

  const sentBroadcast = await bob.sendBroadcastMessage(room, "hi room");
  transcript(`bob broadcast ok idAbove2^53=${isBigId(sentBroadcast.messageID)}`);
  const [bcRoom, bcList] = await aliceBroadcasts.next("broadcast");
  transcript(`alice IMRecvBroadcastMessage room=${bcRoom} from=${bcList[0].fromUser.userID} message=${bcList[0].message} sameIdAsSender=${bcList[0].messageID === sentBroadcast.messageID}`);

  transcript(`room.login carol badToken refused code=${await refusedCode(carol.loginRoom(room, "not-a-token", { userID: "carol" }))}`);
  transcript(`alice customCommand 1025 bytes refused code=${await refusedCode(alice.sendCustomCommand(room, "x".repeat(1025), []))}`);
  transcript(`bob customCommand other room refused code=${await refusedCode(bob.sendCustomCommand("another-room", "x", []))}`);

  // chat
  const zimAlice = ZIM.create({ appID: config.appId, server: config.server }, options);
  const zimBob = ZIM.create({ appID: config.appId, server: config.server }, options);
  const zimCarol = ZIM.create({ appID: config.appId, server: config.server }, options);
  zims.push(zimAlice, zimBob, zimCarol);
  const bobPeer = new Inbox();
  const bobUnread = new Inbox();
  zimBob.on("peerMessageReceived", bobPeer.push);
  zimBob.on("conversationTotalUnreadMessageCountUpdated", bobUnread.push);

  await zimAlice.login("alice", { userName: "Alice", token: config.tokens.alice });
  transcript("chat.login alice ok");
  await zimBob.login("bob", { userName: "Bob", token: config.tokens.bob });
  transcript("chat.login bob ok");

  let attached = null;
  const { message: ack } = await zimAlice.sendMessage({ type: ZIMMessageType.Text, message: "hello bob" }, "bob", ZIMConversationType.Peer, {}, {
    onMessageAttached: (m) => (attached = m.localMessageID),
  });
  transcript(`alice sendMessage ok seq=${ack.conversationSeq} idAbove2^53=${isBigId(ack.messageID)} attachedFirst=${attached === ack.localMessageID}`);
  const [, received] = await bobPeer.next("peer message");
  const got = received.messageList[0];
  transcript(`bob peerMessageReceived from=${received.fromConversationID} sender=${got.senderUserID} text=${got.message} seq=${got.conversationSeq} sameIdAsAck=${got.messageID === ack.messageID} offline=${received.info.isOfflineMessage}`);

  const history = await zimBob.queryHistoryMessage("alice", ZIMConversationType.Peer, { count: 10, reverse: true });
  transcript(`bob history ${history.messageList.map((m) => `[seq=${m.conversationSeq} sender=${m.senderUserID} text=${m.message} sameIdAsAck=${m.messageID === ack.messageID}]`).join(" ")}`);

  const before = await zimBob.queryConversationList({ count: 10 });
  transcript(`bob conversations ${before.conversationList.map((c) => `[${c.conversationID} type=${c.type} unread=${c.unreadMessageCount}]`).join(" ")}`);

  await zimBob.clearConversationUnreadMessageCount("alice", ZIMConversationType.Peer);
  transcript("bob clearUnread ok");
  const [, total] = await bobUnread.next("unread total 0", (_z, data) => data.totalUnreadMessageCount === 0);
  transcript(`bob unreadTotal=${total.totalUnreadMessageCount}`);
  const after = await zimBob.queryConversationList({ count: 10 });
  transcript(`bob conversations ${after.conversationList.map((c) => `[${c.conversationID} type=${c.type} unread=${c.unreadMessageCount}]`).join(" ")}`);

  // groups, chat rooms, receipts
  const bobGroup = new Inbox();
  const aliceRoom = new Inbox();
  const aliceReceipts = new Inbox();
  zimBob.on("groupMessageReceived", bobGroup.push);
  zimAlice.on("roomMessageReceived", aliceRoom.push);
  zimAlice.on("messageReceiptChanged", aliceReceipts.push);

  const { groupInfo } = await zimAlice.createGroup({ groupID: "conf-group", groupName: "Conf" }, ["bob"]);
  transcript(`alice createGroup ok id=${groupInfo.baseInfo.groupID} name=${groupInfo.baseInfo.groupName} owner=${groupInfo.ownerUserID} members=${groupInfo.memberCount}`);
  const { message: groupAck } = await zimAlice.sendMessage({ type: ZIMMessageType.Text, message: "hello group" }, "conf-group", ZIMConversationType.Group);
  transcript(`alice sendMessage group ok seq=${groupAck.conversationSeq}`);
  const [, groupReceived] = await bobGroup.next("group message");
  const g = groupReceived.messageList[0];
  transcript(`bob groupMessageReceived from=${groupReceived.fromConversationID} sender=${g.senderUserID} text=${g.message} seq=${g.conversationSeq} sameIdAsAck=${g.messageID === groupAck.messageID}`);
  const members = await zimBob.queryGroupMemberList("conf-group");
  transcript(`bob groupMembers ${members.userList.map((u) => u.userID).sort().join(",")}`);

  const aliceEntered = await zimAlice.enterRoom({ roomID: "conf-chat-room", roomName: "Chat" });
  transcript(`alice enterRoom ok count=${aliceEntered.roomInfo.memberCount}`);
  const bobEntered = await zimBob.enterRoom({ roomID: "conf-chat-room", roomName: "Chat" });
  transcript(`bob enterRoom ok count=${bobEntered.roomInfo.memberCount}`);
  await zimBob.sendMessage({ type: ZIMMessageType.Text, message: "hello room" }, "conf-chat-room", ZIMConversationType.Room);
  transcript("bob sendMessage room ok");
  const [, roomReceived] = await aliceRoom.next("room message");
  transcript(`alice roomMessageReceived from=${roomReceived.fromConversationID} sender=${roomReceived.messageList[0].senderUserID} text=${roomReceived.messageList[0].message}`);

  const { message: receiptAck } = await zimAlice.sendMessage({ type: ZIMMessageType.Text, message: "read me" }, "bob", ZIMConversationType.Peer, { hasReceipt: true });
  const [, readMe] = await bobPeer.next("peer message with receipt", (_z, data) => data.messageList[0].message === "read me");
  transcript(`bob peerMessageReceived text=${readMe.messageList[0].message} seq=${readMe.messageList[0].conversationSeq} receiptStatus=${readMe.messageList[0].receiptStatus}`);
  await zimBob.sendMessageReceiptsRead(readMe.messageList, "alice", ZIMConversationType.Peer);
  transcript("bob sendMessageReceiptsRead ok");
  const [, receipts] = await aliceReceipts.next("receipt");
  transcript(`alice messageReceiptChanged conversation=${receipts.infos[0].conversationID} reader=${receipts.infos[0].readerUserID} sameIdAsSent=${receipts.infos[0].messageID === receiptAck.messageID}`);

  transcript(`bob revoke alice's message refused code=${await refusedCode(zimBob.revokeMessage(ack))}`);
  transcript(`chat.login carol badToken refused code=${await refusedCode(zimCarol.login("carol", { token: "not-a-token" }))}`);
  transcript(`alice sendMessage to bad group id refused code=${await refusedCode(zimAlice.sendMessage({ type: 1, message: "x" }, "g".repeat(33), ZIMConversationType.Group))}`);
  transcript("end");
}

let exitCode = 0;
try {
  await main();
} catch (error) {
  process.stderr.write(`conformance step failed: ${error?.stack ?? JSON.stringify(error)}\n`);
  exitCode = 1;
} finally {
  for (const e of engines) e.destroyEngine();
  for (const z of zims) z.destroy();
}
process.exit(exitCode);
