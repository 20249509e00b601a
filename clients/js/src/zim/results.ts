/**
 * The result types of ZIM's methods by ZIM's names, so that an app's annotations (`(r: ZIMMessageSentResult) => ...`)
 * compile after its import changed: each is what Chorus's method of that name resolves with (docs/zego-compat.md says
 * where that shape still differs from ZEGO's).
 */
import type { ZIM } from "../zim.js";

type Result<M extends keyof ZIM> = ZIM[M] extends (...args: never[]) => Promise<infer R> ? R : never;

export type ZIMConversationUnreadMessageCountClearedResult = Result<"clearConversationUnreadMessageCount">;
export type ZIMGroupCreatedResult = Result<"createGroup">;
export type ZIMRoomCreatedResult = Result<"createRoom">;
/** What both `deleteMessages` and `deleteAllMessage` resolve with (the first adds the messages it deleted). */
export type ZIMMessageDeletedResult = Result<"deleteAllMessage"> & Partial<Result<"deleteMessages">>;
export type ZIMConversationDeletedResult = Result<"deleteConversation">;
export type ZIMGroupDismissedResult = Result<"dismissGroup">;
export type ZIMRoomEnteredResult = Result<"enterRoom">;
export type ZIMGroupUsersInvitedResult = Result<"inviteUsersIntoGroup">;
export type ZIMGroupJoinedResult = Result<"joinGroup">;
export type ZIMRoomJoinedResult = Result<"joinRoom">;
export type ZIMGroupMemberKickedResult = Result<"kickGroupMembers">;
export type ZIMGroupLeftResult = Result<"leaveGroup">;
export type ZIMRoomLeftResult = Result<"leaveRoom">;
export type ZIMConversationListQueriedResult = Result<"queryConversationList">;
export type ZIMGroupInfoQueriedResult = Result<"queryGroupInfo">;
export type ZIMGroupMemberListQueriedResult = Result<"queryGroupMemberList">;
export type ZIMMessageQueriedResult = Result<"queryHistoryMessage">;
export type ZIMRoomMemberQueriedResult = Result<"queryRoomMemberList">;
export type ZIMTokenRenewedResult = Result<"renewToken">;
export type ZIMMessageRevokedResult = Result<"revokeMessage">;
export type ZIMMessageSentResult = Result<"sendMessage">;
export type ZIMMessageReceiptsReadSentResult = Result<"sendMessageReceiptsRead">;
export type ZIMConversationNotificationStatusSetResult = Result<"setConversationNotificationStatus">;
export type ZIMConversationPinnedStateUpdatedResult = Result<"updateConversationPinnedState">;
