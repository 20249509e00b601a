/** A small typed event registry: `on`, `off`, and emit that isolates the application's handlers from the client. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (...args: any[]) => void;

export class Emitter<Events extends { [K in keyof Events]: Handler }> {
  private readonly handlers = new Map<keyof Events, Set<Handler>>();

  on<K extends keyof Events>(event: K, handler: Events[K]): boolean {
    if (typeof handler !== "function") return false;
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler);
    return true;
  }

  /** Removes one handler, or every handler of the event when none is given. */
  off<K extends keyof Events>(event: K, handler?: Events[K]): boolean {
    const set = this.handlers.get(event);
    if (!set) return false;
    if (handler === undefined) return this.handlers.delete(event);
    return set.delete(handler);
  }

  clear(): void {
    this.handlers.clear();
  }

  emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    const set = this.handlers.get(event);
    if (!set) return;
    for (const handler of [...set]) {
      try {
        handler(...args);
      } catch (error) {
        // A throwing handler must not break the client's receive path; report it where the application can see it.
        const report = (globalThis as { reportError?: (e: unknown) => void }).reportError;
        if (report) report(error);
        else console.error(error);
      }
    }
  }
}
