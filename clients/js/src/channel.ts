/**
 * One logical connection to the server, shared by nothing: each engine (ZegoExpressEngine, ZIM) owns one. Opens the
 * WebSocket, matches results to requests by `rid`, pings, and after a drop reconnects with jittered exponential
 * backoff, then lets its owner restore its state (log back into rooms, pull missed chat messages). The same design as
 * the C# SDK's ProtocolChannel.
 */
import { firstReconnectAttempt, reconnectDelay } from "./backoff.js";
import { type Frame, parseFrame, stringifyFrame, utf8Length, num } from "./codec.js";
import { RoomErrorCode } from "./errors.js";
import { DefaultMaxFrameBytes, DefaultMaxTextBytes } from "./limits.js";

/** The part of the browser's WebSocket this package uses (the `ws` package of Node.js has it too). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/** A WebSocket constructor: the browser's `WebSocket` (the default), or another with the same shape. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** Settings shared by ZegoExpressEngine and ZIM (all optional). */
export interface ChorusClientOptions {
  /** The WebSocket constructor; default `globalThis.WebSocket` (browsers, Node.js 22+). In Node.js 20 pass `ws`'s. */
  WebSocket?: WebSocketConstructor;
  /** How long a request waits for the server's answer before it fails (1009010 rooms, 6000121 chat). Default 10000 ms. */
  requestTimeoutMs?: number;
  /** How long opening the WebSocket may take. Default 10000 ms. */
  connectTimeoutMs?: number;
  /** The connection is taken as dead when nothing arrives for this long. Default 30000 ms. */
  serverSilenceTimeoutMs?: number;
  /** First reconnect delay; it doubles up to reconnectMaxDelayMs, with jitter. Default 200 ms. */
  reconnectMinDelayMs?: number;
  /** Longest reconnect delay. Default 5000 ms. */
  reconnectMaxDelayMs?: number;
  /** How long to keep trying to reconnect before giving up (RECONNECT_FAILED / Disconnected). Default 300000 ms. */
  reconnectGiveUpAfterMs?: number;
  /** Source of random numbers in [0, 1) for the reconnect jitter. Default Math.random. */
  random?: () => number;
}

/** The WebSocket address of a server: `http://host:port` → `ws://host:port/ws?appId=N` (`https` → `wss`). */
export function webSocketUrl(server: string, appID: number): string {
  const url = new URL(server);
  if (url.protocol === "https:" || url.protocol === "wss:") url.protocol = "wss:";
  else url.protocol = "ws:";
  let path = url.pathname.replace(/\/+$/, "");
  if (!path.endsWith("/ws")) path += "/ws";
  url.pathname = path;
  url.search = `appId=${appID}`;
  url.hash = "";
  return url.toString();
}

export const SubProtocol = "chorus.v1.json";
const OPEN = 1;

/** Pending requests are failed with this marker, then given the caller's failure code. */
const LostMarker = -2147483648;

export interface ChannelHandlers {
  /** Every frame that is not a result or a pong. */
  onEvent(frame: Frame): void;
  /** After a reconnect: restore server-side state; false when the connection failed on the way (try again). */
  restore(): Promise<boolean>;
  /** The connection dropped and reconnecting starts. */
  onReconnecting(): void;
  /** Reconnecting gave up. */
  onGaveUp(): void;
  /** Whether the owner still needs the connection (anything logged in). */
  wantsConnection(): boolean;
}

interface Pending {
  resolve(frame: Frame): void;
  timer: ReturnType<typeof setTimeout>;
}

class Connection {
  lost = false;
  handled = false;
  lastReceive = Date.now();
  heartbeat: ReturnType<typeof setInterval> | undefined;

  constructor(readonly socket: WebSocketLike) {}

  get alive(): boolean {
    return !this.lost && this.socket.readyState === OPEN;
  }
}

export class Channel {
  private readonly options: Required<Omit<ChorusClientOptions, "WebSocket">> & { WebSocket: WebSocketConstructor | undefined };
  private connection: Connection | null = null;
  private connecting: Promise<boolean> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextRid = 0;
  private reconnecting = false;
  private disposedFlag = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private wakeReconnect: (() => void) | undefined;
  /** Largest request the server accepts (from hello). */
  maxFrameBytes = DefaultMaxFrameBytes;
  /** Largest chat text the server accepts (from hello). */
  maxTextBytes = DefaultMaxTextBytes;

