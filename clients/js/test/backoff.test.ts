import { test } from "node:test";
import assert from "node:assert/strict";
import { firstReconnectAttempt, reconnectDelay, StableConnectionMs } from "../src/backoff.js";

test("the delay doubles per attempt from the minimum up to the maximum", () => {
  const top = () => 0.999999;
  assert.ok(Math.abs(reconnectDelay(0, 200, 5000, top) - 200) < 0.01);
  assert.ok(Math.abs(reconnectDelay(1, 200, 5000, top) - 400) < 0.01);
  assert.ok(Math.abs(reconnectDelay(4, 200, 5000, top) - 3200) < 0.01);
  assert.ok(Math.abs(reconnectDelay(5, 200, 5000, top) - 5000) < 0.01);
  assert.ok(Math.abs(reconnectDelay(1000, 200, 5000, top) - 5000) < 0.01);
});

test("jitter keeps the delay within [half, whole) of the base", () => {
  assert.equal(reconnectDelay(0, 200, 5000, () => 0), 100);
  assert.equal(reconnectDelay(3, 200, 5000, () => 0.5), 1600 * 0.75);
  for (let i = 0; i < 1000; i++) {
    const d = reconnectDelay(2, 200, 5000);
    assert.ok(d >= 400 && d < 800, String(d));
  }
});

test("jittered delays of clients dropped together spread out", () => {
  const delays = new Set<number>();
  for (let i = 0; i < 50; i++) delays.add(Math.round(reconnectDelay(3, 200, 5000)));
  assert.ok(delays.size > 10, `only ${delays.size} distinct delays`);
});

test("a connection dropped again soon after a reconnect continues the backoff; a stable one starts over", () => {
  // Never restored before: the first attempt.
  assert.equal(firstReconnectAttempt(undefined, 1_000_000, 0, 0), 0);
  // Restored 1 s ago after one attempt that started at 0: the next reconnect starts at attempt 1 (a longer delay).
  assert.equal(firstReconnectAttempt(1_000_000, 1_001_000, 0, 1), 1);
  // A server that keeps accepting and dropping: the starting attempt keeps growing, so delays reach the maximum.
  let start = 0;
  for (let i = 0; i < 10; i++) start = firstReconnectAttempt(0, 100, start, 1);
  assert.equal(start, 10);
  assert.ok(Math.abs(reconnectDelay(start, 200, 5000, () => 0.999999) - 5000) < 0.01);
  // Up for the stable period (and one ms less) before the drop.
  assert.equal(firstReconnectAttempt(0, StableConnectionMs, 7, 3), 0);
  assert.equal(firstReconnectAttempt(0, StableConnectionMs - 1, 7, 3), 10);
});
