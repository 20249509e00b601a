import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import ZIMDefault, * as zimEntry from "../src/entries/zim.js";
import ExpressDefault, * as expressEntry from "../src/entries/express.js";
import { ZIM } from "../src/zim.js";
import { ZegoExpressEngine } from "../src/express.js";

type Exports = Record<string, { types: string; import: string }>;
const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { name: string; exports: Exports };

test("@chorus/client/zim and /express are entry points shaped like ZEGO's packages, the class also as the default export", () => {
  assert.equal(ZIMDefault, ZIM, "import ZIM from '@chorus/client/zim' gives the ZIM class");
  assert.equal(zimEntry.ZIM, ZIM);
  assert.equal(zimEntry.ZIMErrorCode.NetworkModuleUserIsNotLogged, 6000121, "ZIM's error codes by ZIM's names");
  assert.equal(zimEntry.ZIMConversationType.Group, 2);
  assert.equal(ExpressDefault, ZegoExpressEngine);
  assert.equal(expressEntry.ZegoExpressEngine, ZegoExpressEngine);
  assert.equal(expressEntry.ZegoRoomStateChangedReason.Logined, "LOGINED");
});

test("the package maps each entry to its compiled module (src/entries/X.ts → dist/entries/X.js)", () => {
  assert.equal(pkg.name, "@chorus/client");
  for (const entry of ["zim", "express"]) {
    assert.deepEqual(pkg.exports[`./${entry}`], { types: `./dist/entries/${entry}.d.ts`, import: `./dist/entries/${entry}.js` });
    // node resolves the package's own name through its exports map
    assert.equal(import.meta.resolve(`@chorus/client/${entry}`), new URL(`../../dist/entries/${entry}.js`, import.meta.url).href);
  }
});