  constructor(private readonly url: string, options: ChorusClientOptions | undefined, private readonly handlers: ChannelHandlers) {
    this.options = {
      WebSocket: options?.WebSocket,
      requestTimeoutMs: options?.requestTimeoutMs ?? 10000,
      connectTimeoutMs: options?.connectTimeoutMs ?? 10000,
      serverSilenceTimeoutMs: options?.serverSilenceTimeoutMs ?? 30000,
      reconnectMinDelayMs: options?.reconnectMinDelayMs ?? 200,
      reconnectMaxDelayMs: options?.reconnectMaxDelayMs ?? 5000,
      reconnectGiveUpAfterMs: options?.reconnectGiveUpAfterMs ?? 300000,
      random: options?.random ?? Math.random,
    };
  }

  get isConnected(): boolean {
    return this.connection?.alive === true;
  }

  get disposed(): boolean {
    return this.disposedFlag;
  }

  /** Opens the WebSocket unless it is open; false when it could not be opened. */
  ensureConnected(): Promise<boolean> {
    if (this.connection?.alive) return Promise.resolve(true);
    if (this.disposedFlag) return Promise.resolve(false);
    if (this.connecting) return this.connecting;
    const attempt = this.open().finally(() => {
      this.connecting = null;
    });
    this.connecting = attempt;
    return attempt;
  }

