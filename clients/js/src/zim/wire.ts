/**
 * Chat messages on the wire and as the application sees them ({@link ZIMMessage}), and the small readers of wire
 * values every chat feature shares.
 */
import { Int64, idString, num, str } from "../codec.js";
import {
  ZIMConversationType,
  type ZIMMessage,
  ZIMMessageDirection,
  ZIMMessagePriority,
  ZIMMessageReceiptStatus,
  type ZIMMessageSendConfig,
  ZIMMessageSentStatus,
  ZIMMessageType,
} from "./types.js";

export type WireMessage = Record<string, unknown>;

export function wireList(value: unknown): WireMessage[] {
  return Array.isArray(value) ? (value.filter((v) => v !== null && typeof v === "object") as WireMessage[]) : [];
}

export function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
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

/** A message to send as the server reads it. */
export function toWire(m: ZIMMessage, config: ZIMMessageSendConfig | undefined): WireMessage {
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

/** Fills in what the server decided (id, sender, conversation, time, sequence). */
export function fill(m: ZIMMessage, w: WireMessage, me: string): void {
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
