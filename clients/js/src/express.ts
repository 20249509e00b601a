/**
 * Room signaling shaped like ZEGO Express's web SDK (`ZegoExpressEngine`): `loginRoom`, `logoutRoom`, `renewToken`,
 * `sendCustomCommand`, `sendBroadcastMessage`, `sendBarrageMessage`, `setRoomExtraInfo`, and Express's event names
 * through `on(...)`. See the package README for where it differs from ZEGO's.
 */
import { Channel, type ChorusClientOptions, webSocketUrl } from "./channel.js";
import { type Frame, idString, num, str } from "./codec.js";
import { ChorusError, RoomErrorCode } from "./errors.js";
import { Emitter } from "./emitter.js";
import { EventTable, type ResultDecoders, noResult } from "./table.js";
import { extraInfoProblem, idErrorText, isValidUserName, validateContent, validateRoomId, validateTargets, validateUserId } from "./limits.js";

/** A user in a room. */
export interface ZegoUser {
  userID: string;
  /** Display name (up to 255 bytes); the UserId when absent. */
  userName?: string;
}

/** Settings of one room login. */
export interface ZegoRoomConfig {
  /** Whether to receive `roomUserUpdate` (default true). */
  userUpdate?: boolean;
  /** Room capacity, set by the room's first user; 0 = unlimited. */
  maxMemberCount?: number;
}

/** Why a room's state changed: Express web's enum (its names and reason strings). */
export enum ZegoRoomStateChangedReason {
  Logining = "LOGINING",
  Logined = "LOGINED",
  LoginFailed = "LOGIN_FAILED",
  Reconnecting = "RECONNECTING",
  Reconnected = "RECONNECTED",
  ReconnectFailed = "RECONNECT_FAILED",
  Kickout = "KICKOUT",
  Logout = "LOGOUT",
  LogoutFailed = "LOGOUT_FAILED",
}

/** A room's connection state as Express web's older `roomStateUpdate` event reports it. */
export type ZegoRoomState = "DISCONNECTED" | "CONNECTING" | "CONNECTED";

/** What Express web's `setLogConfig` takes. Chorus's client writes no log, so it is accepted and has no effect. */
export interface ZegoLogConfig {
  logLevel?: "debug" | "info" | "warn" | "error" | "report" | "disable";
  remoteLogLevel?: "debug" | "info" | "warn" | "error" | "disable";
  logURL?: string;
  logCount?: number;
  logSize?: number;
}

/** The version `getVersion()` reports: this package's. */
export const ZegoExpressVersion = "chorus-client-0.1.0";

const Reasons: readonly ZegoRoomStateChangedReason[] = [
  ZegoRoomStateChangedReason.Logining,
  ZegoRoomStateChangedReason.Logined,
  ZegoRoomStateChangedReason.LoginFailed,
  ZegoRoomStateChangedReason.Reconnecting,
  ZegoRoomStateChangedReason.Reconnected,
  ZegoRoomStateChangedReason.ReconnectFailed,
  ZegoRoomStateChangedReason.Kickout,
  ZegoRoomStateChangedReason.Logout,
  ZegoRoomStateChangedReason.LogoutFailed,
];

/** The `roomStateUpdate` state of each reason: logging in or back in is CONNECTING, logged in CONNECTED, anything else DISCONNECTED. */
function roomStateOf(reason: ZegoRoomStateChangedReason): ZegoRoomState {
  switch (reason) {
    case ZegoRoomStateChangedReason.Logining:
    case ZegoRoomStateChangedReason.Reconnecting:
      return "CONNECTING";
    case ZegoRoomStateChangedReason.Logined:
    case ZegoRoomStateChangedReason.Reconnected:
      return "CONNECTED";
    default:
      return "DISCONNECTED";
  }
}

/**
 * The results of the room ops, as the methods read them (login and logout read their codes themselves: a refused login
 * is reported as LOGIN_FAILED first, a logout of a room the server already forgot is no failure).
 */
const results = {
  login: (reply: Frame) => toUsers(reply.users),
  logout: noResult,
  renewToken: noResult,
  customCommand: noResult,
  broadcast: (reply: Frame) => idString(reply.messageId),
  barrage: (reply: Frame) => str(reply.barrageId),
  setExtraInfo: noResult,
} satisfies ResultDecoders<void>;

