/**
 * In-app chat shaped like ZEGO's ZIM web SDK (`ZIM`): `login`, `logout`, `sendMessage` with `onMessageAttached`,
 * `queryHistoryMessage`, `queryConversationList`, `clearConversationUnreadMessageCount`, `revokeMessage`,
 * `deleteMessages`, receipts, groups and rooms, with ZIM's event names through `on(...)`. See the package README for
 * where it differs from ZIM's.
 *
 * Messages of every conversation reach the application once each and in conversation order: the client keeps the
 * last sequence number it delivered per conversation; after a gap or a reconnect it pulls what it missed from history,
 * holding back live messages that arrive meanwhile, then delivers in order (deduplicated by messageID), as the C#
 * SDK's ChorusChatClient does.
 */
import { Channel, type ChorusClientOptions, webSocketUrl } from "./channel.js";
import { type Frame, Int64, idString, num, str, utf8Length } from "./codec.js";
import { ChorusError, ZIMErrorCode } from "./errors.js";
import { Emitter } from "./emitter.js";
import {
  MaxCommandBytes,
  MaxExtendedDataBytes,
  MaxHistoryCount,
  MaxMentionedUsers,
  MaxReceiptMessages,
  MaxSearchedContentBytes,
  conversationProblem,
  groupProblem,
  idErrorText,
  isValidUserName,
  messageIdsProblem,
  pageCountProblem,
  roomProblem,
  storedConversationProblem,
  validateUserId,
} from "./limits.js";

export enum ZIMConversationType {
  Unknown = -1,
  Peer = 0,
  Room = 1,
  Group = 2,
}

export enum ZIMMessageType {
  Unknown = 0,
  Text = 1,
  Command = 2,
  Barrage = 20,
  Revoke = 31,
  Custom = 200,
}

export enum ZIMConnectionState {
  Disconnected = 0,
  Connecting = 1,
  Connected = 2,
  Reconnecting = 3,
}

export enum ZIMConnectionEvent {
  Success = 0,
  ActiveLogin = 1,
  LoginTimeout = 2,
  LoginInterrupted = 3,
  KickedOut = 4,
  TokenExpired = 5,
}

export enum ZIMMessageDirection {
  Send = 0,
  Receive = 1,
}

export enum ZIMMessageSentStatus {
  Sending = 0,
  Success = 1,
  Failed = 2,
}

export enum ZIMMessagePriority {
  Low = 1,
  Medium = 2,
  High = 3,
}

/** Receipt state of a message sent with `hasReceipt`: Processing = not read yet, Done = read. */
export enum ZIMMessageReceiptStatus {
  None = 0,
  Processing = 1,
  Done = 2,
}

export enum ZIMConversationNotificationStatus {
  Notify = 1,
  DoNotDisturb = 2,
}

export enum ZIMConversationEvent {
  Added = 0,
  Updated = 1,
  Disabled = 2,
  Deleted = 3,
}

/** A chat message. `messageID` and `localMessageID` are int64s as decimal strings (they exceed 2^53). */
export interface ZIMMessage {
  type: ZIMMessageType;
  /** Text (Text, Barrage, Custom), or the bytes of a Command message. */
  message: string | Uint8Array;
  messageID: string;
  localMessageID: string;
  senderUserID: string;
  conversationID: string;
  conversationType: ZIMConversationType;
  direction: ZIMMessageDirection;
  sentStatus: ZIMMessageSentStatus;
  /** Server time, Unix ms. */
  timestamp: number;
  /** The message's place in its conversation: 1, 2, 3... with no gaps (0 for command and barrage messages). */
  conversationSeq: number;
  orderKey: number;
  isUserInserted: boolean;
  receiptStatus: ZIMMessageReceiptStatus;
  extendedData: string;
  /** Custom messages: 0-200. */
  subType?: number;
  /** Custom messages: up to 64 bytes. */
  searchedContent?: string;
  mentionedUserIDs: string[];
}

/** What `sendMessage` needs of a message: `type` and `message`, optionally the other fields a sender sets. */
export interface ZIMMessageInput {
  type: ZIMMessageType;
  message: string | Uint8Array;
  extendedData?: string;
  subType?: number;
  searchedContent?: string;
  mentionedUserIDs?: string[];
  /** A retry with the same localMessageID is never stored twice. Assigned when absent. */
  localMessageID?: string;
}

export interface ZIMMessageSendConfig {
  priority?: ZIMMessagePriority;
  hasReceipt?: boolean;
  isNotifyMentionedUsers?: boolean;
}

export interface ZIMMessageSendNotification {
  /** Called with the local message before it is sent (not for a message the client's checks refuse). */
  onMessageAttached?: (message: ZIMMessage) => void;
}

