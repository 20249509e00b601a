/**
 * In-app chat shaped like ZEGO's ZIM web SDK (`ZIM`): `login`, `logout`, `sendMessage` with `onMessageAttached`,
 * `queryHistoryMessage`, `queryConversationList`, `clearConversationUnreadMessageCount`, `revokeMessage`,
 * `deleteMessages`, receipts, groups and rooms, with ZIM's event names through `on(...)`. See the package README for
 * where it differs from ZIM's.
 *
 * The class is the public surface only: it delegates to the features in `zim/` (session: login and the event table;
 * messages, with the in-order delivery of every conversation; conversations; groups; rooms), each of which registers
 * the server events it owns and decodes the results of the ops it sends.
 */
import { webSocketUrl, type ChorusClientOptions } from "./channel.js";
import { ChorusError, ZIMErrorCode } from "./errors.js";
import { Conversations } from "./zim/conversations.js";
import { Groups } from "./zim/groups.js";
import { Messages, type MessageRef } from "./zim/messages.js";
import { Rooms } from "./zim/rooms.js";
import { ChatSession } from "./zim/session.js";
import {
  ZIMVersion,
  type ZIMAppConfig,
  type ZIMConversation,
  type ZIMConversationNotificationStatus,
  type ZIMConversationQueryConfig,
  type ZIMConversationType,
  type ZIMErrorUserInfo,
  type ZIMEventHandler,
  type ZIMGroupFullInfo,
  type ZIMGroupInfo,
  type ZIMGroupMemberInfo,
  type ZIMLoginConfig,
  type ZIMMessage,
  type ZIMMessageInput,
  type ZIMMessageQueryConfig,
  type ZIMMessageSendConfig,
  type ZIMMessageSendNotification,
  type ZIMRoomFullInfo,
  type ZIMRoomInfo,
  type ZIMUserInfo,
  type ZIMUserFullInfo,
} from "./zim/types.js";

export * from "./zim/types.js";
export { ConversationCursor, type CursorHost, type MessageRef, messageProblem } from "./zim/messages.js";
export { fromWire } from "./zim/wire.js";

/** The chat client. One user per instance; create one per user with {@link ZIM.create}. */
export class ZIM {
  private static instance: ZIM | null = null;
  private readonly session: ChatSession;
  private readonly messages: Messages;
  private readonly conversations: Conversations;
  private readonly groups: Groups;
  private readonly rooms: Rooms;

  private static defaultServer: { server: string; options: ChorusClientOptions | undefined } | null = null;

  /**
   * Chorus: the server (and client options) every later {@link create} uses when its config names none, so that ZIM's
   * own call `ZIM.create(appID)` needs no change. Call it once at start-up; without it, a page's instances connect to
   * the page's origin (the server that served it).
   */
  static setServer(server: string, options?: ChorusClientOptions): void {
    try {
      webSocketUrl(server, 0); // an address that is no URL is refused now, not at the first login
    } catch {
      throw new ChorusError(ZIMErrorCode.BadParameter, `not a server address: ${server}`);
    }
    ZIM.defaultServer = { server, options };
  }

