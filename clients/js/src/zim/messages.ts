/**
 * Messages: send, history, delete, revoke, read receipts, and the delivery of live messages in conversation order.
 *
 * Messages of every conversation reach the application once each and in conversation order: the client keeps the
 * last sequence number it delivered per conversation; after a gap or a reconnect it pulls what it missed from history,
 * holding back live messages that arrive meanwhile, then delivers in order (deduplicated by messageID), as the C#
 * SDK's ChorusChatClient does.
 */
import { type Frame, Int64, idString, num, str, utf8Length } from "../codec.js";
import { ZIMErrorCode, ChorusError } from "../errors.js";
import {
  MaxCommandBytes,
  MaxExtendedDataBytes,
  MaxHistoryCount,
  MaxMentionedUsers,
  MaxReceiptMessages,
  MaxSearchedContentBytes,
  conversationProblem,
  messageIdsProblem,
  pageCountProblem,
  storedConversationProblem,
} from "../limits.js";
import { type ResultDecoders, noResult } from "../table.js";
import { conversationResults } from "./conversations.js";
import type { ChatFeature, ChatSession } from "./session.js";
import {
  ZIMConversationType,
  type ZIMMessage,
  ZIMMessageDirection,
  type ZIMMessageInput,
  ZIMMessageReceiptStatus,
  type ZIMMessageQueryConfig,
  type ZIMMessageSendConfig,
  type ZIMMessageSendNotification,
  ZIMMessageSentStatus,
  ZIMMessageType,
} from "./types.js";
import { type WireMessage, fill, fromWire, toWire, wireList } from "./wire.js";

/** The results of the messages' ops, as the methods read them. */
export const messageResults = {
  sendMessage: (reply: Frame) => reply.message as WireMessage | undefined,
  queryHistory: (reply: Frame) => wireList(reply.messages),
  deleteMessages: noResult,
  deleteAllMessages: noResult,
  revokeMessage: (reply: Frame, me: string) => (reply.message ? fromWire(reply.message as WireMessage, me) : undefined),
  sendReceiptsRead: noResult,
} satisfies ResultDecoders<string>;

let lastLocalId = 0;
/** Unique per page and increasing: the clock in ms times 1000 plus a counter (below 2^53 until the year 2255). */
function nextLocalMessageId(): string {
  lastLocalId = Math.max(lastLocalId + 1, Date.now() * 1000);
  return String(lastLocalId);
}

function idsProblem(ids: unknown[]): string | null {
  return ids.every((id) => typeof id === "string" && /^\d{1,19}$/.test(id)) ? null : "messageID must be a message's id (a decimal string)";
}

/** The ids as the wire's int64s, once {@link idsProblem} found nothing wrong with them (none otherwise: nothing is sent). */
function int64s(ids: (string | undefined)[], problem: string | null): Int64[] {
  return problem === null ? ids.map((id) => new Int64(id!)) : [];
}

/** The events a received message fires, per conversation kind: ZIM's current name, then its older one. */
const ReceivedEvents = {
  peer: ["peerMessageReceived", "receivePeerMessage"],
  group: ["groupMessageReceived", "receiveGroupMessage"],
  room: ["roomMessageReceived", "receiveRoomMessage"],
} as const;

/** What the message ops need of a message: its id (optional in ZIM's `ZIMMessage`; a message without one is refused with 6000001). */
export type MessageRef = { messageID?: string };

export class Messages implements ChatFeature {
  private readonly cursors = new Map<string, ConversationCursor>();
  // What the conversation cursors need of this client (kept off its public surface).
  private readonly cursorHost: CursorHost = {
    request: (frame) => this.session.request(frame),
    deliver: (type, conversationID, messageList, isOfflineMessage) => this.deliver(type, conversationID, messageList, isOfflineMessage),
    disposed: () => this.session.channel.disposed,
    myUserID: () => this.session.me,
  };

