import { test } from "node:test";
import assert from "node:assert/strict";
import { validateContent, validateRoomId, validateTargets, validateUserId, extraInfoProblem, groupProblem, conversationProblem } from "../src/limits.js";

test("RoomId: 128 bytes pass, 129 fail, characters outside the set fail", () => {
  assert.equal(validateRoomId("r".repeat(128)), 0);
  assert.equal(validateRoomId("r".repeat(129)), 1002013);
  assert.equal(validateRoomId(""), 1002011);
  assert.equal(validateRoomId("room 1"), 1002012);
  assert.equal(validateRoomId("a~!@#$%^&*()_+=-`;',.<>/\\"), 0);
});

test("UserId: 64 bytes pass, 65 fail, invisible and control characters fail", () => {
  assert.equal(validateUserId("u".repeat(64)), 0);
  assert.equal(validateUserId("u".repeat(65)), 1002007);
  assert.equal(validateUserId("é".repeat(32)), 0);
  assert.equal(validateUserId("é".repeat(32) + "x"), 1002007);
  assert.equal(validateUserId(""), 1002005);
  for (const bad of ["a\u0000", "a\u200b", "a\u202e", "a\u00a0", "a\u2028", "a\ud800", "a\ufffe", "a\ufdd0", "a\u{e0001}"]) assert.equal(validateUserId(bad), 1002006, JSON.stringify(bad));
  assert.equal(validateUserId("alice bob"), 0);
  assert.equal(validateUserId("中文😀"), 0);
});

test("content: 1024 bytes pass, 1025 fail, empty fails", () => {
  assert.equal(validateContent("x".repeat(1024)), 0);
  assert.equal(validateContent("x".repeat(1025)), 1009002);
  assert.equal(validateContent(""), 1009001);
});

test("custom command targets: at most 10", () => {
  assert.equal(validateTargets(Array.from({ length: 10 }, (_, i) => `u${i}`)), 0);
  assert.equal(validateTargets(Array.from({ length: 11 }, (_, i) => `u${i}`)), 1009013);
  assert.equal(validateTargets([""]), 1009011);
  assert.equal(validateTargets(["u".repeat(65)]), 1009012);
});

test("extra info and chat ids", () => {
  assert.equal(extraInfoProblem("k".repeat(127), "v".repeat(4095)), null);
  assert.notEqual(extraInfoProblem("k".repeat(128), ""), null);
  assert.notEqual(extraInfoProblem("k", "v".repeat(4096)), null);
  assert.equal(groupProblem("g".repeat(32), ["a"], "n".repeat(64)), null);
  assert.notEqual(groupProblem("g".repeat(33), undefined, undefined), null);
  assert.notEqual(groupProblem("g", undefined, "n".repeat(65)), null);
  assert.equal(conversationProblem("r".repeat(128), 1), null);
  assert.notEqual(conversationProblem("r".repeat(129), 1), null);
  assert.notEqual(conversationProblem("x", 7), null);
});
