/**
 * The request checks the client makes before sending, with the server's codes and texts (the same rules as
 * src/Chorus.Protocol's RoomLimits and ChatLimits), so that no input of an application can cost it its connection.
 */
import { utf8Length } from "./codec.js";
import { RoomErrorCode } from "./errors.js";

export const MaxRoomIdBytes = 128;
export const MaxUserIdBytes = 64;
export const MaxUserNameBytes = 255;
export const MaxMessageBytes = 1024;
export const MaxCustomCommandTargets = 10;
export const MaxExtraInfoKeyBytes = 127;
export const MaxExtraInfoValueBytes = 4095;
export const DefaultMaxFrameBytes = 16384;
export const DefaultMaxTextBytes = 2048;
export const MaxCommandBytes = 5120;
export const MaxExtendedDataBytes = 1024;
export const MaxSearchedContentBytes = 64;
export const MaxChatGroupIdBytes = 32;
export const MaxChatRoomIdBytes = 128;
export const MaxNameBytes = 64;
export const MaxHistoryCount = 100;
export const MaxReceiptMessages = 10;
export const MaxMentionedUsers = 100;

const RoomIdPunctuation = "~!@#$%^&*()_+=-`;',.<>/\\";
const ChatIdPunctuation = "!#$%&()+-:;<=.>?@[]^_{}|~";

function isAsciiLetterOrDigit(c: string): boolean {
  return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9");
}

/** 0, or 1002011 (empty), 1002013 (over 128 bytes), 1002012 (a character outside the allowed set). */
export function validateRoomId(roomId: unknown): number {
  if (typeof roomId !== "string" || roomId === "") return RoomErrorCode.RoomIdEmpty;
  if (utf8Length(roomId) > MaxRoomIdBytes) return RoomErrorCode.RoomIdTooLong;
  for (const c of roomId) if (!isAsciiLetterOrDigit(c) && !RoomIdPunctuation.includes(c)) return RoomErrorCode.RoomIdInvalid;
  return 0;
}

// Control, format (invisible, bidirectional), line/paragraph separators, non-ASCII spaces, noncharacters, unpaired
// surrogates and default-ignorable code points are refused in UserIds (as the server does).
const ForbiddenIdCharacter = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]|(?!\u0020)\p{Zs}|[\uFDD0-\uFDEF]|[\u034F\u115F\u1160\u17B4\u17B5\u180B-\u180F\u2060-\u206F\u3164\uFE00-\uFE0F\uFFA0\uFFF0-\uFFF8]|[\u{1BCA0}-\u{1BCA3}\u{1D173}-\u{1D17A}\u{E0000}-\u{E0FFF}]/u;

/** Whether a UserId holds a character the server refuses. */
export function hasForbiddenIdCharacter(id: string): boolean {
  if (ForbiddenIdCharacter.test(id)) return true;
  for (const ch of id) {
    const v = ch.codePointAt(0)!;
    if ((v & 0xfffe) === 0xfffe) return true; // noncharacters U+xxFFFE, U+xxFFFF
  }
  return false;
}

/** 0, or 1002005 (empty), 1002007 (over 64 bytes), 1002006 (a forbidden character). */
export function validateUserId(userId: unknown): number {
  if (typeof userId !== "string" || userId === "") return RoomErrorCode.UserIdEmpty;
  if (utf8Length(userId) > MaxUserIdBytes) return RoomErrorCode.UserIdTooLong;
  return hasForbiddenIdCharacter(userId) ? RoomErrorCode.UserIdInvalid : 0;
}

/** The server's text for a RoomId or UserId code. */
export function idErrorText(code: number): string {
  switch (code) {
    case RoomErrorCode.RoomIdEmpty: return "RoomId is empty";
    case RoomErrorCode.RoomIdTooLong: return `RoomId is longer than ${MaxRoomIdBytes} bytes`;
    case RoomErrorCode.RoomIdInvalid: return `RoomId holds a character outside the allowed set (ASCII letters, digits and ${RoomIdPunctuation})`;
    case RoomErrorCode.UserIdEmpty: return "UserId is empty";
    case RoomErrorCode.UserIdTooLong: return `UserId is longer than ${MaxUserIdBytes} bytes`;
    case RoomErrorCode.UserIdInvalid: return "UserId holds a control, invisible or direction-changing character";
    default: return "";
  }
}

