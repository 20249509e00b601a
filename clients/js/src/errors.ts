/**
 * Errors: every promise of this package that fails rejects with a {@link ChorusError}, `{code, message}` as ZIM web's
 * `ZIMError` and Express web's errors carry them. Codes are the server's (docs/reference.md, "Error codes"): room
 * signaling uses ZEGO Express codes (1002xxx, 1009xxx), chat uses ZIM codes (6000xxx), and Chorus adds 1000002-1000005.
 */
export class ChorusError extends Error {
  /** The error code (the server's, or the one the client gives for a check it made before sending). */
  readonly code: number;

  constructor(code: number, message: string) {
    super(message);
    this.name = "ChorusError";
    this.code = code;
    // Own and enumerable, so that {code, message} survives JSON.stringify and object spread.
    Object.defineProperty(this, "message", { value: message, enumerable: true, writable: true, configurable: true });
  }

  /** A plain `{code, message}` copy. */
  toJSON(): { code: number; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** Room signaling codes (ZEGO Express's numbers; docs/reference.md). */
export const RoomErrorCode = {
  Success: 0,
  TooManyRooms: 1002001,
  NotLoggedIn: 1002002,
  UserIdEmpty: 1002005,
  UserIdInvalid: 1002006,
  UserIdTooLong: 1002007,
  RoomIdEmpty: 1002011,
  RoomIdInvalid: 1002012,
  RoomIdTooLong: 1002013,
  TokenInvalid: 1002033,
  RoomFull: 1002034,
  KickedByOtherLogin: 1002050,
  KickedByServer: 1002055,
  TokenExpired: 1002078,
  ContentEmpty: 1009001,
  ContentTooLong: 1009002,
  WrongRoom: 1009005,
  SendFailed: 1009010,
  TargetUserIdEmpty: 1009011,
  TargetUserIdTooLong: 1009012,
  TooManyTargets: 1009013,
  SendTooFrequent: 1009015,
  MalformedFrame: 1000002,
  TooManyRequests: 1000003,
  TooManyLoginAttempts: 1000004,
  FrameTooLarge: 1000005,
} as const;

/** Chat codes (ZIM's numbers; docs/reference.md). */
export const ZIMErrorCode = {
  Success: 0,
  BadParameter: 6000001,
  RateLimitServer: 6000005,
  LoginFailed: 6000101,
  TokenInvalid: 6000103,
  TokenExpired: 6000106,
  NotLoggedIn: 6000121,
  TargetMissing: 6000204,
  RoomMissing: 6000301,
  NotInRoom: 6000321,
  JoinRoomMissing: 6000322,
  RoomExists: 6000323,
  RoomCountLimit: 6000324,
  JoinedRoomCountLimit: 6000325,
  GroupCreateFailed: 6000503,
  GroupMissing: 6000523,
  GroupExists: 6000524,
  GroupFull: 6000525,
  GroupDismissed: 6000527,
  NoPermission: 6000541,
} as const;