export interface ZIMMessageQueryConfig {
  /** Page from this message (exclusive); absent = from the newest (or, with reverse, the oldest). */
  nextMessage?: ZIMMessage;
  count: number;
  /** false (default): newer to older; true: older to newer. */
  reverse?: boolean;
}

export interface ZIMConversation {
  conversationID: string;
  conversationName: string;
  conversationAvatarUrl: string;
  type: ZIMConversationType;
  unreadMessageCount: number;
  lastMessage?: ZIMMessage;
  orderKey: number;
  notificationStatus: ZIMConversationNotificationStatus;
  isPinned: boolean;
  /** Chorus: the conversation's highest sequence number. */
  maxSeq: number;
}

export interface ZIMConversationQueryConfig {
  nextConversation?: ZIMConversation;
  count: number;
}

export interface ZIMUserInfo {
  userID: string;
  userName?: string;
}

export interface ZIMLoginConfig {
  userName?: string;
  token: string;
  isOfflineLogin?: boolean;
}

export interface ZIMGroupInfo {
  groupID: string;
  groupName?: string;
  groupAvatarUrl?: string;
}

export interface ZIMGroupFullInfo {
  baseInfo: { groupID: string; groupName: string; groupAvatarUrl: string };
  /** Chorus: the owner's UserId. */
  ownerUserID: string;
  /** Chorus: the number of members. */
  memberCount: number;
}

export interface ZIMRoomInfo {
  roomID: string;
  roomName?: string;
}

export interface ZIMRoomFullInfo {
  baseInfo: { roomID: string; roomName: string };
  /** Chorus: members in the room after entering. */
  memberCount: number;
}

export interface ZIMErrorUserInfo {
  userID: string;
  reason: number;
}

export interface ZIMMessageReceiptInfo {
  conversationID: string;
  conversationType: ZIMConversationType;
  messageID: string;
  status: ZIMMessageReceiptStatus;
  readMemberCount: number;
  unreadMemberCount: number;
  /** Chorus: who read it. */
  readerUserID: string;
}

/** Data of `peerMessageReceived`, `groupMessageReceived`, `roomMessageReceived`. */
export interface ZIMEventOfConversationMessageReceivedResult {
  messageList: ZIMMessage[];
  info: { isOfflineMessage: boolean };
  fromConversationID: string;
}

/** The events of {@link ZIM}, with ZIM web's names; every handler gets the ZIM instance first. */
export interface ZIMEventHandler {
  error: (zim: ZIM, errorInfo: { code: number; message: string }) => void;
  connectionStateChanged: (zim: ZIM, data: { state: ZIMConnectionState; event: ZIMConnectionEvent; extendedData: string }) => void;
  tokenWillExpire: (zim: ZIM, data: { second: number }) => void;
  peerMessageReceived: (zim: ZIM, data: ZIMEventOfConversationMessageReceivedResult) => void;
  groupMessageReceived: (zim: ZIM, data: ZIMEventOfConversationMessageReceivedResult) => void;
  roomMessageReceived: (zim: ZIM, data: ZIMEventOfConversationMessageReceivedResult) => void;
  conversationChanged: (zim: ZIM, data: { infoList: { event: ZIMConversationEvent; conversation: ZIMConversation }[] }) => void;
  conversationTotalUnreadMessageCountUpdated: (zim: ZIM, data: { totalUnreadMessageCount: number }) => void;
  messageReceiptChanged: (zim: ZIM, data: { infos: ZIMMessageReceiptInfo[] }) => void;
  messageRevokeReceived: (zim: ZIM, data: { messageList: ZIMMessage[] }) => void;
  groupMemberStateChanged: (zim: ZIM, data: { groupID: string; updateType: "add" | "delete" | "dismiss"; userList: { userID: string }[] }) => void;
}

/** The app and server a ZIM instance talks to. */
export interface ZIMAppConfig {
  appID: number;
  /** The Chorus server's address as `chorus serve` prints it (`http://127.0.0.1:8080`), or its WebSocket address. */
  server: string;
}

export const ZIMVersion = "chorus-1.0.0";

let lastLocalId = 0;
/** Unique per page and increasing: the clock in ms times 1000 plus a counter (below 2^53 until the year 2255). */
function nextLocalMessageId(): string {
  lastLocalId = Math.max(lastLocalId + 1, Date.now() * 1000);
  return String(lastLocalId);
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]!);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  try {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return new Uint8Array(0);
  }
}

type WireMessage = Record<string, unknown>;

