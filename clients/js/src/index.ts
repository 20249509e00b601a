/**
 * Chorus client for browsers (and Node.js): room signaling shaped like ZEGO Express's web SDK ({@link ZegoExpressEngine})
 * and in-app chat shaped like ZIM's web SDK ({@link ZIM}), over the Chorus protocol version 1 (docs/protocol.md).
 * No runtime dependency: it uses the platform's WebSocket (or one passed in `options.WebSocket`).
 */
export { ZegoExpressEngine, ZegoRoomStateChangedReason, ZegoExpressVersion } from "./express.js";
export type {
  ZegoUser,
  ZegoRoomConfig,
  ZegoRoomState,
  ZegoLogConfig,
  ZegoServerResponse,
  ZegoBroadcastMessageInfo,
  ZegoBarrageMessageInfo,
  ZegoRoomExtraInfo,
  ZegoEvent,
} from "./express.js";
export { ChorusError, RoomErrorCode, ZIMErrorCode } from "./errors.js";
export { webSocketUrl, SubProtocol } from "./channel.js";
export type { ChorusClientOptions, WebSocketConstructor, WebSocketLike } from "./channel.js";
export { reconnectDelay } from "./backoff.js";
export { parseFrame, stringifyFrame, quoteLargeIntegers, Int64, utf8Length } from "./codec.js";
export type { Frame } from "./codec.js";
export {
  ZIM,
  ZIMVersion,
  ZIMConversationType,
  ZIMMessageType,
  ZIMConnectionState,
  ZIMConnectionEvent,
  ZIMMessageDirection,
  ZIMMessageSentStatus,
  ZIMMessagePriority,
  ZIMMessageReceiptStatus,
  ZIMConversationNotificationStatus,
  ZIMConversationEvent,
  ZIMRoomState,
  ZIMRoomEvent,
} from "./zim.js";
export type {
  ZIMMessage,
  ZIMMessageInput,
  ZIMMessageSendConfig,
  ZIMMessageSendNotification,
  ZIMMessageQueryConfig,
  ZIMConversation,
  ZIMConversationQueryConfig,
  ZIMUserInfo,
  ZIMLoginConfig,
  ZIMGroupInfo,
  ZIMGroupFullInfo,
  ZIMRoomInfo,
  ZIMRoomFullInfo,
  ZIMErrorUserInfo,
  ZIMMessageReceiptInfo,
  ZIMEventOfConversationMessageReceivedResult,
  ZIMEventOfReceiveConversationMessageResult,
  ZIMEventHandler,
  ZIMAppConfig,
} from "./zim.js";
