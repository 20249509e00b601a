import { test } from "node:test";
import assert from "node:assert/strict";
import { Int64, idString, parseFrame, quoteLargeIntegers, stringifyFrame, utf8Length } from "../src/codec.js";

test("ids above 2^53 keep every digit", () => {
  const text = '{"op":"broadcast","messageId":1838951147868161406,"sendTime":1795850736704}';
  const frame = parseFrame(text)!;
  assert.equal(frame.messageId, "1838951147868161406");
  assert.notEqual(String(JSON.parse(text).messageId), "1838951147868161406"); // what JSON.parse alone would do
  assert.equal(frame.sendTime, 1795850736704); // safe integers stay numbers
});

test("int64 extremes, negatives and arrays", () => {
  const frame = parseFrame('{"messageIds":[9223372036854775807,-9223372036854775808,9007199254740993,9007199254740991,1]}')!;
  assert.deepEqual(frame.messageIds, ["9223372036854775807", "-9223372036854775808", "9007199254740993", 9007199254740991, 1]);
});

test("numbers inside strings, escaped quotes and floats are left alone", () => {
  const text = '{"text":"id 12345678901234567890 \\" 98765432109876543210","f":1.5e300,"g":12345678901234567890.5}';
  assert.equal(quoteLargeIntegers(text), text);
  const frame = parseFrame(text)!;
  assert.equal(frame.text, 'id 12345678901234567890 " 98765432109876543210');
});

test("nested messages keep their ids", () => {
  const frame = parseFrame('{"op":"chatMessage","message":{"messageId":914417145383215104,"conversationSeq":1,"text":"hi"}}')!;
  assert.equal((frame.message as Record<string, unknown>).messageId, "914417145383215104");
});

test("parseFrame refuses what is not a JSON object", () => {
  for (const bad of ["", "[1]", "42", "null", "{", '"x"', "{'a':1}"]) assert.equal(parseFrame(bad), null, bad);
});

test("stringifyFrame writes Int64 as a bare number and leaves out undefined", () => {
  const text = stringifyFrame({ op: "revokeMessage", rid: 3, messageIds: [new Int64("914417145383215104")], skipped: undefined, s: 'a"b\u2028' });
  assert.equal(text, '{"op":"revokeMessage","rid":3,"messageIds":[914417145383215104],"s":"a\\"b\u2028"}');
  // round trip
  assert.deepEqual(parseFrame(text)!.messageIds, ["914417145383215104"]);
});

test("Int64 refuses what is not an integer", () => {
  assert.throws(() => new Int64("12a"));
  assert.throws(() => new Int64("1.5"));
  assert.equal(new Int64(12n).digits, "12");
});

test("idString", () => {
  assert.equal(idString("123"), "123");
  assert.equal(idString(42), "42");
  assert.equal(idString(undefined), "");
  assert.equal(idString(5n), "5");
});

test("utf8Length agrees with TextEncoder", () => {
  const encoder = new TextEncoder();
  for (const s of ["", "abc", "é", "中文", "😀", "a😀b", "\ud800", "\udc00x", "x\ud83d", "\u0000\u007f\u0080\u07ff\u0800\uffff"])
    assert.equal(utf8Length(s), encoder.encode(s).length, JSON.stringify(s));
});