/** The chat client. One user per instance; create one per user with {@link ZIM.create}. */
export class ZIM {
  private static instance: ZIM | null = null;
  private readonly channel: Channel;
  private readonly events = new Emitter<ZIMEventHandler>();
  private readonly cursors = new Map<string, ConversationCursor>();
  private readonly rooms = new Set<string>();
  private user: { userID: string; userName: string } | null = null;
  private token: string | null = null;
  // What the conversation cursors need of this client (kept off its public surface).
  private readonly cursorHost: CursorHost = {
    request: (frame) => this.request(frame),
    deliver: (type, conversationID, messageList, isOfflineMessage) => this.deliver(type, conversationID, messageList, isOfflineMessage),
    disposed: () => this.channel.disposed,
    myUserID: () => this.me,
  };

  /** Creates an instance (each call a new one, unlike ZIM's singleton; {@link getInstance} returns the last). */
  static create(appConfig: ZIMAppConfig, options?: ChorusClientOptions): ZIM {
    const zim = new ZIM(appConfig, options);
    ZIM.instance = zim;
    return zim;
  }

  /** The instance made last by {@link create}, or null. */
  static getInstance(): ZIM | null {
    return ZIM.instance;
  }

  static getVersion(): string {
    return ZIMVersion;
  }

  private constructor(readonly appConfig: ZIMAppConfig, options?: ChorusClientOptions) {
    this.channel = new Channel(webSocketUrl(appConfig.server, appConfig.appID), options, {
      onEvent: (frame) => this.onFrame(frame),
      restore: () => this.restore(),
      onReconnecting: () => this.connectionState(ZIMConnectionState.Reconnecting, ZIMConnectionEvent.LoginInterrupted),
      onGaveUp: () => this.connectionState(ZIMConnectionState.Disconnected, ZIMConnectionEvent.LoginInterrupted),
      wantsConnection: () => this.user !== null,
    });
  }

  /** Registers an event handler. */
  on<K extends keyof ZIMEventHandler>(type: K, listener: ZIMEventHandler[K]): boolean {
    return this.events.on(type, listener);
  }

  /** Removes an event handler (every handler of the event when none is given). */
  off<K extends keyof ZIMEventHandler>(type: K, listener?: ZIMEventHandler[K]): boolean {
    return this.events.off(type, listener);
  }

  /** The logged-in user, or null. */
  get currentUser(): { userID: string; userName: string } | null {
    return this.user ? { ...this.user } : null;
  }

  /**
   * Logs in: `login(userID, {userName, token})` (ZIM 2.13+) or `login({userID, userName}, token)`. Then pulls what is
   * unread in every conversation (delivered as offline messages). Rejects with 6000103 (token invalid), 6000106
   * (expired), 6000001 (bad UserId or UserName), 6000101 (no connection), 1000005 (over the frame limit).
   */
  async login(user: string | ZIMUserInfo, config: ZIMLoginConfig | string): Promise<void> {
    this.throwIfDestroyed();
    const userID = typeof user === "string" ? user : user?.userID;
    const userName = (typeof user === "string" ? (config as ZIMLoginConfig)?.userName : user?.userName) ?? userID;
    const token = typeof config === "string" ? config : config?.token;
    const bad = validateUserId(userID);
    if (bad !== 0) throw new ChorusError(ZIMErrorCode.BadParameter, idErrorText(bad));
    if (!isValidUserName(userName)) throw new ChorusError(ZIMErrorCode.BadParameter, "UserName is longer than 255 bytes");
    this.connectionState(ZIMConnectionState.Connecting, ZIMConnectionEvent.ActiveLogin);
    if (!(await this.channel.ensureConnected())) {
      this.connectionState(ZIMConnectionState.Disconnected, ZIMConnectionEvent.LoginTimeout);
      throw new ChorusError(ZIMErrorCode.LoginFailed, "could not connect to the server");
    }
    const reply = await this.request({ op: "chatLogin", userId: userID, userName, token });
    const code = num(reply.errorCode);
    if (code !== 0) {
      this.connectionState(ZIMConnectionState.Disconnected, ZIMConnectionEvent.ActiveLogin);
      throw new ChorusError(code, str(reply.error));
    }
    this.user = { userID: userID as string, userName: userName as string };
    this.token = token ?? "";
    this.cursors.clear();
    await this.catchUp();
    this.connectionState(ZIMConnectionState.Connected, ZIMConnectionEvent.Success);
  }

  /** Logs out (`connectionStateChanged` Disconnected with Success). */
  async logout(): Promise<void> {
    this.throwIfDestroyed();
    if (this.user === null) return;
    await this.request({ op: "chatLogout" });
    this.user = null;
    this.rooms.clear();
    this.connectionState(ZIMConnectionState.Disconnected, ZIMConnectionEvent.Success);
  }