  private open(): Promise<boolean> {
    const Ctor = this.options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) return Promise.reject(new TypeError("no WebSocket: pass options.WebSocket (in Node.js 20, the 'ws' package's WebSocket)"));
    return new Promise<boolean>((resolve) => {
      let socket: WebSocketLike;
      try {
        socket = new Ctor(this.url, SubProtocol);
      } catch {
        resolve(false);
        return;
      }
      const connection = new Connection(socket);
      let settled = false;
      const settle = (ok: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(ok);
      };
      const timer = setTimeout(() => {
        if (settled) return;
        connection.lost = true;
        connection.handled = true;
        try {
          socket.close();
        } catch {
          /* already closing */
        }
        settle(false);
      }, this.options.connectTimeoutMs);
      socket.onopen = () => {
        if (settled || this.disposedFlag) {
          connection.lost = true;
          connection.handled = true;
          socket.close(1000, "bye");
          settle(false);
          return;
        }
        this.connection = connection;
        connection.lastReceive = Date.now();
        settle(true);
      };
      socket.onmessage = (event) => this.onMessage(connection, event.data);
      socket.onclose = () => {
        if (!settled) settle(false);
        this.onLost(connection);
      };
      socket.onerror = () => {
        if (!settled) {
          connection.lost = true;
          settle(false);
        }
      };
    });
  }

  /**
   * Sends a request and waits for its result. Never rejects: a failure comes back as a result frame with
   * `failureCode` (1000005 for a request over the server's frame limit, which is not sent).
   */
  request(frame: Frame, failureCode: number): Promise<Frame> {
    const rid = ++this.nextRid;
    const body: Frame = { op: frame.op, rid, ...frame };
    const text = stringifyFrame(body);
    const bytes = utf8Length(text);
    if (bytes > this.maxFrameBytes)
      return Promise.resolve(failure(body, RoomErrorCode.FrameTooLarge, `the request is ${bytes} bytes; the server accepts frames of at most ${this.maxFrameBytes} bytes`));
    const connection = this.connection;
    if (!connection?.alive) return Promise.resolve(failure(body, failureCode, "not connected"));
    return new Promise<Frame>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(rid);
        resolve(failure(body, failureCode, "the server did not answer in time"));
      }, this.options.requestTimeoutMs);
      this.pending.set(rid, {
        timer,
        resolve: (reply) => {
          clearTimeout(timer);
          this.pending.delete(rid);
          resolve(reply.errorCode === LostMarker ? failure(body, failureCode, typeof reply.error === "string" ? reply.error : "the connection was lost") : reply);
        },
      });
      try {
        connection.socket.send(text);
      } catch {
        this.onLost(connection);
      }
    });
  }

  private onMessage(connection: Connection, data: unknown): void {
    if (connection.lost) return;
    connection.lastReceive = Date.now();
    if (typeof data !== "string") return; // the server sends text frames only
    const frame = parseFrame(data);
    if (frame === null) return;
    if (frame.op === "hello") {
      if (num(frame.maxFrameBytes) > 0) this.maxFrameBytes = num(frame.maxFrameBytes);
      if (num(frame.maxTextBytes) > 0) this.maxTextBytes = num(frame.maxTextBytes);
      const heartbeatMs = num(frame.heartbeatMs) > 0 ? num(frame.heartbeatMs) : 10000;
      this.startHeartbeat(connection, heartbeatMs);
    }
    if (frame.op === "result" || frame.op === "pong") {
      const rid = num(frame.rid);
      this.pending.get(rid)?.resolve(frame);
      return;
    }
    this.handlers.onEvent(frame);
  }

  private startHeartbeat(connection: Connection, intervalMs: number): void {
    if (connection.heartbeat !== undefined) clearInterval(connection.heartbeat);
    connection.heartbeat = setInterval(() => {
      if (connection.lost) return;
      if (Date.now() - connection.lastReceive > this.options.serverSilenceTimeoutMs) {
        this.drop(connection);
        return;
      }
      try {
        connection.socket.send(stringifyFrame({ op: "ping", rid: ++this.nextRid }));
      } catch {
        this.onLost(connection);
      }
    }, intervalMs);
  }

  /** Closes the socket of a connection taken as dead and handles the loss. */
  private drop(connection: Connection): void {
    try {
      connection.socket.close(4000, "server silent");
    } catch {
      /* closing anyway */
    }
    this.onLost(connection);
  }

  private failPending(message: string): void {
    for (const [rid, p] of [...this.pending]) p.resolve({ op: "result", rid, errorCode: LostMarker, error: message });
  }

  private onLost(connection: Connection): void {
    if (connection.heartbeat !== undefined) {
      clearInterval(connection.heartbeat);
      connection.heartbeat = undefined;
    }
    connection.lost = true;
    if (connection.handled) return;
    connection.handled = true;
    if (this.connection !== connection) return; // a socket that never became the connection
    this.failPending("the connection was lost");
    this.startReconnect();
  }

  /** When the last reconnect restored the connection, and the attempts it started from and used (see firstReconnectAttempt). */
  private restoredAt: number | undefined;
  private lastStartAttempt = 0;
  private lastAttemptsUsed = 0;

  private startReconnect(): void {
    if (this.disposedFlag || this.reconnecting || !this.handlers.wantsConnection()) return;
    this.reconnecting = true;
    void this.reconnectLoop();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeReconnect = resolve;
      this.reconnectTimer = setTimeout(resolve, ms);
    });
  }

  private async reconnectLoop(): Promise<void> {
    let restored = false;
    try {
      this.handlers.onReconnecting();
      const deadline = Date.now() + this.options.reconnectGiveUpAfterMs;
      const start = firstReconnectAttempt(this.restoredAt, Date.now(), this.lastStartAttempt, this.lastAttemptsUsed);
      this.lastStartAttempt = start;
      for (let attempt = start; !this.disposedFlag; attempt++) {
        this.lastAttemptsUsed = attempt - start + 1;
        await this.sleep(reconnectDelay(attempt, this.options.reconnectMinDelayMs, this.options.reconnectMaxDelayMs, this.options.random));
        if (this.disposedFlag || !this.handlers.wantsConnection()) return;
        let ok = false;
        try {
          ok = (await this.ensureConnected()) && (await this.handlers.restore());
        } catch {
          ok = false;
        }
        if (ok) {
          restored = true;
          this.restoredAt = Date.now();
          return;
        }
        if (Date.now() >= deadline) {
          this.handlers.onGaveUp();
          return;
        }
      }
    } finally {
      this.reconnecting = false;
      // The new connection may have died while state was being restored: its loss found a reconnect under way.
      if (restored && this.connection !== null && !this.connection.alive) this.startReconnect();
    }
  }

  /** Closes the connection; pending requests fail; no reconnect. Safe to call more than once. */
  close(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    clearTimeout(this.reconnectTimer);
    this.wakeReconnect?.();
    const connection = this.connection;
    if (connection) {
      connection.lost = true;
      if (connection.heartbeat !== undefined) clearInterval(connection.heartbeat);
      try {
        connection.socket.close(1000, "bye");
      } catch {
        /* already closed */
      }
    }
    this.failPending("the client was destroyed");
  }
}

function failure(request: Frame, code: number, message: string): Frame {
  return { op: "result", rid: request.rid, errorCode: code, error: message, roomId: request.roomId };
}
