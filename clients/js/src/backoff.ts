/**
 * The reconnect delay: exponential from `minDelayMs`, doubling per attempt up to `maxDelayMs`, with jitter (a random
 * factor in [0.5, 1)) so that clients dropped together do not come back together. The same rule as the C# SDK.
 *
 * @param attempt 0 for the first attempt after a drop.
 * @param random a source of numbers in [0, 1) (Math.random by default; tests pass their own).
 */
export function reconnectDelay(attempt: number, minDelayMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(0, Math.floor(attempt)), 30);
  const base = Math.min(minDelayMs * 2 ** exponent, maxDelayMs);
  return base * (0.5 + random() / 2);
}

/** How long a restored connection must stay up before a later drop starts the backoff over from the first attempt. */
export const StableConnectionMs = 30_000;

/**
 * The attempt number a reconnect starts from. A connection that drops again within `stableMs` of being restored (a
 * server or proxy that accepts and then drops) continues the backoff where the last reconnect left it, instead of
 * retrying every few hundred milliseconds forever.
 *
 * @param restoredAt when the last reconnect restored the connection (undefined: never).
 * @param previousStart the attempt number the last reconnect started from.
 * @param attemptsUsed how many attempts the last reconnect took.
 */
export function firstReconnectAttempt(restoredAt: number | undefined, now: number, previousStart: number, attemptsUsed: number, stableMs = StableConnectionMs): number {
  return restoredAt !== undefined && now - restoredAt < stableMs ? previousStart + Math.max(1, attemptsUsed) : 0;
}
