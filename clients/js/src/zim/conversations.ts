/** Conversations: the list, unread counts, clearing, deleting, muting and pinning, and their events. */
import { type Frame, num, str } from "../codec.js";
import { pageCountProblem, storedConversationProblem } from "../limits.js";
import { type ResultDecoders, noResult } from "../table.js";
import type { ChatSession } from "./session.js";
import {
  type ZIMConversation,
  ZIMConversationEvent,
  ZIMConversationNotificationStatus,
  type ZIMConversationQueryConfig,
  type ZIMConversationType,
} from "./types.js";
import { type WireMessage, fromWire, wireList } from "./wire.js";

/** A conversation on the wire as the application sees it. */
export function toConversation(c: WireMessage, me: string): ZIMConversation {
  const last = c.lastMessage as WireMessage | undefined;
  return {
    conversationID: str(c.conversationId),
    conversationName: "",
    conversationAvatarUrl: "",
    conversationAlias: "",
    type: num(c.conversationType),
    unreadMessageCount: num(c.unreadMessageCount),
    readMessageSeq: Math.max(0, num(c.maxSeq) - num(c.unreadMessageCount)),
    lastMessage: last ? fromWire(last, me) : undefined,
    orderKey: num(c.orderKey),
    notificationStatus: num(c.notificationStatus) === 2 ? ZIMConversationNotificationStatus.DoNotDisturb : ZIMConversationNotificationStatus.Notify,
    isPinned: c.isPinned === true,
    pinnedTime: 0,
    mentionedInfoList: [],
    draft: "",
    marks: [],
    maxSeq: num(c.maxSeq),
  };
}

/** The results of the conversations' ops, as the methods read them. */
export const conversationResults = {
  queryConversations: (reply: Frame, me: string) => wireList(reply.conversations).map((c) => toConversation(c, me)),
  clearUnread: noResult,
  deleteConversation: noResult,
  setNotificationStatus: noResult,
  pinConversation: noResult,
} satisfies ResultDecoders<string>;

type ConversationKey = { conversationID: string; conversationType: ZIMConversationType };

export class Conversations {
  constructor(private readonly session: ChatSession) {
    session.add({
      conversationChanged: (frame) => {
        const c = frame.conversation as WireMessage | undefined;
        if (c) this.session.emit("conversationChanged", { infoList: [{ event: ZIMConversationEvent.Updated, conversation: toConversation(c, this.session.me) }] });
      },
      unreadTotal: (frame) => this.session.emit("conversationTotalUnreadMessageCountUpdated", { totalUnreadMessageCount: num(frame.unreadTotal) }),
    });
  }

  async queryConversationList(config?: ZIMConversationQueryConfig): Promise<{ conversationList: ZIMConversation[] }> {
    const count = config?.count ?? 100;
    return { conversationList: await this.session.call(conversationResults, "queryConversations", pageCountProblem(count), { count }) };
  }

  async clearConversationUnreadMessageCount(conversationID: string, conversationType: ZIMConversationType): Promise<ConversationKey> {
    await this.session.call(conversationResults, "clearUnread", storedConversationProblem(conversationID, conversationType), { convType: conversationType, convId: conversationID });
    return { conversationID, conversationType };
  }

  async deleteConversation(conversationID: string, conversationType: ZIMConversationType): Promise<ConversationKey> {
    await this.session.call(conversationResults, "deleteConversation", storedConversationProblem(conversationID, conversationType), { convType: conversationType, convId: conversationID });
    return { conversationID, conversationType };
  }

  async setConversationNotificationStatus(status: ZIMConversationNotificationStatus, conversationID: string, conversationType: ZIMConversationType): Promise<ConversationKey> {
    await this.session.call(conversationResults, "setNotificationStatus", storedConversationProblem(conversationID, conversationType), {
      convType: conversationType,
      convId: conversationID,
      muted: status === ZIMConversationNotificationStatus.DoNotDisturb,
    });
    return { conversationID, conversationType };
  }

  async updateConversationPinnedState(isPinned: boolean, conversationID: string, conversationType: ZIMConversationType): Promise<ConversationKey> {
    await this.session.call(conversationResults, "pinConversation", storedConversationProblem(conversationID, conversationType), { convType: conversationType, convId: conversationID, pinned: isPinned });
    return { conversationID, conversationType };
  }
}
