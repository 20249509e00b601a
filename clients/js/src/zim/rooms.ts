/** Chat rooms: create, enter, join, leave, members; rooms entered are entered again after a reconnect. */
import { type Frame, num } from "../codec.js";
import { roomProblem } from "../limits.js";
import { type ResultDecoders, noResult } from "../table.js";
import type { Messages } from "./messages.js";
import type { ChatFeature, ChatSession } from "./session.js";
import { ZIMConversationType, type ZIMRoomFullInfo, type ZIMUserFullInfo } from "./types.js";
import { strings } from "./wire.js";

/** What entering a room tells: the members there, and the sequence number live messages continue from. */
const entered = (reply: Frame) => ({ count: num(reply.count), nextSeq: num(reply.nextSeq) });

/** The results of the rooms' ops, as the methods read them. */
export const roomResults = {
  createRoom: entered,
  enterRoom: entered,
  joinRoom: entered,
  leaveRoom: noResult,
  queryRoomMembers: (reply: Frame) => strings(reply.members),
} satisfies ResultDecoders<string>;

export class Rooms implements ChatFeature {
  constructor(private readonly session: ChatSession, private readonly messages: Messages) {
    session.add({}, this);
  }

  /** Enters (or creates, or joins) a room; a room not entered before starts its live messages after what is there now. */
  async enter(op: "createRoom" | "enterRoom" | "joinRoom", roomID: string, name: string | undefined): Promise<{ roomInfo: ZIMRoomFullInfo }> {
    const result = await this.session.call(roomResults, op, roomProblem(roomID, name), { convId: roomID, name });
    if (!this.session.rooms.has(roomID)) {
      this.session.rooms.add(roomID);
      // A room's history is not replayed on entry: live messages start after what is there now.
      this.messages.startAt(ZIMConversationType.Room, roomID, result.nextSeq);
    }
    return { roomInfo: { baseInfo: { roomID, roomName: name ?? "" }, memberCount: result.count } };
  }

  async leaveRoom(roomID: string): Promise<{ roomID: string }> {
    await this.session.call(roomResults, "leaveRoom", roomProblem(roomID, undefined), { convId: roomID });
    this.session.rooms.delete(roomID);
    return { roomID };
  }

  /** The whole member list in one page (`nextFlag` ""); ZIM's paging config is accepted and not needed. Members carry their id (the other fields are empty). */
  async queryRoomMemberList(roomID: string, config?: { count?: number; nextFlag?: string }): Promise<{ roomID: string; memberList: ZIMUserFullInfo[]; nextFlag: string }> {
    void config;
    const members = await this.session.call(roomResults, "queryRoomMembers", roomProblem(roomID, undefined), { convId: roomID });
    return { roomID, memberList: members.map((userID) => ({ userID, userName: "", userAvatarUrl: "", userExtendedData: "" })), nextFlag: "" };
  }

  /** After a reconnect: enter every room again (their messages are then caught up with the rest). */
  async restore(): Promise<void> {
    for (const roomID of [...this.session.rooms]) await this.session.request({ op: "enterRoom", convId: roomID });
  }
}
