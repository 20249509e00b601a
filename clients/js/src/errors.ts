/**
 * Errors: every promise of this package that fails rejects with a {@link ChorusError}, `{code, message}` as ZIM web's
 * `ZIMError` and Express web's errors carry them. Codes are the server's (docs/reference.md, "Error codes"): room
 * signaling uses ZEGO Express codes (1002xxx, 1009xxx), chat uses ZIM codes (6000xxx), and Chorus adds 1000002-1000005.
 */
export class ChorusError extends Error {
  /** The error code (the server's, or the one the client gives for a check it made before sending). */
  readonly code: number;

  constructor(code: number, message: string) {
    super(message);
    this.name = "ChorusError";
    this.code = code;
    // Own and enumerable, so that {code, message} survives JSON.stringify and object spread.
    Object.defineProperty(this, "message", { value: message, enumerable: true, writable: true, configurable: true });
  }

  /** A plain `{code, message}` copy. */
  toJSON(): { code: number; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** ZIM's error shape, `{code, message}`: what every failed ZIM promise rejects with (a {@link ChorusError}). */
export interface ZIMError {
  code: ZIMErrorCode;
  message: string;
}

/** Room signaling codes (ZEGO Express's numbers; docs/reference.md). */
export const RoomErrorCode = {
  Success: 0,
  TooManyRooms: 1002001,
  NotLoggedIn: 1002002,
  UserIdEmpty: 1002005,
  UserIdInvalid: 1002006,
  UserIdTooLong: 1002007,
  RoomIdEmpty: 1002011,
  RoomIdInvalid: 1002012,
  RoomIdTooLong: 1002013,
  TokenInvalid: 1002033,
  RoomFull: 1002034,
  KickedByOtherLogin: 1002050,
  KickedByServer: 1002055,
  TokenExpired: 1002078,
  ContentEmpty: 1009001,
  ContentTooLong: 1009002,
  WrongRoom: 1009005,
  SendFailed: 1009010,
  TargetUserIdEmpty: 1009011,
  TargetUserIdTooLong: 1009012,
  TooManyTargets: 1009013,
  SendTooFrequent: 1009015,
  MalformedFrame: 1000002,
  TooManyRequests: 1000003,
  TooManyLoginAttempts: 1000004,
  FrameTooLarge: 1000005,
} as const;

/**
 * Chat codes: ZIM's enum as ZEGO's zego-zim-web 2.29.0 declares it (names, numbers and first lines of their
 * descriptions, ISC-licensed), so an app's `ZIMErrorCode.X` compiles and compares as it does with ZEGO's SDK; the
 * server sends the codes docs/reference.md lists. Chorus's earlier shorter names follow as aliases of the same numbers.
 */
export enum ZIMErrorCode {
  /** Success without exception. */
  Success = 0,
  /** Failed, the guarantee is wrong. */
  Failed = 1,
  /** The incoming parameter is invalid. */
  CommonModuleParamsInvalid = 6000001,
  /** The SDK is not initialized. */
  CommonModuleNotInit = 6000002,
  /** Invalid AppID. */
  CommonModuleInvalidAppID = 6000003,
  /** Trigger SDK internal frequency limit. */
  CommonModuleTriggerSDKFrequencyLimit = 6000004,
  /** Trigger background service frequency limit. */
  CommonModuleTriggerServerFrequencyLimit = 6000005,
  /** The Switch server reported an error. */
  CommonModuleSwitchServerError = 6000006,
  /** ZIM service internal error. */
  CommonModuleIMServerError = 6000007,
  /** ZIM internal database error. */
  CommonModuleIMDatabaseError = 6000008,
  /** Disconnected while sending request. */
  CommonModuleIMServerDisconnect = 6000009,
  /** Failed to upload log. */
  CommonModuleUploadLogError = 6000010,
  /** Illegal param. */
  CommonModuleUserIsNotExist = 6000011,
  /** User background query frequency limit. */
  CommonModuleUserInfoQueriedLimit = 6000012,
  /** User background query frequency limit. The current package does not support this operation. */
  CommonModuleUnsupportedRequest = 6000013,
  CommonModuleUnactivatedIMServer = 6000014,
  /** The upper limit of daily active users of the AppID was exceeded. Procedure. */
  CommonModuleExceedDAULimit = 6000015,
  /** The upper limit of the monthly active users of the AppID is exceeded. Procedure. */
  CommonModuleExceedMAULimit = 6000016,
  CommonModuleBlacklistLimit = 6000021,
  /** Login failed due to internal reasons. */
  NetworkModuleCommonError = 6000101,
  /** Login failed due to internal reasons. */
  NetworkModuleServerError = 6000102,
  /** Token is invalid. */
  NetworkModuleTokenInvalid = 6000103,
  /** Network error. */
  NetworkModuleNetworkError = 6000104,
  /** The request to the background timed out. */
  NetworkModuleRequestTimeout = 6000105,
  /** Token expired. */
  NetworkModuleTokenExpired = 6000106,
  /** Token version number is wrong. */
  NetworkModuleTokenVersionError = 6000107,
  /** Token duration is too short. */
  NetworkModuleTokenTimeIsTooShort = 6000108,
  /** rsp_proto_parse_error. */
  NetworkModuleRspProtoParseError = 6000109,
  /** Logging in to multiple accounts on the current device. */
  NetworkModuleUserHasAlreadyLogged = 6000111,
  /** User is not logged. */
  NetworkModuleUserIsNotLogged = 6000121,
  /** The user has logged out. */
  NetworkModuleUserHasAlreadyLoggedOut = 6000122,
  /** The user is offline. Procedure. */
  NetworkModuleUserOffline = 6000123,
  /** The userID passed in for the offline login does not match the userID from the last successful login. */
  NetworkModuleUserIDError = 6000124,
  /** Internal error sending message. */
  MessageModuleCommonError = 6000201,
  /** Error sending message background service. */
  MessageModuleServerError = 6000202,
  /** Message sending failed. */
  MessageModuleSendMessageFailed = 6000203,
  /** The message target does not exist. */
  MessageModuleTargetDoesNotExist = 6000204,
  /** The message edited failed. */
  MessageModuleEditMessageFailed = 6000205,
  /** Message sending failed because the user actively canceled it. */
  MessageModuleSendMessageFailedForCancelled = 6000206,
  /** Failed to cancel the message being sent. */
  MessageModuleCancelSendingMessageFailed = 6000207,
  /** the message is not pinned. */
  MessageModuleMessageIsNotPinned = 6000208,
  /** File generic error. */
  MessageModuleFileError = 6000210,
  /** There are no errors in the file. */
  MessageModuleFileNotExist = 6000211,
  /** File operation background error. */
  MessageModuleFileServerError = 6000212,
  /** The file type is not supported. Procedure. */
  MessageModuleFileTypeUnsupported = 6000213,
  /** The file size is invalid. */
  MessageModuleFileSizeInvalid = 6000214,
  /** The duration of the audio and video files is invalid. */
  MessageModuleFileDurationInvalid = 6000215,
  /** File permission error. */
  MessageModuleFilePermissionDenied = 6000216,
  /** File download failed. Procedure */
  MessageModuleFileDownloadFailed = 6000217,
  /** File size download exceeds limit. */
  MessageModuleFileDownloadLimit = 6000218,
  /** Url resource not found. */
  MessageModuleFileDownloadUrlNotFound = 6000219,
  /** A server error occurred downloading the url. */
  MessageModuleFileDownloadHttpRequestServerError = 6000220,
  /** The message did not pass the review. */
  MessageModuleAuditRejected = 6000221,
  /** Message auditing failed. */
  MessageModuleAuditFailed = 6000222,
  /** The message custom pre-callback business audit did not pass. */
  MessageModuleAuditCustomSentRejected = 6000230,
  /** The cache file failed to open. */
  MessageModuleCacheFileOpenFailed = 6000240,
  /** The cache file export or import is in progress. */
  MessageModuleCacheFileExportOrImportIsInProgressCurrently = 6000241,
  /** The cache file can only import its own cache. */
  MessageModuleCacheFileOnlyCanImportCacheOfOneself = 6000242,
  /** The cache file export failed. */
  MessageModuleCacheFileExportFailed = 6000243,
  /** The cache file import failed. */
  MessageModuleCacheFileImportFailed = 6000244,
  /** The cache file JSON parsing failed. */
  MessageModuleCacheFileJsonParseFailed = 6000245,
  /** File request short connection error. */
  MessageModuleFileConnectError = 6000251,
  /** File request encountered an HTTP error. */
  MessageModuleFileHttpError = 6000252,
  /** File request encountered a certificate error. */
  MessageModuleFileVerificationError = 6000253,
  /** Client file request error. */
  MessageModuleFileClientError = 6000254,
  /** Call invitation error. */
  CallModuleCommonError = 6000270,
  /** Call cancellation error. */
  CallModuleCancelError = 6000271,
  /** Call invitation background error. */
  CallModuleServerError = 6000272,
  /** User uninviter operation error. */
  CallModuleIsNotInvitor = 6000273,
  /** User non-invitee operation error. */
  CallModuleIsNotInvitee = 6000274,
  /** The call already has an error. */
  CallModuleAlreadyExists = 6000275,
  /** There is no error in the call. */
  CallModuleDoesNotExist = 6000276,
  /** Set the receipt message to read error. */
  MessageModuleReceiptReadError = 6000277,
  /** I want to withdraw the message but the time limit has expired. */
  MessageModuleMessageExceedsRevokeTime = 6000278,
  /** Tried to retract the message but it's been retracted. */
  MessageModuleMessageHasBeenRevoked = 6000279,
  /** When a user sets or deletes a key in a message, the key has been set or deleted by the user. */
  MessageModuleMessageReactionTypeExisted = 6000280,
  /** When you initiate a call invitation, all invitees are not registered. */
  CallModuleInviteUserDoesNotExist = 6000281,
  /** Call the sendMessageReceiptsRead interface to set more than 10 messages to read at a time. Please reduce the number of incoming messages to less than 10. */
  MessageModuleMessageReceiptLimit = 6000282,
  /** Note: The device that invokes the callJoin interface has called in advanced mode and is the primary device. No action is required. */
  CallModuleUserAlreadyInTheCall = 6000283,
  /** The sender has been added to the blacklist. */
  MessageModuleSenderInBlacklist = 6000284,
  /** No corresponding operation authority. */
  MessageModuleEditNoCorrespondingOperationAuthority = 6000285,
  /** The message has exceeded the edit time limit. */
  MessageModuleMessageExceedsEditTime = 6000286,
  /** The number of pinned messages exceeds limit. */
  MessageModuleTheNumberOfPinnedMessagesExceedsLimit = 6000287,
  /** Room related operation error. */
  RoomModuleCommonError = 6000301,
  /** Room operation background failed. */
  RoomModuleServerError = 6000302,
  /** Room creation failed. */
  RoomModuleCreateRoomError = 6000303,
  /** Room entry failed. */
  RoomModuleJoinRoomError = 6000304,
  /** Failed to leave the room. */
  RoomModuleLeaveRoomError = 6000306,
  /** Failed to query a room member. */
  RoomModuleTheRoomMemberQueryFailed = 6000310,
  RoomModuleTheRoomMembersQueryFailedCompletely = 6000311,
  /** User has error in room. */
  RoomModuleUserIsAlreadyInTheRoom = 6000320,
  /** User not in room error. */
  RoomModuleUserIsNotInTheRoom = 6000321,
  RoomModuleTheRoomDoesNotExist = 6000322,
  /** There are no errors in the room. */
  RoomModuleTheRoomAlreadyExists = 6000323,
  /** The number of existing rooms has reached its limit. */
  RoomModuleTheNumberOfExistingRoomsHasReachedLimit = 6000324,
  /** The number of added rooms reached the upper limit. */
  RoomModuleTheNumberOfJoinedRoomsHasReachedLimit = 6000325,
  /** Try an interface such as createRoom, joinRoom, or enterRoom repeatedly, or perform an action on a room that is being connected. Please wait for return of room connection result returned by onRoomStateChanged before performing operations. */
  RoomModuleTheRoomIsConnecting = 6000326,
  RoomModuleRoomMemberIsBlocked = 6000327,
  /** Room property operation failed. */
  RoomModuleRoomAttributesCommonError = 6000330,
  /** The room properties operation failed completely. */
  RoomModuleRoomAttributesOperationFailedCompletely = 6000331,
  /** The room properties operation part failed. */
  RoomModuleRoomAttributesOperationFailedPartly = 6000332,
  /** Description Failed to query the room properties. */
  RoomModuleRoomAttributesQueryFailed = 6000333,
  /** The number of room properties reached the upper limit. */
  RoomModuleTheNumberOfRoomAttributesExceedsLimit = 6000334,
  /** The length of the room attribute Key reaches the upper limit. Procedure */
  RoomModuleTheLengthOfRoomAttributeKeyExceedsLimit = 6000335,
  /** The length of the room attribute Value reached the upper limit. Procedure */
  RoomModuleTheLengthOfRoomAttributeValueExceedsLimit = 6000336,
  /** Total length of room attribute reached the upper limit. */
  RoomModuleTheTotalLengthOfRoomAttributesValueExceedsLimit = 6000337,
  /** Room room member attribute failed. */
  RoomModuleRoomMemberAttributesCommonError = 6000350,
  /** The total length of the room member attribute reaches the upper limit. */
  RoomModuleTheTotalLengthOfRoomMemberAttributesExceedsLimit = 6000351,
  /** The length of the room user attribute Key reached the upper limit. */
  RoomModuleTheLengthOfRoomMemberAttributesKeyExceedsLimit = 6000352,
  /** The length of the room member attribute Value reached the upper limit. Procedure. */
  RoomModuleTheLengthOfRoomMemberAttributesValueExceedsLimit = 6000353,
  /** The number of room member attributes reached the upper limit. */
  RoomModuleTheMemberNumberOfRoomMemberAttributesExceedsLimit = 6000357,
  /** The push ID is invalid. Procedure. */
  ZpnsModulePushIDInvalid = 6000401,
  /** An error occurred during group-related operations. */
  GroupModuleCommonError = 6000501,
  /** The group related background reported an error. */
  GroupModuleServerError = 6000502,
  /** Failed to create a group. Procedure. */
  GroupModuleCreateGroupError = 6000503,
  /** Failed to dissolve the group. */
  GroupModuleDismissGroupError = 6000504,
  /** Failed to join the group. */
  GroupModuleJoinGroupError = 6000505,
  /** Failed to leave the group. */
  GroupModuleLeaveGroupError = 6000506,
  /** Failed to kick out a group member. */
  GroupModuleKickoutGroupMemberError = 6000507,
  /** Failed to invite users to join the group. */
  GroupModuleInviteUserIntoGroupError = 6000508,
  /** Failed to transfer the group master. */
  GroupModuleTransferOwnerError = 6000509,
  /** Failed to update group information. */
  GroupModuleUpdateGroupInfoError = 6000510,
  /** Failed to query group information. */
  GroupModuleQueryGroupInfoError = 6000511,
  /** Failed to manipulate the group attribute. */
  GroupModuleGroupAttributesOperationFailed = 6000512,
  /** Failed to query group attributes. Procedure */
  GroupModuleGroupAttributesQueryFailed = 6000513,
  /** Description Failed to update group member information. */
  GroupModuleUpdateGroupMemberInfoError = 6000514,
  /** Description Failed to query group member information. */
  GroupModuleQueryGroupMemberInfoError = 6000515,
  /** Failed to query the group list. Procedure */
  GroupModuleQueryGroupListError = 6000516,
  /** Description Failed to query the group member list. */
  GroupModuleQueryGroupMemberListError = 6000517,
  /** The user is not in the group. */
  GroupModuleUserIsNotInTheGroup = 6000521,
  /** The user is already in the group. */
  GroupModuleMemberIsAlreadyInTheGroup = 6000522,
  /** The group does not exist. */
  GroupModuleGroupDoesNotExist = 6000523,
  /** The group already exists. */
  GroupModuleGroupAlreadyExists = 6000524,
  /** The group membership reaches the upper limit. */
  GroupModuleGroupMemberHasReachedLimit = 6000525,
  /** The group property does not exist. */
  GroupModuleGroupAttributeDoesNotExist = 6000526,
  /** Note: Create a group with a destroyed group ID. Use a different ID. */
  GroupModuleCreateGroupWithDismissed = 6000527,
  /** The number of group attributes reaches the upper bound error. */
  GroupModuleTheNumberOfGroupAttributesExceedsLimit = 6000531,
  /** The group attribute Key length has reached the upper limit. */
  GroupModuleTheLengthOfGroupAttributeKeyExceedsLimit = 6000532,
  /** The group attribute Value length has reached the upper limit. */
  GroupModuleTheLengthOfGroupAttributeValueExceedsLimit = 6000533,
  /** The group attribute Value length has reached the upper limit. */
  GroupModuleTheTotalLengthOfGroupAttributesValueExceedsLimit = 6000534,
  /** Group operation permission. */
  GroupModuleGroupNoCorrespondingOperationAuthority = 6000541,
  /** Forbid to join the group. */
  GroupModuleForbidJoinGroupError = 6000542,
  /** Need to apply to join the group. */
  GroupModuleNeedApplyJoinGroupError = 6000543,
  /** Need to apply to invite to join the group. */
  GroupModuleNeedApplyInviteGroupError = 6000544,
  /** Session operation error. */
  ConversationModuleCommonError = 6000601,
  /** Session background error. */
  ConversationModuleServerError = 6000602,
  /** There are no errors in the session. */
  ConversationModuleConversationDoesNotExist = 6000603,
  /** The session top list has reached its limit. */
  ConversationModuleConversationPinnedListReachedLimit = 6000604,
  /** Error opening database. */
  DatabaseModuleOpenDatabaseError = 6000701,
  /** Error modifying database. */
  DatabaseModuleModifyDatabaseError = 6000702,
  /** Error deleting database. */
  DatabaseModuleDeleteDatabaseError = 6000703,
  /** Error selecting database. */
  DatabaseModuleSeleteDatabaseError = 6000704,
  /** The database is not open. */
  DatabaseModuleDbIsNotOpened = 6000710,
  /** The number of friends has reached the upper limit. */
  FriendModuleFriendNumsLimit = 6000801,
  /** The friend application status is wrong. */
  FriendModuleFriendApplicationStatusError = 6000802,
  /** The other party is already your friend. */
  FriendModuleIsAlreadyYourFriend = 6000803,
  /** The other party is already in your blacklist. */
  FriendModuleAlreadyAddToBlacklist = 6000804,
  /** Cannot add yourself to the blacklist. */
  FriendModuleCannotAddSelfToBlacklist = 6000805,
  /** The other party has been removed from your blacklist. */
  FriendModuleAlreadyDeleteFromBlacklist = 6000806,
  /** The other party is not in your blacklist. */
  FriendModuleUserNotInBlacklist = 6000807,
  /** The blacklist list quantity has reached the upper limit. */
  FriendModuleBlacklistListQuantityLimit = 6000808,
  /** The friend list has reached the upper limit. */
  FriendModuleFriendOperationLimitExceeded = 6000809,
  /** Cannot add yourself to the friend list. */
  FriendModuleCannotAddSelfToFriendList = 6000810,
  /** The other party is not registered. */
  FriendModuleFriendAreUnregistered = 6000811,
  /** The other party is not your friend. */
  FriendModuleNotYourFriend = 6000812,
  /** Cannot delete yourself. */
  FriendModuleCannotDeleteSelf = 6000813,
  /** The friend application has expired. */
  FriendModuleFriendApplicationExpired = 6000814,
  /** Failed to add to blacklist. */
  FriendModuleAddBlacklistFail = 6000815,
  /** Failed to delete from blacklist. */
  FriendModuleDelBlacklistFail = 6000816,
  // Chorus's earlier names (the same numbers as the ZEGO names above).
  BadParameter = 6000001,
  RateLimitServer = 6000005,
  LoginFailed = 6000101,
  TokenInvalid = 6000103,
  TokenExpired = 6000106,
  NotLoggedIn = 6000121,
  TargetMissing = 6000204,
  RoomMissing = 6000301,
  NotInRoom = 6000321,
  JoinRoomMissing = 6000322,
  RoomExists = 6000323,
  RoomCountLimit = 6000324,
  JoinedRoomCountLimit = 6000325,
  GroupCreateFailed = 6000503,
  GroupMissing = 6000523,
  GroupExists = 6000524,
  GroupFull = 6000525,
  GroupDismissed = 6000527,
  NoPermission = 6000541,
}
