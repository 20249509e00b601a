/** The public types of {@link ZIM}: ZIM web's enums (with ZIM's numbers), messages, conversations, groups, rooms, events. */
import type { ZIM } from "../zim.js";

export enum ZIMConversationType {
  Unknown = -1,
  Peer = 0,
  Room = 1,
  Group = 2,
  /** Declared as ZEGO declares it; Chorus has no community channels (a send to one is refused with 6000001). */
  CommunityChannel = 3,
}

export enum ZIMMessageType {
  Unknown = 0,
  Text = 1,
  Command = 2,
  // Multiple, media, system, tips and combined messages: declared with ZEGO's numbers; Chorus does not send them yet
  // (sendMessage refuses them with 6000001 before anything is sent).
  Multiple = 10,
  Image = 11,
  File = 12,
  Audio = 13,
  Video = 14,
  Barrage = 20,
  System = 30,
  Revoke = 31,
  Tips = 32,
  Combine = 100,
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
  /** Declared as ZEGO declares it; Chorus has no user unregistration, so never reports it. */
  Unregistered = 6,
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

/**
 * Receipt state of a message sent with `hasReceipt`: Processing = not read yet, Done = read. Unknown, Expired and
 * Failed are declared as ZEGO declares them; Chorus reports only None, Processing and Done.
 */
export enum ZIMMessageReceiptStatus {
  Unknown = -1,
  None = 0,
  Processing = 1,
  Done = 2,
  Expired = 3,
  Failed = 4,
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

/** A chat room's connection state, with ZEGO's numbers (declared for apps that import it; Chorus reports no room state yet). */
export enum ZIMRoomState {
  Disconnected = 0,
  Connecting = 1,
  Connected = 2,
}

/** Why a chat room's state changed, with ZEGO's numbers (declared for apps that import it; Chorus reports no room state yet). */
export enum ZIMRoomEvent {
  Success = 0,
  NetworkInterrupted = 1,
  NetworkDisconnected = 2,
  RoomNotExist = 3,
  ActiveCreate = 4,
  CreateFailed = 5,
  ActiveEnter = 6,
  EnterFailed = 7,
  KickedOut = 8,
  ConnectTimeout = 9,
  KickedOutByOtherDevice = 10,
  ActiveSwitch = 11,
  SwitchFailed = 12,
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
  /**
   * Continue from this message (exclusive), one this client returned: with `reverse`, the first (oldest) message of the
   * previous page, and the page holds the messages before it; without, the last, and the page holds those after it.
   * Absent: from the latest message (with `reverse`) or the oldest. A message without a `conversationSeq` is refused
   * with 6000001.
   */
  nextMessage?: Partial<ZIMMessage>;
  count: number;
  /** As ZIM: true starts from the latest message and pages back; false (the default) starts from the oldest and pages forward. Pages list their messages oldest first. */
  reverse?: boolean;
}

/**
 * A conversation as ZIM's results and events give it. Chorus has no names, avatars, aliases, pin times, mentions,
 * drafts or marks yet: empty values and 0. `readMessageSeq` is where this user's reading stands (`maxSeq` less the
 * unread count).
 */
export interface ZIMConversation {
  conversationID: string;
  conversationName: string;
  conversationAvatarUrl: string;
  conversationAlias: string;
  type: ZIMConversationType;
  unreadMessageCount: number;
  readMessageSeq: number;
  lastMessage?: ZIMMessage;
  orderKey: number;
  notificationStatus: ZIMConversationNotificationStatus;
  isPinned: boolean;
  pinnedTime: number;
  mentionedInfoList: ZIMMessageMentionedInfo[];
  draft: string;
  marks: number[];
  /** Chorus: the conversation's highest sequence number. */
  maxSeq: number;
}

/** A mention of this user in a conversation (ZIM's); Chorus reports none yet. */
export interface ZIMMessageMentionedInfo {
  messageID: string;
  messageSeq: number;
  fromUserID: string;
  type: ZIMMessageMentionedType;
}

export enum ZIMMessageMentionedType {
  Unknown = 0,
  MentionMe = 1,
  MentionAll = 2,
  MentionAllAndMe = 3,
}

export interface ZIMConversationQueryConfig {
  /** Accepted as ZIM's; Chorus returns one page of up to 100 conversations and does not page past it yet. */
  nextConversation?: Partial<Pick<ZIMConversation, "conversationID" | "type" | "orderKey">>;
  count: number;
}

export interface ZIMUserInfo {
  userID: string;
  userName?: string;
}

/** A user as ZIM's results list one (a room's members): Chorus knows the id; the other fields are empty. */
export interface ZIMUserFullInfo {
  userID: string;
  userName: string;
  userAvatarUrl: string;
  userExtendedData: string;
}

/** A group member as ZIM's results list one. Chorus has no nicknames, roles, avatars or mutes yet: empty values and 0. */
export interface ZIMGroupMemberInfo extends ZIMUserFullInfo {
  memberNickname: string;
  /** ZIM: 1 owner, 2 manager, 3 member. Chorus: 3 for members it invited or created the group with, 0 (not known) in member lists. */
  memberRole: number;
  memberAvatarUrl: string;
  muteExpiredTime: number;
  groupEnterInfo: ZIMGroupEnterInfo;
}

/** How a member came into the group; Chorus does not record it yet (enterTime 0, Unknown). */
export interface ZIMGroupEnterInfo {
  enterTime: number;
  enterType: ZIMGroupEnterType;
  operatedUser?: ZIMUserFullInfo & { memberNickname: string; memberRole: number };
}

export enum ZIMGroupEnterType {
  Unknown = 0,
  Created = 1,
  JoinApply = 2,
  Joined = 3,
  Invited = 4,
  InviteApply = 5,
}

export enum ZIMGroupMessageNotificationStatus {
  Notify = 1,
  Disturb = 2,
}

export enum ZIMGroupMuteMode {
  None = 0,
  Normal = 1,
  All = 2,
  Custom = 3,
}

/** Who may join: Chorus lets anyone join who was not kicked (Any). */
export enum ZIMGroupJoinMode {
  Any = 0,
  Auth = 1,
  Forbid = 2,
}

/** Who may invite: in Chorus any member (Any). */
export enum ZIMGroupInviteMode {
  Any = 0,
  Admin = 1,
}

/** Whether an invitee must accept: in Chorus never (None). */
export enum ZIMGroupBeInviteMode {
  None = 0,
  Auth = 1,
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

/**
 * A group as ZIM's results give it. Chorus has the id, name, owner and member count; the fields it has no value for
 * yet (notice, attributes, alias, mutes, creation time, limits) are empty or 0, and its verification rules are what
 * Chorus does (anyone may join who was not kicked, any member may invite, no invitee must accept).
 */
export interface ZIMGroupFullInfo {
  baseInfo: { groupID: string; groupName: string; groupAvatarUrl: string };
  groupNotice: string;
  groupAttributes: Record<string, string>;
  groupAlias: string;
  notificationStatus: ZIMGroupMessageNotificationStatus;
  mutedInfo: { mode: ZIMGroupMuteMode; expiredTime: number; roles: number[] };
  createTime: number;
  maxMemberCount: number;
  verifyInfo: { joinMode: ZIMGroupJoinMode; inviteMode: ZIMGroupInviteMode; beInviteMode: ZIMGroupBeInviteMode };
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

/** Data of the older `receivePeerMessage`, `receiveGroupMessage`, `receiveRoomMessage`. */
export interface ZIMEventOfReceiveConversationMessageResult {
  messageList: ZIMMessage[];
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
  /** ZIM's older name of `peerMessageReceived` (deprecated in ZIM, used by its samples), fired right after it. */
  receivePeerMessage: (zim: ZIM, data: ZIMEventOfReceiveConversationMessageResult) => void;
  /** ZIM's older name of `groupMessageReceived`, fired right after it. */
  receiveGroupMessage: (zim: ZIM, data: ZIMEventOfReceiveConversationMessageResult) => void;
  /** ZIM's older name of `roomMessageReceived`, fired right after it. */
  receiveRoomMessage: (zim: ZIM, data: ZIMEventOfReceiveConversationMessageResult) => void;
  conversationChanged: (zim: ZIM, data: { infoList: { event: ZIMConversationEvent; conversation: ZIMConversation }[] }) => void;
  conversationTotalUnreadMessageCountUpdated: (zim: ZIM, data: { totalUnreadMessageCount: number }) => void;
  messageReceiptChanged: (zim: ZIM, data: { infos: ZIMMessageReceiptInfo[] }) => void;
  messageRevokeReceived: (zim: ZIM, data: { messageList: ZIMMessage[] }) => void;
  groupMemberStateChanged: (zim: ZIM, data: { groupID: string; updateType: "add" | "delete" | "dismiss"; userList: { userID: string }[] }) => void;
}

/** The app and server a ZIM instance talks to. */
export interface ZIMAppConfig {
  appID: number;
  /** ZIM's app signature: not used (Chorus authenticates by Token04 only); accepted so that ZIM's config compiles. */
  appSign?: string;
  /**
   * Chorus: the server's address as `chorus serve` prints it (`http://127.0.0.1:8080`), or its WebSocket address. When
   * absent (as in ZIM's `ZIM.create(appID)`), the one given once to {@link ZIM.setServer}, else the page's origin.
   */
  server?: string;
}

export const ZIMVersion = "chorus-1.0.0";