/** 0, or 1009001 (empty), 1009002 (over 1024 bytes). */
export function validateContent(content: unknown): number {
  if (typeof content !== "string" || content === "") return RoomErrorCode.ContentEmpty;
  return utf8Length(content) > MaxMessageBytes ? RoomErrorCode.ContentTooLong : 0;
}

/** 0, or 1009013 (over 10), 1009011/1009012/1002006 (a bad target). */
export function validateTargets(targets: readonly string[] | undefined): number {
  if (targets === undefined) return 0;
  if (targets.length > MaxCustomCommandTargets) return RoomErrorCode.TooManyTargets;
  for (const t of targets) {
    if (typeof t !== "string" || t === "") return RoomErrorCode.TargetUserIdEmpty;
    if (utf8Length(t) > MaxUserIdBytes) return RoomErrorCode.TargetUserIdTooLong;
    if (hasForbiddenIdCharacter(t)) return RoomErrorCode.UserIdInvalid;
  }
  return 0;
}

/** null, or why a room extra info key/value is refused (1009002). */
export function extraInfoProblem(key: unknown, value: unknown): string | null {
  if (typeof key !== "string" || key === "" || utf8Length(key) > MaxExtraInfoKeyBytes) return "extra info key must be 1-127 bytes";
  if (typeof value === "string" && utf8Length(value) > MaxExtraInfoValueBytes) return "extra info value must be under 4096 bytes";
  return null;
}

export function isValidUserName(userName: unknown): boolean {
  return userName === undefined || userName === null || (typeof userName === "string" && utf8Length(userName) <= MaxUserNameBytes);
}

// ---- chat -------------------------------------------------------------------------------------------------------

/** Chat ID rule: letters, digits and a set of punctuation, 1..maxBytes bytes. */
export function isValidChatId(id: unknown, maxBytes: number): boolean {
  if (typeof id !== "string" || id === "" || utf8Length(id) > maxBytes) return false;
  for (const c of id) if (!isAsciiLetterOrDigit(c) && !ChatIdPunctuation.includes(c)) return false;
  return true;
}

export function conversationIdRule(type: number): string {
  switch (type) {
    case 0: return "a peer conversation ID is a UserId of 1-64 bytes";
    case 2: return `a group ID is 1-32 bytes of letters, digits and ${ChatIdPunctuation}`;
    case 1: return `a room ID is 1-128 bytes of letters, digits and ${ChatIdPunctuation}`;
    default: return "conversation type must be 0 (peer), 1 (room) or 2 (group)";
  }
}

export function isValidConversationId(id: unknown, type: number): boolean {
  switch (type) {
    case 0: return validateUserId(id) === 0;
    case 2: return isValidChatId(id, MaxChatGroupIdBytes);
    case 1: return isValidChatId(id, MaxChatRoomIdBytes);
    default: return false;
  }
}

export function conversationProblem(id: unknown, type: number): string | null {
  return isValidConversationId(id, type) ? null : conversationIdRule(type);
}

export function storedConversationProblem(id: unknown, type: number): string | null {
  return type !== 1 && isValidConversationId(id, type) ? null : "a peer or group conversation is required";
}

export function pageCountProblem(count: number): string | null {
  return !Number.isInteger(count) || count < 1 || count > MaxHistoryCount ? `count must be 1-${MaxHistoryCount}` : null;
}

export function messageIdsProblem(count: number, max: number): string | null {
  return count < 1 || count > max ? `messageIds must hold 1-${max} ids` : null;
}

export function nameProblem(name: unknown, what: string): string | null {
  return typeof name === "string" && utf8Length(name) > MaxNameBytes ? `${what} name is longer than ${MaxNameBytes} bytes` : null;
}

export function groupProblem(groupId: unknown, members: readonly string[] | undefined, name: unknown): string | null {
  if (!isValidChatId(groupId, MaxChatGroupIdBytes)) return conversationIdRule(2);
  if (members !== undefined && members.some((m) => validateUserId(m) !== 0)) return "every member must be a UserId of 1-64 bytes";
  return nameProblem(name, "group");
}

export function roomProblem(roomId: unknown, name: unknown): string | null {
  return isValidChatId(roomId, MaxChatRoomIdBytes) ? nameProblem(name, "room") : conversationIdRule(1);
}