  /** Replaces the token (call it on `tokenWillExpire`). */
  async renewToken(token: string): Promise<{ token: string }> {
    await this.call(null, { op: "chatRenewToken", token });
    this.token = token;
    return { token };
  }

  /**
   * Sends a message to a peer, room or group. `notification.onMessageAttached` gets the local message first. Resolves
   * after the server stored it (text and custom) with its messageID, timestamp and conversationSeq. Retrying with the
   * same message (same localMessageID) never duplicates it. A message over a limit (text and custom up to the server's
   * ChatMaxTextBytes, 2048 by default; command and barrage 5120; extendedData 1024; searchedContent 64) rejects with
   * 6000001 before anything is sent.
   */
  async sendMessage(
    message: ZIMMessageInput,
    toConversationID: string,
    conversationType: ZIMConversationType,
    config?: ZIMMessageSendConfig,
    notification?: ZIMMessageSendNotification,
  ): Promise<{ message: ZIMMessage }> {
    this.throwIfDestroyed();
    const local: ZIMMessage = {
      type: message?.type,
      message: message?.message ?? "",
      messageID: "0",
      localMessageID: message?.localMessageID ?? nextLocalMessageId(),
      senderUserID: this.user?.userID ?? "",
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
    const wire = toWire(local, config);
    const problem = conversationProblem(toConversationID, conversationType) ?? messageProblem(local, conversationType, this.channel.maxTextBytes);
    if (problem !== null) {
      local.sentStatus = ZIMMessageSentStatus.Failed;
      throw new ChorusError(ZIMErrorCode.BadParameter, problem);
    }
    notification?.onMessageAttached?.(local);
    const cursor = this.cursor(conversationType, toConversationID);
    cursor.beginSend();
    try {
      const reply = await this.request({ op: "sendMessage", convType: conversationType, convId: toConversationID, message: wire });
      const code = num(reply.errorCode);
      const stored = reply.message as WireMessage | undefined;
      if (code !== 0 || !stored) {
        local.sentStatus = ZIMMessageSentStatus.Failed;
        throw new ChorusError(code || ZIMErrorCode.BadParameter, str(reply.error));
      }
      fill(local, stored, this.me);
      if (local.conversationSeq > 0) cursor.accept(stored, false);
      return { message: local };
    } finally {
      cursor.endSend();
    }
  }

  /** Pages through history (command and barrage messages never appear). `count` is 1-100. */
  async queryHistoryMessage(
    conversationID: string,
    conversationType: ZIMConversationType,
    config: ZIMMessageQueryConfig,
  ): Promise<{ conversationID: string; conversationType: ZIMConversationType; messageList: ZIMMessage[] }> {
    const count = config?.count ?? 20;
    const reply = await this.call(conversationProblem(conversationID, conversationType) ?? pageCountProblem(count), {
      op: "queryHistory",
      convType: conversationType,
      convId: conversationID,
      count,
      reverse: config?.reverse ?? false,
      nextSeq: config?.nextMessage ? config.nextMessage.conversationSeq : undefined,
    });
    return { conversationID, conversationType, messageList: wireList(reply.messages).map((w) => fromWire(w, this.me)) };
  }

  /** This user's conversations, pinned first, then newest first (`count` 1-100). */
  async queryConversationList(config?: ZIMConversationQueryConfig): Promise<{ conversationList: ZIMConversation[] }> {
    const count = config?.count ?? 100;
    const reply = await this.call(pageCountProblem(count), { op: "queryConversations", count });
    return { conversationList: wireList(reply.conversations).map((c) => this.toConversation(c)) };
  }

  /** Marks a conversation as read. */
  async clearConversationUnreadMessageCount(conversationID: string, conversationType: ZIMConversationType): Promise<{ conversationID: string; conversationType: ZIMConversationType }> {
    await this.call(storedConversationProblem(conversationID, conversationType), { op: "clearUnread", convType: conversationType, convId: conversationID });
    return { conversationID, conversationType };
  }

  /** Removes a conversation from the list until a new message arrives. */
  async deleteConversation(conversationID: string, conversationType: ZIMConversationType): Promise<{ conversationID: string; conversationType: ZIMConversationType }> {
    await this.call(storedConversationProblem(conversationID, conversationType), { op: "deleteConversation", convType: conversationType, convId: conversationID });
    return { conversationID, conversationType };
  }

  /** Mutes (DoNotDisturb) or unmutes (Notify) a conversation: a muted one adds nothing to the total unread count. */
  async setConversationNotificationStatus(
    status: ZIMConversationNotificationStatus,
    conversationID: string,
    conversationType: ZIMConversationType,
  ): Promise<{ conversationID: string; conversationType: ZIMConversationType }> {
    await this.call(storedConversationProblem(conversationID, conversationType), {
      op: "setNotificationStatus",
      convType: conversationType,
      convId: conversationID,
      muted: status === ZIMConversationNotificationStatus.DoNotDisturb,
    });
    return { conversationID, conversationType };
  }

  /** Pins or unpins a conversation. */
  async updateConversationPinnedState(isPinned: boolean, conversationID: string, conversationType: ZIMConversationType): Promise<{ conversationID: string; conversationType: ZIMConversationType }> {
    await this.call(storedConversationProblem(conversationID, conversationType), { op: "pinConversation", convType: conversationType, convId: conversationID, pinned: isPinned });
    return { conversationID, conversationType };
  }

  /** Deletes messages (1-100) from this user's view. */
  async deleteMessages(
    messageList: Pick<ZIMMessage, "messageID">[],
    conversationID: string,
    conversationType: ZIMConversationType,
  ): Promise<{ conversationID: string; conversationType: ZIMConversationType; messageList: Pick<ZIMMessage, "messageID">[] }> {
    const ids = (messageList ?? []).map((m) => m.messageID);
    await this.call(storedConversationProblem(conversationID, conversationType) ?? messageIdsProblem(ids.length, MaxHistoryCount) ?? idsProblem(ids), {
      op: "deleteMessages",
      convType: conversationType,
      convId: conversationID,
      messageIds: ids.map((id) => new Int64(id)),
    });
    return { conversationID, conversationType, messageList };
  }

  /** Deletes every message of a conversation from this user's view. */
  async deleteAllMessage(conversationID: string, conversationType: ZIMConversationType): Promise<{ conversationID: string; conversationType: ZIMConversationType }> {
    await this.call(storedConversationProblem(conversationID, conversationType), { op: "deleteAllMessages", convType: conversationType, convId: conversationID });
    return { conversationID, conversationType };
  }

  /** Revokes one of this user's messages; both sides see a Revoke message in its place (6000541 for another's). */
  async revokeMessage(message: Pick<ZIMMessage, "messageID">): Promise<{ message: ZIMMessage }> {
    const id = message?.messageID;
    const reply = await this.call(idsProblem([id]), { op: "revokeMessage", messageIds: [new Int64(id)] });
    const revoked = reply.message ? fromWire(reply.message as WireMessage, this.me) : { ...(message as ZIMMessage), type: ZIMMessageType.Revoke };
    return { message: revoked };
  }

  /** Tells the senders that these messages (1-10, sent with hasReceipt) were read. */
  async sendMessageReceiptsRead(
    messageList: Pick<ZIMMessage, "messageID">[],
    conversationID: string,
    conversationType: ZIMConversationType,
  ): Promise<{ conversationID: string; conversationType: ZIMConversationType; errorMessageIDs: string[] }> {
    const ids = (messageList ?? []).map((m) => m.messageID);
    await this.call(storedConversationProblem(conversationID, conversationType) ?? messageIdsProblem(ids.length, MaxReceiptMessages) ?? idsProblem(ids), {
      op: "sendReceiptsRead",
      convType: conversationType,
      convId: conversationID,
      messageIds: ids.map((id) => new Int64(id)),
    });
    return { conversationID, conversationType, errorMessageIDs: [] };
  }

  // ---- groups ---------------------------------------------------------------------------------------------------

  /** Creates a group owned by this user with initial members (6000524 if it exists). */
  async createGroup(groupInfo: ZIMGroupInfo, userIDs: string[]): Promise<{ groupInfo: ZIMGroupFullInfo; userList: { userID: string }[]; errorUserList: ZIMErrorUserInfo[] }> {
    const reply = await this.group({ op: "createGroup", convId: groupInfo?.groupID, name: groupInfo?.groupName ?? "", members: [...(userIDs ?? [])] });
    return { groupInfo: toGroup(reply.group, groupInfo?.groupID), userList: (userIDs ?? []).map((userID) => ({ userID })), errorUserList: [] };
  }

  /** Joins a group (6000541 for a user the owner kicked, until invited back). */
  async joinGroup(groupID: string): Promise<{ groupInfo: ZIMGroupFullInfo }> {
    const reply = await this.group({ op: "joinGroup", convId: groupID });
    return { groupInfo: toGroup(reply.group, groupID) };
  }

  async leaveGroup(groupID: string): Promise<{ groupID: string }> {
    await this.group({ op: "leaveGroup", convId: groupID });
    return { groupID };
  }

  /** Dismisses a group (owner only). */
  async dismissGroup(groupID: string): Promise<{ groupID: string }> {
    await this.group({ op: "dismissGroup", convId: groupID });
    return { groupID };
  }

  /** Invites users into a group (members only). */
  async inviteUsersIntoGroup(userIDs: string[], groupID: string): Promise<{ groupID: string; userList: { userID: string }[]; errorUserList: ZIMErrorUserInfo[] }> {
    await this.group({ op: "inviteGroupMembers", convId: groupID, members: [...(userIDs ?? [])] });
    return { groupID, userList: (userIDs ?? []).map((userID) => ({ userID })), errorUserList: [] };
  }

  /** Kicks members out of a group (owner only). */
  async kickGroupMembers(userIDs: string[], groupID: string): Promise<{ groupID: string; kickedUserIDs: string[]; errorUserList: ZIMErrorUserInfo[] }> {
    await this.group({ op: "kickGroupMembers", convId: groupID, members: [...(userIDs ?? [])] });
    return { groupID, kickedUserIDs: [...(userIDs ?? [])], errorUserList: [] };
  }

  /** A group's information (members only). */
  async queryGroupInfo(groupID: string): Promise<{ groupInfo: ZIMGroupFullInfo }> {
    const reply = await this.group({ op: "queryGroupInfo", convId: groupID });
    return { groupInfo: toGroup(reply.group, groupID) };
  }

  /** A group's members (members only). */
  async queryGroupMemberList(groupID: string): Promise<{ groupID: string; userList: { userID: string }[]; nextFlag: number }> {
    const reply = await this.call(groupProblem(groupID, undefined, undefined), { op: "queryGroupMembers", convId: groupID });
    return { groupID, userList: strings(reply.members).map((userID) => ({ userID })), nextFlag: 0 };
  }

  // ---- rooms ----------------------------------------------------------------------------------------------------

  /** Creates a chat room and enters it (6000323 if it exists). */
  createRoom(roomInfo: ZIMRoomInfo): Promise<{ roomInfo: ZIMRoomFullInfo }> {
    return this.room("createRoom", roomInfo?.roomID, roomInfo?.roomName ?? "");
  }

  /** Enters a chat room, creating it if missing. */
  enterRoom(roomInfo: ZIMRoomInfo): Promise<{ roomInfo: ZIMRoomFullInfo }> {
    return this.room("enterRoom", roomInfo?.roomID, roomInfo?.roomName ?? "");
  }

  /** Joins an existing chat room (6000322 if missing). */
  joinRoom(roomID: string): Promise<{ roomInfo: ZIMRoomFullInfo }> {
    return this.room("joinRoom", roomID, undefined);
  }

  async leaveRoom(roomID: string): Promise<{ roomID: string }> {
    await this.call(roomProblem(roomID, undefined), { op: "leaveRoom", convId: roomID });
    this.rooms.delete(roomID);
    return { roomID };
  }

  /** A chat room's members. */
  async queryRoomMemberList(roomID: string): Promise<{ roomID: string; memberList: { userID: string }[]; nextFlag: string }> {
    const reply = await this.call(roomProblem(roomID, undefined), { op: "queryRoomMembers", convId: roomID });
    return { roomID, memberList: strings(reply.members).map((userID) => ({ userID })), nextFlag: "" };
  }

  /** Closes the connection and removes the handlers. Afterwards every method rejects with 6000121. */
  destroy(): void {
    this.user = null;
    this.channel.close();
    this.events.clear();
    if (ZIM.instance === this) ZIM.instance = null;
  }

  // ---- plumbing -------------------------------------------------------------------------------------------------

  private get me(): string {
    return this.user?.userID ?? "";
  }

  private throwIfDestroyed(): void {
    if (this.channel.disposed) throw new ChorusError(ZIMErrorCode.NotLoggedIn, "the ZIM instance was destroyed");
  }

  private request(frame: Frame): Promise<Frame> {
    return this.channel.request(frame, ZIMErrorCode.NotLoggedIn);
  }

  /** A request of the public API: refused with 6000001 before sending when `problem` names what the server would refuse. */
  private async call(problem: string | null, frame: Frame): Promise<Frame> {
    this.throwIfDestroyed();
    if (problem !== null) throw new ChorusError(ZIMErrorCode.BadParameter, problem);
    const reply = await this.request(frame);
    const code = num(reply.errorCode);
    if (code !== 0) throw new ChorusError(code, str(reply.error));
    return reply;
  }

  private group(frame: Frame): Promise<Frame> {
    const members = Array.isArray(frame.members) ? (frame.members as string[]) : undefined;
    return this.call(groupProblem(frame.convId, members, frame.name), frame);
  }

  private async room(op: string, roomID: string, name: string | undefined): Promise<{ roomInfo: ZIMRoomFullInfo }> {
    const reply = await this.call(roomProblem(roomID, name), { op, convId: roomID, name });
    if (!this.rooms.has(roomID)) {
      this.rooms.add(roomID);
      // A room's history is not replayed on entry: live messages start after what is there now.
      this.cursor(ZIMConversationType.Room, roomID).startAt(num(reply.nextSeq));
    }
    return { roomInfo: { baseInfo: { roomID, roomName: name ?? "" }, memberCount: num(reply.count) } };
  }

  private toConversation(c: WireMessage): ZIMConversation {
    const last = c.lastMessage as WireMessage | undefined;
    return {
      conversationID: str(c.conversationId),
      conversationName: "",
      conversationAvatarUrl: "",
      type: num(c.conversationType),
      unreadMessageCount: num(c.unreadMessageCount),
      lastMessage: last ? fromWire(last, this.me) : undefined,
      orderKey: num(c.orderKey),
      notificationStatus: num(c.notificationStatus) === 2 ? ZIMConversationNotificationStatus.DoNotDisturb : ZIMConversationNotificationStatus.Notify,
      isPinned: c.isPinned === true,
      maxSeq: num(c.maxSeq),
    };
  }

  private connectionState(state: ZIMConnectionState, event: ZIMConnectionEvent): void {
    this.events.emit("connectionStateChanged", this, { state, event, extendedData: "" });
  }

  private onFrame(frame: Frame): void {
    switch (frame.op) {
      case "chatMessage": {
        const w = frame.message as WireMessage | undefined;
        if (!w) break;
        const seq = num(w.conversationSeq);
        if (seq > 0) this.cursor(num(w.conversationType), str(w.conversationId)).accept(w, false);
        else this.deliver(num(w.conversationType), str(w.conversationId), [fromWire(w, this.me)], false); // command, barrage: unsequenced
        break;
      }
      case "conversationChanged": {
        const c = frame.conversation as WireMessage | undefined;
        if (c) this.events.emit("conversationChanged", this, { infoList: [{ event: ZIMConversationEvent.Updated, conversation: this.toConversation(c) }] });
        break;
      }
      case "unreadTotal":
        this.events.emit("conversationTotalUnreadMessageCountUpdated", this, { totalUnreadMessageCount: num(frame.unreadTotal) });
        break;
      case "receiptChanged": {
        const conversationID = str(frame.convId);
        const conversationType = num(frame.convType);
        const ids = Array.isArray(frame.messageIds) ? frame.messageIds.map(idString) : [];
        this.events.emit("messageReceiptChanged", this, {
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
        break;
      }
      case "messageRevoked": {
        const w = frame.message as WireMessage | undefined;
        if (w) this.events.emit("messageRevokeReceived", this, { messageList: [fromWire(w, this.me)] });
        break;
      }
      case "chatKickedOut":
        this.user = null;
        this.connectionState(
          ZIMConnectionState.Disconnected,
          num(frame.errorCode) === ZIMErrorCode.TokenExpired ? ZIMConnectionEvent.TokenExpired : ZIMConnectionEvent.KickedOut,
        );
        break;
      case "chatTokenWillExpire":
        this.events.emit("tokenWillExpire", this, { second: num(frame.secondsLeft) });
        break;
      case "groupMemberChanged": {
        const t = str(frame.updateType);
        this.events.emit("groupMemberStateChanged", this, {
          groupID: str(frame.convId),
          updateType: t === "delete" || t === "dismiss" ? t : "add",
          userList: strings(frame.members).map((userID) => ({ userID })),
        });
        break;
      }
      case "error":
        this.events.emit("error", this, { code: num(frame.errorCode), message: str(frame.error) });
        break;
    }
  }

  private deliver(type: ZIMConversationType, conversationID: string, messageList: ZIMMessage[], isOfflineMessage: boolean): void {
    const event = type === ZIMConversationType.Group ? "groupMessageReceived" : type === ZIMConversationType.Room ? "roomMessageReceived" : "peerMessageReceived";
    this.events.emit(event, this, { messageList, info: { isOfflineMessage }, fromConversationID: conversationID });
  }

  /** After a reconnect: log back in, re-enter rooms, then catch up every conversation. */
  private async restore(): Promise<boolean> {
    const user = this.user;
    if (user === null || this.token === null) return true;
    const reply = await this.request({ op: "chatLogin", userId: user.userID, userName: user.userName, token: this.token });
    if (!this.channel.isConnected) return false;
    const code = num(reply.errorCode);
    if (code !== 0) {
      this.user = null;
      this.connectionState(ZIMConnectionState.Disconnected, code === ZIMErrorCode.TokenExpired ? ZIMConnectionEvent.TokenExpired : ZIMConnectionEvent.LoginInterrupted);
      return true;
    }
    for (const roomID of [...this.rooms]) await this.request({ op: "enterRoom", convId: roomID });
    await this.catchUp();
    if (!this.channel.isConnected) return false;
    this.connectionState(ZIMConnectionState.Connected, ZIMConnectionEvent.Success);
    return true;
  }

  /** Brings every conversation up to date: what was missed (or is unread, for one not seen yet) is pulled and delivered as offline messages. */
  private async catchUp(): Promise<void> {
    const list = await this.request({ op: "queryConversations", count: MaxHistoryCount });
    const syncs: Promise<void>[] = [];
    for (const c of wireList(list.conversations)) {
      const cursor = this.cursor(num(c.conversationType), str(c.conversationId), num(c.maxSeq) - num(c.unreadMessageCount));
      syncs.push(cursor.sync());
    }
    for (const roomID of this.rooms) syncs.push(this.cursor(ZIMConversationType.Room, roomID).sync());
    await Promise.all(syncs);
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
        const page = wireList(reply.messages);
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

function wireList(value: unknown): WireMessage[] {
  return Array.isArray(value) ? (value.filter((v) => v !== null && typeof v === "object") as WireMessage[]) : [];
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function idsProblem(ids: unknown[]): string | null {
  return ids.every((id) => typeof id === "string" && /^\d{1,19}$/.test(id)) ? null : "messageID must be a message's id (a decimal string)";
}

function toGroup(value: unknown, fallbackID: string | undefined): ZIMGroupFullInfo {
  const g = (value ?? {}) as WireMessage;
  return {
    baseInfo: { groupID: str(g.groupId) || (fallbackID ?? ""), groupName: str(g.groupName), groupAvatarUrl: "" },
    ownerUserID: str(g.ownerUserId),
    memberCount: num(g.memberCount),
  };
}

function toWire(m: ZIMMessage, config: ZIMMessageSendConfig | undefined): WireMessage {
  const isCommand = m.type === ZIMMessageType.Command;
  const payload = m.message;
  return {
    localMessageId: new Int64(m.localMessageID),
    type: m.type,
    text: isCommand ? undefined : typeof payload === "string" ? payload : undefined,
    data: isCommand ? (payload instanceof Uint8Array ? toBase64(payload) : typeof payload === "string" ? toBase64(new TextEncoder().encode(payload)) : undefined) : undefined,
    subType: m.type === ZIMMessageType.Custom ? m.subType ?? 0 : undefined,
    searchedContent: m.searchedContent,
    extendedData: m.extendedData === "" ? undefined : m.extendedData,
    hasReceipt: config?.hasReceipt ? true : undefined,
    priority: config?.priority ?? ZIMMessagePriority.Medium,
    mentionedUserIds: m.mentionedUserIDs.length > 0 ? m.mentionedUserIDs : undefined,
  };
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

/** A wire message as the application sees it. */
export function fromWire(w: WireMessage, me: string): ZIMMessage {
  const type = num(w.type) as ZIMMessageType;
  const m: ZIMMessage = {
    type,
    message: type === ZIMMessageType.Command ? fromBase64(str(w.data)) : str(w.text),
    messageID: "0",
    localMessageID: idString(w.localMessageId) || "0",
    senderUserID: "",
    conversationID: "",
    conversationType: ZIMConversationType.Peer,
    direction: ZIMMessageDirection.Receive,
    sentStatus: ZIMMessageSentStatus.Success,
    timestamp: 0,
    conversationSeq: 0,
    orderKey: 0,
    isUserInserted: false,
    receiptStatus: ZIMMessageReceiptStatus.None,
    extendedData: str(w.extendedData),
    subType: w.subType === undefined ? undefined : num(w.subType),
    searchedContent: typeof w.searchedContent === "string" ? w.searchedContent : undefined,
    mentionedUserIDs: strings(w.mentionedUserIds),
  };
  fill(m, w, me);
  return m;
}

function fill(m: ZIMMessage, w: WireMessage, me: string): void {
  m.messageID = idString(w.messageId);
  m.senderUserID = str(w.senderUserId);
  m.conversationID = str(w.conversationId);
  m.conversationType = num(w.conversationType);
  m.timestamp = num(w.timestamp);
  m.conversationSeq = num(w.conversationSeq);
  m.orderKey = num(w.orderKey);
  m.direction = m.senderUserID === me ? ZIMMessageDirection.Send : ZIMMessageDirection.Receive;
  m.sentStatus = ZIMMessageSentStatus.Success;
  m.receiptStatus = num(w.receiptStatus);
}