type RoomOp = keyof typeof results;

/** Result of a room request: `errorCode` 0 (failures reject with a ChorusError instead). */
export interface ZegoServerResponse {
  errorCode: number;
  extendedData?: string;
}

/** One broadcast message. `messageID` is an int64 as a decimal string (it exceeds 2^53). */
export interface ZegoBroadcastMessageInfo {
  fromUser: ZegoUser;
  message: string;
  sendTime: number;
  messageID: string;
}

/** One barrage message (`messageID` such as `1_1611647493487_29`). */
export interface ZegoBarrageMessageInfo {
  fromUser: ZegoUser;
  message: string;
  sendTime: number;
  messageID: string;
}

/** One room extra info entry. */
export interface ZegoRoomExtraInfo {
  key: string;
  value: string;
  updateUser: ZegoUser;
  updateTime: number;
}

/** The events of {@link ZegoExpressEngine}, with Express web's names and arguments. */
export interface ZegoEvent {
  roomStateChanged: (roomID: string, reason: ZegoRoomStateChangedReason, errorCode: number, extendedData: string) => void;
  roomUserUpdate: (roomID: string, updateType: "ADD" | "DELETE", userList: ZegoUser[]) => void;
  roomOnlineUserCountUpdate: (roomID: string, count: number) => void;
  /** Chorus also passes the seconds left. */
  roomTokenWillExpire: (roomID: string, remainTimeInSecond: number) => void;
  /** Express web's name of the same warning (the room only), fired right after `roomTokenWillExpire`. */
  tokenWillExpire: (roomID: string) => void;
  /** Express web's older state event, fired right after each `roomStateChanged`: its reason as a state. */
  roomStateUpdate: (roomID: string, state: ZegoRoomState, errorCode: number, extendedData: string) => void;
  roomExtraInfoUpdate: (roomID: string, roomExtraInfoList: ZegoRoomExtraInfo[]) => void;
  IMRecvCustomCommand: (roomID: string, fromUser: ZegoUser, command: string) => void;
  IMRecvBroadcastMessage: (roomID: string, chatData: ZegoBroadcastMessageInfo[]) => void;
  IMRecvBarrageMessage: (roomID: string, messageInfo: ZegoBarrageMessageInfo[]) => void;
}

interface JoinedRoom {
  roomID: string;
  token: string;
  user: { userID: string; userName: string };
  config: { userUpdate: boolean; maxMemberCount: number };
}

/**
 * The room signaling engine: one WebSocket to a Chorus server, any number of room logins over it (up to the server's
 * limit, 5 by default), one user. It connects on the first login; after a dropped connection it reconnects by itself
 * with jittered backoff and logs back into its rooms (`roomStateChanged` RECONNECTING, then RECONNECTED or
 * RECONNECT_FAILED).
 */
export class ZegoExpressEngine {
  private readonly channel: Channel;
  private readonly events = new Emitter<ZegoEvent>();
  private readonly rooms = new Map<string, JoinedRoom>();
  /** Server op → its handler; every event frame is dispatched from here (an op not in it is ignored). */
  private readonly table = new EventTable();

