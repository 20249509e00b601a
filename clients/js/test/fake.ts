// A fake server behind a fake WebSocket, for unit tests of the client's protocol logic (no network).
import { type Frame, parseFrame, stringifyFrame } from "../src/codec.js";
import type { WebSocketConstructor, WebSocketLike } from "../src/channel.js";

export type Responder = (frame: Frame, socket: FakeSocket) => Frame | Frame[] | undefined;

export class FakeNetwork {
  readonly sockets: FakeSocket[] = [];
  readonly sent: Frame[] = [];
  /** Whether new sockets open (false: they close at once, as a refused connection does). */
  accept = true;
  /** The server's answers: by default every request succeeds with an empty result. */
  responder: Responder = (frame) => (frame.op === "ping" ? { op: "pong", rid: frame.rid } : { op: "result", rid: frame.rid, errorCode: 0 });
  hello: Frame = { op: "hello", version: 1, heartbeatMs: 10000, maxFrameBytes: 16384, maxTextBytes: 2048 };

  get WebSocket(): WebSocketConstructor {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const network = this;
    return class extends FakeSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(network, url, protocols);
      }
    };
  }

  get current(): FakeSocket | undefined {
    return this.sockets[this.sockets.length - 1];
  }

  /** Requests of one op, in the order sent. */
  requests(op: string): Frame[] {
    return this.sent.filter((f) => f.op === op);
  }
}

export class FakeSocket implements WebSocketLike {
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(readonly network: FakeNetwork, readonly url: string, readonly protocols?: string | string[]) {
    network.sockets.push(this);
    setTimeout(() => {
      if (this.readyState !== 0) return;
      if (network.accept) {
        this.readyState = 1;
        this.onopen?.({});
        this.push(network.hello);
      } else {
        this.readyState = 3;
        this.onerror?.({});
        this.onclose?.({});
      }
    }, 1);
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error("not open");
    const frame = parseFrame(data);
    if (!frame) throw new Error("the client sent a frame that is not a JSON object: " + data);
    this.network.sent.push(frame);
    queueMicrotask(() => {
      if (this.readyState !== 1) return;
      const reply = this.network.responder(frame, this);
      for (const r of Array.isArray(reply) ? reply : reply ? [reply] : []) this.push(r);
    });
  }

  /** The server sends a frame (an object, or raw text to test the codec). */
  push(frame: Frame | string): void {
    if (this.readyState !== 1) return;
    this.onmessage?.({ data: typeof frame === "string" ? frame : stringifyFrame(frame) });
  }

  close(): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    setTimeout(() => this.onclose?.({}), 0);
  }

  /** The server drops the connection. */
  drop(): void {
    this.close();
  }
}

/** Waits until `predicate` holds; fails after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
