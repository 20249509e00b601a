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
