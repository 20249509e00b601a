/** Groups: create, join, leave, dismiss, invite, kick, query, and the member-change event. */
import { type Frame, num, str } from "../codec.js";
import { groupProblem } from "../limits.js";
import { type ResultDecoders, noResult } from "../table.js";
import type { ChatSession } from "./session.js";
import {
  type ZIMErrorUserInfo,
  type ZIMGroupFullInfo,
  type ZIMGroupInfo,
  type ZIMGroupMemberInfo,
  ZIMGroupBeInviteMode,
  ZIMGroupEnterType,
  ZIMGroupInviteMode,
  ZIMGroupJoinMode,
  ZIMGroupMessageNotificationStatus,
  ZIMGroupMuteMode,
} from "./types.js";
import { type WireMessage, strings } from "./wire.js";

/** A group on the wire (`fallbackID` when the server left its id out). */
function toGroup(value: unknown, fallbackID: string | undefined): ZIMGroupFullInfo {
  const g = (value ?? {}) as WireMessage;
  return {
    baseInfo: { groupID: str(g.groupId) || (fallbackID ?? ""), groupName: str(g.groupName), groupAvatarUrl: "" },
    groupNotice: "",
    groupAttributes: {},
    groupAlias: "",
    notificationStatus: ZIMGroupMessageNotificationStatus.Notify,
    mutedInfo: { mode: ZIMGroupMuteMode.None, expiredTime: 0, roles: [] },
    createTime: 0,
    maxMemberCount: 0,
    verifyInfo: { joinMode: ZIMGroupJoinMode.Any, inviteMode: ZIMGroupInviteMode.Any, beInviteMode: ZIMGroupBeInviteMode.None },
    ownerUserID: str(g.ownerUserId),
    memberCount: num(g.memberCount),
  };
}

/** A member as ZIM lists one: its id, and `role` when Chorus knows it (3: a member it added), else 0. */
function toMember(userID: string, role = 0): ZIMGroupMemberInfo {
  return {
    userID, userName: "", userAvatarUrl: "", userExtendedData: "", memberNickname: "", memberRole: role, memberAvatarUrl: "",
    muteExpiredTime: 0, groupEnterInfo: { enterTime: 0, enterType: ZIMGroupEnterType.Unknown },
  };
}

/** ZIM's role number of a member (an owner is 1). */
const MemberRole = 3;

/** The results of the groups' ops, as the methods read them: the group's wire record, or its members. */
export const groupResults = {
  createGroup: (reply: Frame) => reply.group,
  joinGroup: (reply: Frame) => reply.group,
  leaveGroup: noResult,
  dismissGroup: noResult,
  inviteGroupMembers: noResult,
  kickGroupMembers: noResult,
  queryGroupInfo: (reply: Frame) => reply.group,
  queryGroupMembers: (reply: Frame) => strings(reply.members),
} satisfies ResultDecoders<string>;

type GroupOp = keyof typeof groupResults;

export class Groups {
  constructor(private readonly session: ChatSession) {
    session.add({
      groupMemberChanged: (frame) => {
        const t = str(frame.updateType);
        this.session.emit("groupMemberStateChanged", {
          groupID: str(frame.convId),
          updateType: t === "delete" || t === "dismiss" ? t : "add",
          userList: strings(frame.members).map((userID) => ({ userID })),
        });
      },
    });
  }

  async createGroup(groupInfo: ZIMGroupInfo, userIDs: string[]): Promise<{ groupInfo: ZIMGroupFullInfo; userList: ZIMGroupMemberInfo[]; errorUserList: ZIMErrorUserInfo[] }> {
    const group = await this.group("createGroup", { convId: groupInfo?.groupID, name: groupInfo?.groupName ?? "", members: [...(userIDs ?? [])] });
    return { groupInfo: toGroup(group, groupInfo?.groupID), userList: (userIDs ?? []).map((userID) => toMember(userID, MemberRole)), errorUserList: [] };
  }

  async joinGroup(groupID: string): Promise<{ groupInfo: ZIMGroupFullInfo }> {
    return { groupInfo: toGroup(await this.group("joinGroup", { convId: groupID }), groupID) };
  }

  async leaveGroup(groupID: string): Promise<{ groupID: string }> {
    await this.group("leaveGroup", { convId: groupID });
    return { groupID };
  }

  async dismissGroup(groupID: string): Promise<{ groupID: string }> {
    await this.group("dismissGroup", { convId: groupID });
    return { groupID };
  }

  async inviteUsersIntoGroup(userIDs: string[], groupID: string): Promise<{ groupID: string; userList: ZIMGroupMemberInfo[]; errorUserList: ZIMErrorUserInfo[] }> {
    await this.group("inviteGroupMembers", { convId: groupID, members: [...(userIDs ?? [])] });
    return { groupID, userList: (userIDs ?? []).map((userID) => toMember(userID, MemberRole)), errorUserList: [] };
  }

  async kickGroupMembers(userIDs: string[], groupID: string): Promise<{ groupID: string; kickedUserIDs: string[]; errorUserList: ZIMErrorUserInfo[] }> {
    await this.group("kickGroupMembers", { convId: groupID, members: [...(userIDs ?? [])] });
    return { groupID, kickedUserIDs: [...(userIDs ?? [])], errorUserList: [] };
  }

  async queryGroupInfo(groupID: string): Promise<{ groupInfo: ZIMGroupFullInfo }> {
    return { groupInfo: toGroup(await this.group("queryGroupInfo", { convId: groupID }), groupID) };
  }

  /** The whole member list in one page (`nextFlag` 0); ZIM's paging config is accepted and not needed. */
  async queryGroupMemberList(groupID: string, config?: { count?: number; nextFlag?: number }): Promise<{ groupID: string; userList: ZIMGroupMemberInfo[]; nextFlag: number }> {
    void config;
    const members = await this.session.call(groupResults, "queryGroupMembers", groupProblem(groupID, undefined, undefined), { convId: groupID });
    return { groupID, userList: members.map((userID) => toMember(userID)), nextFlag: 0 };
  }

  /** A group request, refused before sending when its id, members or name would be. */
  private group<K extends GroupOp>(op: K, fields: Frame): Promise<ReturnType<(typeof groupResults)[K]>> {
    const members = Array.isArray(fields.members) ? (fields.members as string[]) : undefined;
    return this.session.call(groupResults, op, groupProblem(fields.convId, members, fields.name), fields);
  }
}