  /**
   * @param appID the app's AppId.
   * @param server the Chorus server's address as `chorus serve` prints it (`http://127.0.0.1:8080`), or its WebSocket
   *   address (`ws://127.0.0.1:8080/ws`).
   * @param options connection settings (the WebSocket constructor, timeouts, reconnect delays).
   */
  constructor(readonly appID: number, readonly server: string, options?: ChorusClientOptions) {
    this.channel = new Channel(webSocketUrl(server, appID), options, {
      onEvent: (frame) => {
        this.table.dispatch(frame);
      },
      restore: () => this.logBackIn(),
      onReconnecting: () => {
        for (const roomID of this.rooms.keys()) this.state(roomID, ZegoRoomStateChangedReason.Reconnecting, 0, "");
      },
      onGaveUp: () => {
        for (const roomID of [...this.rooms.keys()]) {
          this.rooms.delete(roomID);
          this.state(roomID, ZegoRoomStateChangedReason.ReconnectFailed, RoomErrorCode.SendFailed, "could not reconnect");
        }
      },
      wantsConnection: () => this.rooms.size > 0,
    });
    this.table.register({
      customCommand: (frame) => this.events.emit("IMRecvCustomCommand", str(frame.roomId), sender(frame), str(frame.content)),
      broadcast: (frame) =>
        this.events.emit("IMRecvBroadcastMessage", str(frame.roomId), [
          { fromUser: sender(frame), message: str(frame.content), sendTime: num(frame.sendTime), messageID: idString(frame.messageId) },
        ]),
      barrage: (frame) =>
        this.events.emit("IMRecvBarrageMessage", str(frame.roomId), [
          { fromUser: sender(frame), message: str(frame.content), sendTime: num(frame.sendTime), messageID: str(frame.barrageId) },
        ]),
      userUpdate: (frame) => this.events.emit("roomUserUpdate", str(frame.roomId), frame.updateType === "delete" ? "DELETE" : "ADD", toUsers(frame.users)),
      onlineCount: (frame) => this.events.emit("roomOnlineUserCountUpdate", str(frame.roomId), num(frame.count)),
      roomState: (frame) => {
        const roomID = str(frame.roomId);
        const reason = Reasons[num(frame.reason)] ?? ZegoRoomStateChangedReason.Kickout;
        if (reason === ZegoRoomStateChangedReason.Kickout) this.rooms.delete(roomID);
        this.state(roomID, reason, num(frame.errorCode), str(frame.extendedData) || str(frame.error));
      },
      tokenWillExpire: (frame) => {
        const roomID = str(frame.roomId);
        this.events.emit("roomTokenWillExpire", roomID, num(frame.secondsLeft));
        this.events.emit("tokenWillExpire", roomID);
      },
      extraInfo: (frame) => {
        const userID = str(frame.fromUserId);
        this.events.emit("roomExtraInfoUpdate", str(frame.roomId), [
          { key: str(frame.key), value: str(frame.value), updateUser: { userID, userName: userID }, updateTime: Date.now() },
        ]);
      },
    });
  }

  /** Registers an event handler. */
  on<K extends keyof ZegoEvent>(event: K, callBack: ZegoEvent[K]): boolean {
    return this.events.on(event, callBack);
  }

  /** Removes an event handler (every handler of the event when none is given). */
  off<K extends keyof ZegoEvent>(event: K, callBack?: ZegoEvent[K]): boolean {
    return this.events.off(event, callBack);
  }

  /** Whether the WebSocket is open now. */
  get isConnected(): boolean {
    return this.channel.isConnected;
  }

  /** Rooms this engine is logged into (or logging back into after a reconnect). */
  get roomIDs(): string[] {
    return [...this.rooms.keys()];
  }

  /**
   * Logs `user` into `roomID` with a Token04. The first login fixes the engine's user. Resolves true; rejects with
   * `{code, message}`: 1002011-1002013 (RoomId), 1002005-1002007 (UserId, UserName), 1002001 (too many rooms), 1002033
   * (token invalid), 1002078 (token expired), 1002034 (room full), 1000005 (over the frame limit), 1009010 (no
   * connection or no answer).
   */
  async loginRoom(roomID: string, token: string, user: ZegoUser, config?: ZegoRoomConfig): Promise<boolean> {
    this.throwIfDestroyed();
    let code = validateRoomId(roomID);
    if (code === 0) code = validateUserId(user?.userID);
    if (code !== 0) throw new ChorusError(code, idErrorText(code));
    if (!isValidUserName(user.userName)) throw new ChorusError(RoomErrorCode.UserIdInvalid, "UserName is longer than 255 bytes");

    const joined: JoinedRoom = {
      roomID,
      token,
      user: { userID: user.userID, userName: user.userName ?? user.userID },
      config: { userUpdate: config?.userUpdate ?? true, maxMemberCount: config?.maxMemberCount ?? 0 },
    };
    this.state(roomID, ZegoRoomStateChangedReason.Logining, 0, "");
    if (!(await this.channel.ensureConnected())) {
      this.state(roomID, ZegoRoomStateChangedReason.LoginFailed, RoomErrorCode.SendFailed, "");
      throw new ChorusError(RoomErrorCode.SendFailed, "could not connect to the server");
    }
    const reply = await this.request(loginFrame(joined));
    const errorCode = num(reply.errorCode);
    if (errorCode !== 0) {
      this.state(roomID, ZegoRoomStateChangedReason.LoginFailed, errorCode, str(reply.error));
      throw new ChorusError(errorCode, str(reply.error));
    }
    this.rooms.set(roomID, joined);
    const users = results.login(reply);
    this.state(roomID, ZegoRoomStateChangedReason.Logined, 0, "");
    if (joined.config.userUpdate && users.length > 0) this.events.emit("roomUserUpdate", roomID, "ADD", users);
    return true;
  }