  constructor(private readonly session: ChatSession) {
    session.add({
      chatMessage: (frame) => {
        const w = frame.message as WireMessage | undefined;
        if (!w) return;
        const seq = num(w.conversationSeq);
        if (seq > 0) this.cursor(num(w.conversationType), str(w.conversationId)).accept(w, false);
        else this.deliver(num(w.conversationType), str(w.conversationId), [fromWire(w, this.session.me)], false); // command, barrage: unsequenced
      },
      receiptChanged: (frame) => {
        const conversationID = str(frame.convId);
        const conversationType = num(frame.convType);
        const ids = Array.isArray(frame.messageIds) ? frame.messageIds.map(idString) : [];
        this.session.emit("messageReceiptChanged", {
          infos: ids.map((messageID) => ({
            conversationID,
            conversationType,
            messageID,
            status: ZIMMessageReceiptStatus.Done,
            readMemberCount: 1,
            unreadMemberCount: 0,
            readerUserID: str(frame.fromUserId),
          })),
        });
      },
      messageRevoked: (frame) => {
        const w = frame.message as WireMessage | undefined;
        if (w) this.session.emit("messageRevokeReceived", { messageList: [fromWire(w, this.session.me)] });
      },
    }, this);
  }

  async sendMessage(
    message: ZIMMessageInput,
    toConversationID: string,
    conversationType: ZIMConversationType,
    config?: ZIMMessageSendConfig,
    notification?: ZIMMessageSendNotification,
  ): Promise<{ message: ZIMMessage }> {
    const s = this.session;
    s.throwIfDestroyed();
    const local: ZIMMessage = {
      type: message?.type,
      message: message?.message ?? "",
      messageID: "0",
      localMessageID: message?.localMessageID ?? nextLocalMessageId(),
      senderUserID: s.user?.userID ?? "",
      conversationID: toConversationID,
      conversationType,
      direction: ZIMMessageDirection.Send,
      sentStatus: ZIMMessageSentStatus.Sending,
      timestamp: 0,
      conversationSeq: 0,
      orderKey: 0,
      isUserInserted: false,
      receiptStatus: ZIMMessageReceiptStatus.None,
      extendedData: message?.extendedData ?? "",
      subType: message?.type === ZIMMessageType.Custom ? (message.subType ?? 0) : undefined,
      searchedContent: message?.searchedContent,
      mentionedUserIDs: message?.mentionedUserIDs ?? [],
    };
    // As ZIM does, the app's own message object follows the send: it gets the local id now (so that sending the same
    // object again is a retry, never stored twice) and the server's id, time, order and status once answered.
    const follow = (fields: Partial<ZIMMessage>) => {
      if (message !== null && typeof message === "object" && !Object.isFrozen(message)) Object.assign(message, fields);
    };
    follow({ localMessageID: local.localMessageID, sentStatus: ZIMMessageSentStatus.Sending });
    const wire = toWire(local, config);
    const problem = conversationProblem(toConversationID, conversationType) ?? messageProblem(local, conversationType, s.channel.maxTextBytes);
    if (problem !== null) {
      local.sentStatus = ZIMMessageSentStatus.Failed;
      follow({ sentStatus: ZIMMessageSentStatus.Failed });
      throw new ChorusError(ZIMErrorCode.BadParameter, problem);
    }
    notification?.onMessageAttached?.(local);
    const cursor = this.cursor(conversationType, toConversationID);
    cursor.beginSend();
    try {
      const reply = await s.request({ op: "sendMessage", convType: conversationType, convId: toConversationID, message: wire });
      const code = num(reply.errorCode);
      const stored = messageResults.sendMessage(reply);
      if (code !== 0 || !stored) {
        local.sentStatus = ZIMMessageSentStatus.Failed;
        follow({ sentStatus: ZIMMessageSentStatus.Failed });
        throw new ChorusError(code || ZIMErrorCode.BadParameter, str(reply.error));
      }
      fill(local, stored, s.me);
      follow({
        messageID: local.messageID, timestamp: local.timestamp, sentStatus: local.sentStatus, orderKey: local.orderKey,
        conversationSeq: local.conversationSeq, senderUserID: local.senderUserID, conversationID: local.conversationID,
        conversationType: local.conversationType, direction: local.direction,
      });
      if (local.conversationSeq > 0) cursor.accept(stored, false);
      return { message: local };
    } finally {
      cursor.endSend();
    }
  }