  /**
   * Creates an instance (each call a new one, unlike ZIM's singleton; {@link getInstance} returns the last). Takes
   * ZIM's forms, `ZIM.create(appID)` and `ZIM.create({appID})`, and Chorus's `{appID, server}`; the server is, in
   * order: the config's, the one given to {@link setServer}, the page's origin. Throws a {@link ChorusError} (6000001)
   * when there is none (outside a page, with neither).
   */
  static create(appConfig: number | ZIMAppConfig, options?: ChorusClientOptions): ZIM {
    const config = typeof appConfig === "number" ? { appID: appConfig } : appConfig;
    const fallback = ZIM.defaultServer;
    const server = config.server ?? fallback?.server ?? pageOrigin();
    if (server === undefined)
      throw new ChorusError(ZIMErrorCode.BadParameter, "no Chorus server: pass {appID, server}, call ZIM.setServer(address) once, or run in a page (its origin is used)");
    const zim = new ZIM({ ...config, server }, options ?? (config.server === undefined ? fallback?.options : undefined));
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

  private constructor(readonly appConfig: ZIMAppConfig & { server: string }, options?: ChorusClientOptions) {
    this.session = new ChatSession(this, appConfig, options);
    this.messages = new Messages(this.session);
    this.conversations = new Conversations(this.session);
    this.groups = new Groups(this.session);
    this.rooms = new Rooms(this.session, this.messages);
  }

  /** Registers an event handler. */
  on<K extends keyof ZIMEventHandler>(type: K, listener: ZIMEventHandler[K]): boolean {
    return this.session.events.on(type, listener);
  }

  /** Removes an event handler (every handler of the event when none is given). */
  off<K extends keyof ZIMEventHandler>(type: K, listener?: ZIMEventHandler[K]): boolean {
    return this.session.events.off(type, listener);
  }

  /** The logged-in user, or null. */
  get currentUser(): { userID: string; userName: string } | null {
    const user = this.session.user;
    return user ? { ...user } : null;
  }

  /**
   * Logs in: `login(userID, {userName, token})` (ZIM 2.13+) or `login({userID, userName}, token)`. Then pulls what is
   * unread in every conversation (delivered as offline messages). Rejects with 6000103 (token invalid), 6000106
   * (expired), 6000001 (bad UserId or UserName), 6000101 (no connection), 1000005 (over the frame limit).
   */
  login(user: string | ZIMUserInfo, config: ZIMLoginConfig | string): Promise<void> {
    return this.session.login(user, config);
  }

  /** Logs out (`connectionStateChanged` Disconnected with Success). */
  logout(): Promise<void> {
    return this.session.logout();
  }

  /** Replaces the token (call it on `tokenWillExpire`). */
  renewToken(token: string): Promise<{ token: string }> {
    return this.session.renewToken(token);
  }

  // ---- messages -------------------------------------------------------------------------------------------------

  /**
   * Sends a message to a peer, room or group. `notification.onMessageAttached` gets the local message first. Resolves
   * after the server stored it (text and custom) with its messageID, timestamp and conversationSeq. Retrying with the
   * same message (same localMessageID) never duplicates it. A message over a limit (text and custom up to the server's
   * ChatMaxTextBytes, 2048 by default; command and barrage 5120; extendedData 1024; searchedContent 64) rejects with
   * 6000001 before anything is sent.
   */
  sendMessage(
    message: ZIMMessageInput,
    toConversationID: string,
    conversationType: ZIMConversationType,
    config?: ZIMMessageSendConfig,
    notification?: ZIMMessageSendNotification,
  ): Promise<{ message: ZIMMessage }> {
    return this.messages.sendMessage(message, toConversationID, conversationType, config, notification);
  }

  /** Pages through history (command and barrage messages never appear). `count` is 1-100. */
  queryHistoryMessage(
    conversationID: string,
    conversationType: ZIMConversationType,
    config: ZIMMessageQueryConfig,
  ): Promise<{ conversationID: string; conversationType: ZIMConversationType; messageList: ZIMMessage[] }> {
    return this.messages.queryHistoryMessage(conversationID, conversationType, config);
  }

  // ---- conversations --------------------------------------------------------------------------------------------

  /** This user's conversations, pinned first, then newest first (`count` 1-100). */
  queryConversationList(config?: ZIMConversationQueryConfig): Promise<{ conversationList: ZIMConversation[] }> {
    return this.conversations.queryConversationList(config);
  }

  /** Marks a conversation as read. */
  clearConversationUnreadMessageCount(conversationID: string, conversationType: ZIMConversationType): Promise<{ conversationID: string; conversationType: ZIMConversationType }> {
    return this.conversations.clearConversationUnreadMessageCount(conversationID, conversationType);
  }

  /** Removes a conversation from the list until a new message arrives. */
  deleteConversation(conversationID: string, conversationType: ZIMConversationType): Promise<{ conversationID: string; conversationType: ZIMConversationType }> {
    return this.conversations.deleteConversation(conversationID, conversationType);
  }

  /** Mutes (DoNotDisturb) or unmutes (Notify) a conversation: a muted one adds nothing to the total unread count. */
  setConversationNotificationStatus(
    status: ZIMConversationNotificationStatus,
    conversationID: string,
    conversationType: ZIMConversationType,
  ): Promise<{ conversationID: string; conversationType: ZIMConversationType }> {
    return this.conversations.setConversationNotificationStatus(status, conversationID, conversationType);
  }

  /** Pins or unpins a conversation. */
  updateConversationPinnedState(isPinned: boolean, conversationID: string, conversationType: ZIMConversationType): Promise<{ conversationID: string; conversationType: ZIMConversationType }> {
    return this.conversations.updateConversationPinnedState(isPinned, conversationID, conversationType);
  }

  // ---- messages: delete, revoke, receipts -----------------------------------------------------------------------

  /** Deletes messages (1-100) from this user's view. */
  deleteMessages(
    messageList: MessageRef[],
    conversationID: string,
    conversationType: ZIMConversationType,
  ): Promise<{ conversationID: string; conversationType: ZIMConversationType; messageList: MessageRef[] }> {
    return this.messages.deleteMessages(messageList, conversationID, conversationType);
  }

  /** Deletes every message of a conversation from this user's view. */
  deleteAllMessage(conversationID: string, conversationType: ZIMConversationType): Promise<{ conversationID: string; conversationType: ZIMConversationType }> {
    return this.messages.deleteAllMessage(conversationID, conversationType);
  }

  /** Revokes one of this user's messages; both sides see a Revoke message in its place (6000541 for another's). */
  revokeMessage(message: MessageRef): Promise<{ message: ZIMMessage }> {
    return this.messages.revokeMessage(message);
  }

  /** Tells the senders that these messages (1-10, sent with hasReceipt) were read. */
  sendMessageReceiptsRead(
    messageList: MessageRef[],
    conversationID: string,
    conversationType: ZIMConversationType,
  ): Promise<{ conversationID: string; conversationType: ZIMConversationType; errorMessageIDs: string[] }> {
    return this.messages.sendMessageReceiptsRead(messageList, conversationID, conversationType);
  }

  // ---- groups ---------------------------------------------------------------------------------------------------

  /** Creates a group owned by this user with initial members (6000524 if it exists). */
  createGroup(groupInfo: ZIMGroupInfo, userIDs: string[]): Promise<{ groupInfo: ZIMGroupFullInfo; userList: ZIMGroupMemberInfo[]; errorUserList: ZIMErrorUserInfo[] }> {
    return this.groups.createGroup(groupInfo, userIDs);
  }

  /** Joins a group (6000541 for a user the owner kicked, until invited back). */
  joinGroup(groupID: string): Promise<{ groupInfo: ZIMGroupFullInfo }> {
    return this.groups.joinGroup(groupID);
  }

  leaveGroup(groupID: string): Promise<{ groupID: string }> {
    return this.groups.leaveGroup(groupID);
  }

  /** Dismisses a group (owner only). */
  dismissGroup(groupID: string): Promise<{ groupID: string }> {
    return this.groups.dismissGroup(groupID);
  }

  /** Invites users into a group (members only). */
  inviteUsersIntoGroup(userIDs: string[], groupID: string): Promise<{ groupID: string; userList: ZIMGroupMemberInfo[]; errorUserList: ZIMErrorUserInfo[] }> {
    return this.groups.inviteUsersIntoGroup(userIDs, groupID);
  }

  /** Kicks members out of a group (owner only). */
  kickGroupMembers(userIDs: string[], groupID: string): Promise<{ groupID: string; kickedUserIDs: string[]; errorUserList: ZIMErrorUserInfo[] }> {
    return this.groups.kickGroupMembers(userIDs, groupID);
  }

  /** A group's information (members only). */
  queryGroupInfo(groupID: string): Promise<{ groupInfo: ZIMGroupFullInfo }> {
    return this.groups.queryGroupInfo(groupID);
  }

  /** A group's members (members only). */
  queryGroupMemberList(groupID: string, config?: { count?: number; nextFlag?: number }): Promise<{ groupID: string; userList: ZIMGroupMemberInfo[]; nextFlag: number }> {
    return this.groups.queryGroupMemberList(groupID, config);
  }

  // ---- rooms ----------------------------------------------------------------------------------------------------

  /** Creates a chat room and enters it (6000323 if it exists). */
  createRoom(roomInfo: ZIMRoomInfo): Promise<{ roomInfo: ZIMRoomFullInfo }> {
    return this.rooms.enter("createRoom", roomInfo?.roomID, roomInfo?.roomName ?? "");
  }

  /** Enters a chat room, creating it if missing. */
  enterRoom(roomInfo: ZIMRoomInfo): Promise<{ roomInfo: ZIMRoomFullInfo }> {
    return this.rooms.enter("enterRoom", roomInfo?.roomID, roomInfo?.roomName ?? "");
  }

  /** Joins an existing chat room (6000322 if missing). */
  joinRoom(roomID: string): Promise<{ roomInfo: ZIMRoomFullInfo }> {
    return this.rooms.enter("joinRoom", roomID, undefined);
  }

  leaveRoom(roomID: string): Promise<{ roomID: string }> {
    return this.rooms.leaveRoom(roomID);
  }

  /** A chat room's members. */
  queryRoomMemberList(roomID: string, config?: { count?: number; nextFlag?: string }): Promise<{ roomID: string; memberList: ZIMUserFullInfo[]; nextFlag: string }> {
    return this.rooms.queryRoomMemberList(roomID, config);
  }

  /** Closes the connection and removes the handlers. Afterwards every method rejects with 6000121. */
  destroy(): void {
    this.session.destroy();
    if (ZIM.instance === this) ZIM.instance = null;
  }
}

/** The page's origin (`https://host`), or undefined outside a page (Node.js) or for an opaque origin (`file:`). */
function pageOrigin(): string | undefined {
  const origin = (globalThis as { location?: { origin?: unknown } }).location?.origin;
  return typeof origin === "string" && /^https?:\/\//.test(origin) ? origin : undefined;
}