  /** Logs out of a room, or of every room when `roomID` is omitted. Rejects with 1002002 if not logged into it. */
  async logoutRoom(roomID?: string): Promise<void> {
    this.throwIfDestroyed();
    const targets = roomID === undefined ? [...this.rooms.keys()] : [roomID];
    for (const id of targets) {
      if (!this.rooms.delete(id)) throw new ChorusError(RoomErrorCode.NotLoggedIn, "not logged into this room");
      const reply = await this.request({ op: "logout", roomId: id });
      // Gone locally either way: the server drops the login when the connection goes.
      this.state(id, ZegoRoomStateChangedReason.Logout, 0, "");
      const code = num(reply.errorCode);
      if (code !== 0 && code !== RoomErrorCode.NotLoggedIn) throw new ChorusError(code, str(reply.error));
    }
  }

  /**
   * Replaces the token of a room login (call it on `roomTokenWillExpire`); of every room when `roomID` is omitted.
   * Resolves true; rejects with 1002033/1002078/1002002.
   */
  async renewToken(token: string, roomID?: string): Promise<boolean> {
    this.throwIfDestroyed();
    const targets = roomID === undefined ? [...this.rooms.values()] : [this.rooms.get(roomID)];
    if (targets.length === 0 || targets.some((t) => t === undefined)) throw new ChorusError(RoomErrorCode.NotLoggedIn, "not logged into this room");
    for (const joined of targets as JoinedRoom[]) {
      await this.call("renewToken", { roomId: joined.roomID, token });
      joined.token = token;
    }
    return true;
  }

  /**
   * Sends a custom command (1-1024 UTF-8 bytes, unreliable) to the listed UserIds, or to everyone in the room but the
   * sender when the list is empty or omitted (at most 10). Rejects with 1009001/1009002 (content),
   * 1009011/1009012/1009013 (targets), 1002002/1009005 (room), 1009015 (rate), 1000005, 1009010.
   */
  async sendCustomCommand(roomID: string, command: string, toUserIDList?: string[]): Promise<ZegoServerResponse> {
    this.throwIfDestroyed();
    const targets = toUserIDList && toUserIDList.length > 0 ? [...toUserIDList] : undefined;
    let code = this.checkSend(roomID, command);
    if (code === 0) code = validateTargets(targets);
    if (code !== 0) throw new ChorusError(code, "refused by the client's checks");
    await this.call("customCommand", { roomId: roomID, content: command, toUserIds: targets });
    return { errorCode: 0 };
  }

  /** Sends a broadcast message (1-1024 bytes, reliable; 2/s per client, 10/s per room); resolves with its `messageID`. */
  async sendBroadcastMessage(roomID: string, message: string): Promise<ZegoServerResponse & { messageID: string }> {
    this.throwIfDestroyed();
    const code = this.checkSend(roomID, message);
    if (code !== 0) throw new ChorusError(code, "refused by the client's checks");
    return { errorCode: 0, messageID: await this.call("broadcast", { roomId: roomID, content: message }) };
  }

  /** Sends a barrage message (1-1024 bytes, unreliable; 20/s per room); resolves with its `messageID`. */
  async sendBarrageMessage(roomID: string, message: string): Promise<ZegoServerResponse & { messageID: string }> {
    this.throwIfDestroyed();
    const code = this.checkSend(roomID, message);
    if (code !== 0) throw new ChorusError(code, "refused by the client's checks");
    return { errorCode: 0, messageID: await this.call("barrage", { roomId: roomID, content: message }) };
  }