  async queryHistoryMessage(
    conversationID: string,
    conversationType: ZIMConversationType,
    config: ZIMMessageQueryConfig,
  ): Promise<{ conversationID: string; conversationType: ZIMConversationType; messageList: ZIMMessage[] }> {
    const count = config?.count ?? 20;
    // ZIM's reverse (true: from the latest message back) is the wire's newer→older page (reverse: false), and the other
    // way round; the wire's newer→older page comes newest first and is turned to ZIM's oldest-first order.
    const fromLatest = config?.reverse ?? false;
    const next = config?.nextMessage;
    const anchorProblem = next && !(Number.isInteger(next.conversationSeq) && (next.conversationSeq as number) > 0)
      ? "nextMessage must be a stored message this client returned (it has a conversationSeq)" : null;
    const page = await this.session.call(messageResults, "queryHistory", conversationProblem(conversationID, conversationType) ?? pageCountProblem(count) ?? anchorProblem, {
      convType: conversationType,
      convId: conversationID,
      count,
      reverse: !fromLatest,
      nextSeq: next ? next.conversationSeq : undefined,
    });
    const messageList = page.map((w) => fromWire(w, this.session.me));
    if (fromLatest) messageList.reverse();
    return { conversationID, conversationType, messageList };
  }

  async deleteMessages(
    messageList: MessageRef[],
    conversationID: string,
    conversationType: ZIMConversationType,
  ): Promise<{ conversationID: string; conversationType: ZIMConversationType; messageList: MessageRef[] }> {
    const ids = (messageList ?? []).map((m) => m?.messageID);
    const problem = storedConversationProblem(conversationID, conversationType) ?? messageIdsProblem(ids.length, MaxHistoryCount) ?? idsProblem(ids);
    await this.session.call(messageResults, "deleteMessages", problem, {
      convType: conversationType,
      convId: conversationID,
      messageIds: int64s(ids, problem),
    });
    return { conversationID, conversationType, messageList };
  }

  async deleteAllMessage(conversationID: string, conversationType: ZIMConversationType): Promise<{ conversationID: string; conversationType: ZIMConversationType }> {
    await this.session.call(messageResults, "deleteAllMessages", storedConversationProblem(conversationID, conversationType), { convType: conversationType, convId: conversationID });
    return { conversationID, conversationType };
  }

  async revokeMessage(message: MessageRef): Promise<{ message: ZIMMessage }> {
    const ids = [message?.messageID];
    const problem = idsProblem(ids);
    const revoked = await this.session.call(messageResults, "revokeMessage", problem, { messageIds: int64s(ids, problem) });
    return { message: revoked ?? { ...(message as ZIMMessage), type: ZIMMessageType.Revoke } };
  }

  async sendMessageReceiptsRead(
    messageList: MessageRef[],
    conversationID: string,
    conversationType: ZIMConversationType,
  ): Promise<{ conversationID: string; conversationType: ZIMConversationType; errorMessageIDs: string[] }> {
    const ids = (messageList ?? []).map((m) => m?.messageID);
    const problem = storedConversationProblem(conversationID, conversationType) ?? messageIdsProblem(ids.length, MaxReceiptMessages) ?? idsProblem(ids);
    await this.session.call(messageResults, "sendReceiptsRead", problem, {
      convType: conversationType,
      convId: conversationID,
      messageIds: int64s(ids, problem),
    });
    return { conversationID, conversationType, errorMessageIDs: [] };
  }

  /** Live messages of a conversation start after `seq` (a chat room's history is not replayed on entry). */
  startAt(type: ZIMConversationType, conversationID: string, seq: number): void {
    this.cursor(type, conversationID).startAt(seq);
  }

  loggedIn(): void {
    this.cursors.clear();
  }

  /** Brings every conversation up to date: what was missed (or is unread, for one not seen yet) is pulled and delivered as offline messages. */
  async catchUp(): Promise<void> {
    const list = await this.session.request({ op: "queryConversations", count: MaxHistoryCount });
    const syncs: Promise<void>[] = [];
    for (const c of conversationResults.queryConversations(list, this.session.me)) {
      const cursor = this.cursor(c.type, c.conversationID, c.maxSeq - c.unreadMessageCount);
      syncs.push(cursor.sync());
    }
    for (const roomID of this.session.rooms) syncs.push(this.cursor(ZIMConversationType.Room, roomID).sync());
    await Promise.all(syncs);
  }

  private deliver(type: ZIMConversationType, conversationID: string, messageList: ZIMMessage[], isOfflineMessage: boolean): void {
    const [event, older] = type === ZIMConversationType.Group ? ReceivedEvents.group : type === ZIMConversationType.Room ? ReceivedEvents.room : ReceivedEvents.peer;
    this.session.emit(event, { messageList, info: { isOfflineMessage }, fromConversationID: conversationID });
    // ZIM's older name (deprecated there, still used by its samples), right after, with its payload.
    this.session.emit(older, { messageList, fromConversationID: conversationID });
  }

