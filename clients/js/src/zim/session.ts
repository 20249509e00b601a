/**
 * The core of {@link ZIM}: the connection, the login (and logging back in after a reconnect), the state the features
 * share, the application's event handlers, and the event table every incoming frame is dispatched from. The features
 * (messages, conversations, groups, rooms) each register their event ops and lifecycle hooks here; the session knows
 * none of their ops.
 */
import { Channel, type ChorusClientOptions, webSocketUrl } from "../channel.js";
import { type Frame, num, str } from "../codec.js";
import { ChorusError, ZIMErrorCode } from "../errors.js";
import { Emitter } from "../emitter.js";
import { idErrorText, isValidUserName, validateUserId } from "../limits.js";
import { EventTable, type EventHandler, type ResultDecoders, noResult } from "../table.js";
import type { ZIM } from "../zim.js";
import { type ZIMAppConfig, ZIMConnectionEvent, ZIMConnectionState, type ZIMEventHandler, type ZIMLoginConfig, type ZIMUserInfo } from "./types.js";

/** What the session calls on a feature at the steps of a login's life (every hook optional). */
export interface ChatFeature {
  /** A new login (not a reconnect) succeeded: forget what belonged to the previous one. */
  loggedIn?(): void;
  /** After a reconnect, once logged back in: restore this feature's state on the server (before catching up). */
  restore?(): Promise<void>;
  /** After a login and after a restore: bring this feature's conversations up to date. */
  catchUp?(): Promise<void>;
}

/** The session's own ops (login, logout, token). */
const results = {
  chatRenewToken: noResult,
} satisfies ResultDecoders<string>;

export class ChatSession {
  readonly channel: Channel;
  readonly events = new Emitter<ZIMEventHandler>();
  /** Server op → the handler of the feature that owns it; every event frame is dispatched from here. */
  readonly table = new EventTable();
  /** Chat rooms entered (rooms writes them; messages catches them up after a reconnect). */
  readonly rooms = new Set<string>();
  user: { userID: string; userName: string } | null = null;
  private token: string | null = null;
  private readonly features: ChatFeature[] = [];

  constructor(private readonly zim: ZIM, appConfig: ZIMAppConfig & { server: string }, options: ChorusClientOptions | undefined) {
    this.channel = new Channel(webSocketUrl(appConfig.server, appConfig.appID), options, {
      onEvent: (frame) => {
        this.table.dispatch(frame); // an op no feature registered is ignored
      },
      restore: () => this.restore(),
      onReconnecting: () => this.connectionState(ZIMConnectionState.Reconnecting, ZIMConnectionEvent.LoginInterrupted),
      onGaveUp: () => this.connectionState(ZIMConnectionState.Disconnected, ZIMConnectionEvent.LoginInterrupted),
      wantsConnection: () => this.user !== null,
    });
    this.table.register({
      chatKickedOut: (frame) => {
        this.user = null;
        this.connectionState(
          ZIMConnectionState.Disconnected,
          num(frame.errorCode) === ZIMErrorCode.TokenExpired ? ZIMConnectionEvent.TokenExpired : ZIMConnectionEvent.KickedOut,
        );
      },
      chatTokenWillExpire: (frame) => this.emit("tokenWillExpire", { second: num(frame.secondsLeft) }),
      error: (frame) => this.emit("error", { code: num(frame.errorCode), message: str(frame.error) }),
    });
  }

  /** Adds a feature: its event ops go into the table (an op has one owner); its hooks, if any, run in the order added. */
  add(events: Readonly<Record<string, EventHandler>>, hooks?: ChatFeature): void {
    this.table.register(events);
    if (hooks) this.features.push(hooks);
  }

  /** The logged-in UserId, or "". */
  get me(): string {
    return this.user?.userID ?? "";
  }

  /** Emits one of ZIM's events to the application (the ZIM instance first, as ZIM does). */
  emit<K extends keyof ZIMEventHandler>(type: K, data: Parameters<ZIMEventHandler[K]>[1]): void {
    (this.events.emit as (type: K, zim: ZIM, data: unknown) => void).call(this.events, type, this.zim, data);
  }

  connectionState(state: ZIMConnectionState, event: ZIMConnectionEvent): void {
    this.emit("connectionStateChanged", { state, event, extendedData: "" });
  }

  throwIfDestroyed(): void {
    if (this.channel.disposed) throw new ChorusError(ZIMErrorCode.NotLoggedIn, "the ZIM instance was destroyed");
  }

  /** A request as the client's own machinery sends it: never rejects; the caller reads `errorCode`. */
  request(frame: Frame): Promise<Frame> {
    return this.channel.request(frame, ZIMErrorCode.NotLoggedIn);
  }

  /**
   * A request of the public API: `op` is sent with `fields`, and its result is read by the op's decoder in `results`.
   * Refused with 6000001 before sending when `problem` names what the server would refuse; rejects with the server's
   * code when it refuses.
   */
  async call<D extends ResultDecoders<string>, K extends keyof D & string>(results: D, op: K, problem: string | null, fields: Frame): Promise<ReturnType<D[K]>> {
    this.throwIfDestroyed();
    if (problem !== null) throw new ChorusError(ZIMErrorCode.BadParameter, problem);
    const reply = await this.request({ op, ...fields });
    const code = num(reply.errorCode);
    if (code !== 0) throw new ChorusError(code, str(reply.error));
    return results[op]!(reply, this.me) as ReturnType<D[K]>;
  }

  // ---- login ----------------------------------------------------------------------------------------------------

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
    for (const feature of this.features) feature.loggedIn?.();
    await this.catchUp();
    this.connectionState(ZIMConnectionState.Connected, ZIMConnectionEvent.Success);
  }

  async logout(): Promise<void> {
    this.throwIfDestroyed();
    if (this.user === null) return;
    await this.request({ op: "chatLogout" });
    this.user = null;
    this.rooms.clear();
    this.connectionState(ZIMConnectionState.Disconnected, ZIMConnectionEvent.Success);
  }

  async renewToken(token: string): Promise<{ token: string }> {
    await this.call(results, "chatRenewToken", null, { token });
    this.token = token;
    return { token };
  }

  destroy(): void {
    this.user = null;
    this.channel.close();
    this.events.clear();
  }

  /** After a reconnect: log back in, let the features restore (rooms re-entered), then catch up every conversation. */
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
    for (const feature of this.features) await feature.restore?.();
    await this.catchUp();
    if (!this.channel.isConnected) return false;
    this.connectionState(ZIMConnectionState.Connected, ZIMConnectionEvent.Success);
    return true;
  }

  private async catchUp(): Promise<void> {
    await Promise.all(this.features.map((feature) => feature.catchUp?.()));
  }
}
