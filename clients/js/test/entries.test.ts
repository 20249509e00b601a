import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import ZIMDefault, * as zimEntry from "../src/entries/zim.js";
import ExpressDefault, * as expressEntry from "../src/entries/express.js";
import { ZIM } from "../src/zim.js";
import { ZegoExpressEngine } from "../src/express.js";
import type * as Results from "../src/zim/results.js";

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

// Type level (tsc fails here): every result alias names what its method resolves with, never `never`.
type NeverOf<T> = { [K in keyof T]: [T[K]] extends [never] ? K : never }[keyof T];
const noNeverResult: [NeverOf<typeof resultNames>] extends [never] ? true : false = true;
declare const resultNames: {
  ZIMConversationUnreadMessageCountClearedResult: Results.ZIMConversationUnreadMessageCountClearedResult;
  ZIMGroupCreatedResult: Results.ZIMGroupCreatedResult;
  ZIMRoomCreatedResult: Results.ZIMRoomCreatedResult;
  ZIMMessageDeletedResult: Results.ZIMMessageDeletedResult;
  ZIMConversationDeletedResult: Results.ZIMConversationDeletedResult;
  ZIMGroupDismissedResult: Results.ZIMGroupDismissedResult;
  ZIMRoomEnteredResult: Results.ZIMRoomEnteredResult;
  ZIMGroupUsersInvitedResult: Results.ZIMGroupUsersInvitedResult;
  ZIMGroupJoinedResult: Results.ZIMGroupJoinedResult;
  ZIMRoomJoinedResult: Results.ZIMRoomJoinedResult;
  ZIMGroupMemberKickedResult: Results.ZIMGroupMemberKickedResult;
  ZIMGroupLeftResult: Results.ZIMGroupLeftResult;
  ZIMRoomLeftResult: Results.ZIMRoomLeftResult;
  ZIMConversationListQueriedResult: Results.ZIMConversationListQueriedResult;
  ZIMGroupInfoQueriedResult: Results.ZIMGroupInfoQueriedResult;
  ZIMGroupMemberListQueriedResult: Results.ZIMGroupMemberListQueriedResult;
  ZIMMessageQueriedResult: Results.ZIMMessageQueriedResult;
  ZIMRoomMemberQueriedResult: Results.ZIMRoomMemberQueriedResult;
  ZIMTokenRenewedResult: Results.ZIMTokenRenewedResult;
  ZIMMessageRevokedResult: Results.ZIMMessageRevokedResult;
  ZIMMessageSentResult: Results.ZIMMessageSentResult;
  ZIMMessageReceiptsReadSentResult: Results.ZIMMessageReceiptsReadSentResult;
  ZIMConversationNotificationStatusSetResult: Results.ZIMConversationNotificationStatusSetResult;
  ZIMConversationPinnedStateUpdatedResult: Results.ZIMConversationPinnedStateUpdatedResult;
};

test("the result aliases by ZIM's names are what the methods resolve with", () => {
  assert.equal(noNeverResult, true);
  const sent: Results.ZIMMessageSentResult = { message: { messageID: "1" } as Results.ZIMMessageSentResult["message"] };
  assert.equal(sent.message.messageID, "1");
});