  private cursor(type: ZIMConversationType, conversationID: string, startAt = -1): ConversationCursor {
    const key = `${type}\u0000${conversationID}`;
    let cursor = this.cursors.get(key);
    if (!cursor) this.cursors.set(key, (cursor = new ConversationCursor(this.cursorHost, type, conversationID, startAt)));
    return cursor;
  }
}

/** What a {@link ConversationCursor} needs of its client. */
export interface CursorHost {
  request(frame: Frame): Promise<Frame>;
  deliver(type: ZIMConversationType, conversationID: string, messageList: ZIMMessage[], isOfflineMessage: boolean): void;
  disposed(): boolean;
  myUserID(): string;
}

/**
 * Delivery order of one conversation: the last sequence number delivered, messages held back while a gap is filled
 * from history, and the messageIDs already delivered.
 */
export class ConversationCursor {
  private readonly held = new Map<number, { message: WireMessage; offline: boolean }>();
  private readonly delivered = new Set<string>();
  private readonly deliveredOrder: string[] = [];
  private syncing = false;
  private sending = 0;
  /** Until when a lasting refusal (no access to the conversation) stops history pulls (ms since the epoch). */
  private refusedUntil = 0;
  static readonly MaxSyncRetries = 5;
  /**
   * Most live messages held back behind a gap. Past it (a gap history cannot fill, e.g. access to the conversation
   * was lost), what is held is delivered in order, skipping the gap, so memory stays bounded and messages still arrive.
   */
  static readonly MaxHeld = 1000;
  /** How long a lasting refusal stops further history pulls of the conversation. */
  static readonly RefusalPauseMs = 30_000;

  constructor(
    private readonly owner: CursorHost,
    private readonly type: ZIMConversationType,
    private readonly conversationID: string,
    /** The last sequence number delivered; -1: not known yet (the first live message sets it). */
    public last: number,
  ) {}

  /** A send to this conversation starts: a gap may be its own message, whose acknowledgment is on the way. */
  beginSend(): void {
    this.sending++;
  }

  /** A send ended (its acknowledgment, if any, was accepted): a gap still open now is real. */
  endSend(): void {
    if (--this.sending > 0) return;
    if (this.held.size > 0) void this.sync();
  }

  startAt(seq: number): void {
    if (this.last < 0) this.last = seq;
  }

  accept(message: WireMessage, offline: boolean): void {
    const seq = num(message.conversationSeq);
    if (this.last < 0) this.last = seq - 1;
    if (seq <= this.last || this.delivered.has(idString(message.messageId))) return;
    if (!this.held.has(seq)) this.held.set(seq, { message, offline });
    this.flush(this.drain(this.held.size > ConversationCursor.MaxHeld ? Number.POSITIVE_INFINITY : -1));
    // A live message can overtake the acknowledgment of one's own send just before it: that gap closes by itself,
    // so history is pulled only when no send is pending (else endSend does it).
    if (this.held.size > 0 && this.sending === 0) void this.sync();
  }

  /** Pulls history after the last delivered message until there is no gap, then delivers in order. */
  async sync(): Promise<void> {
    if (this.syncing || Date.now() < this.refusedUntil) return;
    this.syncing = true;
    let failures = 0;
    let rereads = 0;
    try {
      while (!this.owner.disposed()) {
        const from = Math.max(this.last, 0);
        const reply = await this.owner.request({ op: "queryHistory", convType: this.type, convId: this.conversationID, nextSeq: from, count: MaxHistoryCount, reverse: true });
        const code = num(reply.errorCode);
        // A lasting refusal (no access to the conversation) is not retried.
        if (code === ZIMErrorCode.NoPermission || code === ZIMErrorCode.GroupMissing || code === ZIMErrorCode.NotInRoom || code === ZIMErrorCode.RoomMissing) {
          this.refusedUntil = Date.now() + ConversationCursor.RefusalPauseMs; // not one query per live message meanwhile
          return;
        }
        if (code !== 0) {
          // A timeout or a busy server is tried again shortly; a lost connection gives up here (the reconnect pulls again).
          if (++failures > ConversationCursor.MaxSyncRetries) return;
          await new Promise((resolve) => setTimeout(resolve, 100 * failures));
          continue;
        }
        failures = 0;
        const page = messageResults.queryHistory(reply);
        for (const m of page) {
          const seq = num(m.conversationSeq);
          if (seq > this.last && !this.held.has(seq)) this.held.set(seq, { message: m, offline: true });
        }
        // History is complete up to the last message it returned: a sequence number missing below that is deleted
        // for this user and skipped; beyond it nothing is known, so that gap is pulled again rather than skipped.
        const skipThrough = page.length > 0 ? num(page[page.length - 1]!.conversationSeq) : from;
        this.flush(this.drain(skipThrough));
        if (page.length < MaxHistoryCount) {
          if (this.held.size === 0 || ++rereads > ConversationCursor.MaxSyncRetries) return;
        }
      }
    } finally {
      this.syncing = false;
    }
  }