  /** Sets a room extra info key (1-127 bytes) to a value (under 4096 bytes); the other members get `roomExtraInfoUpdate`. */
  async setRoomExtraInfo(roomID: string, key: string, value: string): Promise<ZegoServerResponse> {
    this.throwIfDestroyed();
    if (!this.rooms.has(roomID)) throw new ChorusError(RoomErrorCode.NotLoggedIn, "not logged into this room");
    const problem = extraInfoProblem(key, value);
    if (problem !== null) throw new ChorusError(RoomErrorCode.ContentTooLong, problem);
    await this.call("setExtraInfo", { roomId: roomID, key, value });
    return { errorCode: 0 };
  }

  /** This client's version (`ZegoExpressVersion`). */
  getVersion(): string {
    return ZegoExpressVersion;
  }

  /** Accepted for Express web's calls; Chorus's client writes no log, so nothing changes. Returns true. */
  setLogConfig(config: ZegoLogConfig): boolean {
    void config;
    return true;
  }

  /** Accepted for Express web's calls; Chorus's client writes no log, so nothing changes. */
  setDebugVerbose(enable: boolean): void {
    void enable;
  }

  /** Closes the connection; rooms are left; handlers are removed. Afterwards every method rejects with 1009010. */
  destroyEngine(): void {
    this.rooms.clear();
    this.channel.close();
    this.events.clear();
  }

  // ---- plumbing -------------------------------------------------------------------------------------------------

  private throwIfDestroyed(): void {
    if (this.channel.disposed) throw new ChorusError(RoomErrorCode.SendFailed, "the engine was destroyed");
  }

  private request(frame: Frame): Promise<Frame> {
    return this.channel.request(frame, RoomErrorCode.SendFailed);
  }

  /** Sends `op` with `fields`; rejects with the server's code when it refuses, else resolves with the op's decoded result. */
  private async call<K extends RoomOp>(op: K, fields: Frame): Promise<ReturnType<(typeof results)[K]>> {
    const reply = await this.request({ op, ...fields });
    const code = num(reply.errorCode);
    if (code !== 0) throw new ChorusError(code, str(reply.error));
    return results[op](reply) as ReturnType<(typeof results)[K]>;
  }

  private checkSend(roomID: string, content: string): number {
    const code = validateRoomId(roomID);
    if (code !== 0) return code;
    if (!this.rooms.has(roomID)) return this.rooms.size === 0 ? RoomErrorCode.NotLoggedIn : RoomErrorCode.WrongRoom;
    return validateContent(content);
  }

  private state(roomID: string, reason: ZegoRoomStateChangedReason, errorCode: number, extendedData: string): void {
    this.events.emit("roomStateChanged", roomID, reason, errorCode, extendedData);
    this.events.emit("roomStateUpdate", roomID, roomStateOf(reason), errorCode, extendedData);
  }

  /** Logs back into every room after a reconnect; false when the connection failed on the way (try again). */
  private async logBackIn(): Promise<boolean> {
    for (const joined of [...this.rooms.values()]) {
      const reply = await this.request(loginFrame(joined));
      const code = num(reply.errorCode);
      if (code === RoomErrorCode.SendFailed && !this.channel.isConnected) return false;
      if (code === 0) {
        this.state(joined.roomID, ZegoRoomStateChangedReason.Reconnected, 0, "");
      } else if (this.rooms.get(joined.roomID) === joined) {
        this.rooms.delete(joined.roomID);
        this.state(joined.roomID, ZegoRoomStateChangedReason.ReconnectFailed, code, str(reply.error));
      }
    }
    return true;
  }
}

function loginFrame(joined: JoinedRoom): Frame {
  return {
    op: "login",
    roomId: joined.roomID,
    userId: joined.user.userID,
    userName: joined.user.userName,
    token: joined.token,
    maxMemberCount: joined.config.maxMemberCount,
    userStatusNotify: joined.config.userUpdate,
  };
}

function sender(frame: Frame): ZegoUser {
  const userID = str(frame.fromUserId);
  return { userID, userName: str(frame.fromUserName) || userID };
}

function toUsers(value: unknown): ZegoUser[] {
  if (!Array.isArray(value)) return [];
  return value.map((u: Record<string, unknown>) => ({ userID: str(u?.userId), userName: str(u?.userName) || str(u?.userId) }));
}
