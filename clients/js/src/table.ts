/**
 * The tables incoming frames are decoded from, shared by ZegoExpressEngine and ZIM. Events: one map from the server's
 * op (`chatMessage`, `broadcast`, ...) to the handler of the feature that owns it; each feature registers its own
 * entries. Results: each feature keeps one decoder per request op it sends (what its method reads of the result), and
 * its requests name the op once, as the key of that table.
 */
import type { Frame } from "./codec.js";

/** What a feature does with one event frame of its op. */
export type EventHandler = (frame: Frame) => void;

/** Server op → the handler of the feature that owns it. */
export class EventTable {
  private readonly handlers = new Map<string, EventHandler>();

  /** Registers a feature's events. An op has one owner: registering an op twice throws. */
  register(entries: Readonly<Record<string, EventHandler>>): void {
    for (const [op, handler] of Object.entries(entries)) {
      if (this.handlers.has(op)) throw new Error(`the event op "${op}" is registered twice`);
      this.handlers.set(op, handler);
    }
  }

  /** Hands an event to the handler registered for its op. An op none registered (or no op) is ignored: false. */
  dispatch(frame: Frame): boolean {
    const op = frame.op;
    const handler = typeof op === "string" ? this.handlers.get(op) : undefined;
    if (handler === undefined) return false;
    handler(frame);
    return true;
  }

  /** The registered ops, in the order they were registered. */
  get ops(): string[] {
    return [...this.handlers.keys()];
  }
}

/**
 * A feature's result decoders: request op → what the feature reads of that op's result (`context` is what the
 * decoding needs of the client, e.g. the logged-in UserId). An op whose result carries nothing maps to {@link noResult}.
 */
export type ResultDecoders<C> = { readonly [op: string]: (reply: Frame, context: C) => unknown };

/** The decoder of a result that carries nothing but its code. */
export function noResult(): void {}