  private flush(ready: { list: ZIMMessage[]; offline: boolean }[]): void {
    for (const batch of ready) this.owner.deliver(this.type, this.conversationID, batch.list, batch.offline);
  }

  /** Takes the held messages that continue the sequence; batches of consecutive messages with the same offline flag. */
  private drain(skipThrough: number): { list: ZIMMessage[]; offline: boolean }[] {
    const ready: { list: ZIMMessage[]; offline: boolean }[] = [];
    const me = this.owner.myUserID();
    const seqs = [...this.held.keys()].sort((a, b) => a - b);
    for (const seq of seqs) {
      if (seq > this.last + 1) {
        if (seq - 1 > skipThrough) break;
        this.last = seq - 1;
      }
      const { message, offline } = this.held.get(seq)!;
      this.held.delete(seq);
      if (seq <= this.last) continue;
      this.last = seq;
      const id = idString(message.messageId);
      if (this.delivered.has(id)) continue;
      this.delivered.add(id);
      this.deliveredOrder.push(id);
      if (this.deliveredOrder.length > 2048) this.delivered.delete(this.deliveredOrder.shift()!);
      if (str(message.senderUserId) === me) continue; // one's own messages advance the position but are not "received"
      const tail = ready[ready.length - 1];
      if (tail && tail.offline === offline) tail.list.push(fromWire(message, me));
      else ready.push({ list: [fromWire(message, me)], offline });
    }
    return ready;
  }
}

/** Why the server would refuse a message, or null (the rules of ChatLimits.ValidateMessage). */
export function messageProblem(m: ZIMMessage, type: ZIMConversationType, maxTextBytes: number): string | null {
  const text = typeof m.message === "string" ? m.message : "";
  switch (m.type) {
    case ZIMMessageType.Text:
    case ZIMMessageType.Custom:
      if (text === "") return "message text is empty";
      if (utf8Length(text) > maxTextBytes) return `message text is larger than ${maxTextBytes} bytes`;
      break;
    case ZIMMessageType.Command: {
      const length = m.message instanceof Uint8Array ? m.message.length : utf8Length(text);
      if (length === 0) return "command data is empty";
      if (length > MaxCommandBytes) return `command data is larger than ${MaxCommandBytes} bytes`;
      break;
    }
    case ZIMMessageType.Barrage:
      if (type !== ZIMConversationType.Room) return "barrage messages are for rooms only";
      if (text === "") return "message text is empty";
      if (utf8Length(text) > MaxCommandBytes) return `barrage text is larger than ${MaxCommandBytes} bytes`;
      break;
    default:
      return "message type must be Text (1), Command (2), Barrage (20) or Custom (200)";
  }
  if (m.type === ZIMMessageType.Custom) {
    const sub = m.subType ?? 0;
    if (!Number.isInteger(sub) || sub < 0 || sub > 200) return "custom SubType must be 0-200";
    if (m.searchedContent !== undefined && utf8Length(m.searchedContent) > MaxSearchedContentBytes) return "SearchedContent is longer than 64 bytes";
  }
  if (utf8Length(m.extendedData) > MaxExtendedDataBytes) return "ExtendedData is longer than 1024 bytes";
  if (m.mentionedUserIDs.length > MaxMentionedUsers) return "at most 100 mentioned users";
  if (!/^\d{1,19}$/.test(m.localMessageID)) return "localMessageID must be a decimal string";
  return null;
}

