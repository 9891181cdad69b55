import { ErrorCode, type ServerFrame } from '../core/index.ts';

/**
 * Every refusal and farewell the server words, in one place: the code a program reads, and
 * the sentence a person at a telnet prompt reads. (Syntax errors are worded by core's
 * decoders, which the browser shares.) Sentences never carry a secret, and name what to do.
 */

export type Refusal = Extract<ServerFrame, { type: 'ERR' }>;
export type Farewell = Extract<ServerFrame, { type: 'BYE' }>;

const err = (code: ErrorCode, text: string): Refusal => ({ type: 'ERR', code, text });
const bye = (reason: Farewell['reason'], text: string): Farewell => ({ type: 'BYE', reason, text });
const seconds = (ms: number): string => `${Math.ceil(ms / 1000)} s`;

export const refuse = {
  notRegistered: () => err(ErrorCode.NOT_REGISTERED, 'Register first: REG @handle'),
  alreadyRegistered: (handle: string) => err(ErrorCode.ALREADY_REGISTERED, `You are already ${handle}`),
  handleOnline: (handle: string) => err(ErrorCode.HANDLE_TAKEN, `${handle} is already online`),
  handleBeingRegistered: (handle: string) => err(ErrorCode.HANDLE_TAKEN, `${handle} is being registered by someone else`),
  handleJustClaimed: (handle: string) => err(ErrorCode.HANDLE_TAKEN, `${handle} was just claimed by someone else`),
  handleConfusable: (handle: string, existing: string) =>
    err(ErrorCode.NAME_CONFUSABLE, `${handle} looks like ${existing}, which exists; choose another name`),
  channelConfusable: (channel: string, existing: string) =>
    err(ErrorCode.NAME_CONFUSABLE, `${channel} looks like ${existing}, which exists; join it or choose another name`),
  passwordRequired: (handle: string) => err(ErrorCode.PASSWORD_REQUIRED, `${handle} is claimed: REG ${handle} <password>`),
  guestsOff: (handle: string) => err(ErrorCode.PASSWORD_REQUIRED, `This server has no guest handles: REG ${handle} <password> claims it`),
  badToken: () => err(ErrorCode.BAD_TOKEN, 'That session has ended (signed out or expired); sign in with your password'),
  notClaimed: (handle: string) => err(ErrorCode.NOT_CLAIMED, `${handle} is a guest handle: claim it with a password first`),
  prefsNotClaimed: (handle: string) => err(ErrorCode.NOT_CLAIMED, `${handle} is a guest handle: claim it with a password to keep settings on the server`),
  tooManyPrefs: (max: number) => err(ErrorCode.TOO_MANY_PREFS, `You keep ${max} settings, the most allowed; clear one first`),
  guestHasNoPassword: (handle: string) => err(ErrorCode.BAD_SYNTAX, `${handle} has no password yet: PASSWORD <new> claims it`),
  currentPasswordRequired: () => err(ErrorCode.PASSWORD_REQUIRED, 'Give your current password first: PASSWORD <current> <new>'),
  notMemberToSetTopic: (channel: string) => err(ErrorCode.NOT_MEMBER, `Join ${channel} to set its topic`),
  wrongPassword: (handle: string) => err(ErrorCode.WRONG_PASSWORD, `Wrong password for ${handle}`),
  tooManyAttempts: (waitMs: number) => err(ErrorCode.RATE_LIMITED, `Too many attempts; wait ${seconds(waitMs)}`),
  tooManyClaims: (waitMs: number) => err(ErrorCode.RATE_LIMITED, `Too many new claims from your address; wait ${seconds(waitMs)}`),
  tooManyNewChannels: (perHour: number, waitMs: number) =>
    err(ErrorCode.RATE_LIMITED, `Too many new channels (${perHour} an hour); wait ${seconds(waitMs)}`),
  tooManyChannels: (count: number) => err(ErrorCode.TOO_MANY_CHANNELS, `You are in ${count} channels, the most allowed; leave one first`),
  noSuchChannel: (channel: string) => err(ErrorCode.NO_SUCH_CHANNEL, `${channel} does not exist`),
  /** CREATE of a channel the caller can see (public, or theirs). */
  channelExists: (channel: string) => err(ErrorCode.CHANNEL_TAKEN, `${channel} exists already: JOIN ${channel}, or choose another name`),
  /** JOIN or CREATE of a private channel the caller is not in: that the name is taken, and nothing more (spec: CREATE). */
  channelUnavailable: (channel: string) => err(ErrorCode.CHANNEL_TAKEN, `${channel} is not available; choose another name`),
  /** A new channel's name looks like a private channel the caller is not in: its name is not told. */
  channelConfusableHidden: (channel: string) => err(ErrorCode.NAME_CONFUSABLE, `${channel} looks like a channel that exists; choose another name`),
  privateNotClaimed: (handle: string) => err(ErrorCode.NOT_CLAIMED, `${handle} is a guest handle: claim it with a password (PASSWORD <new>) to make a private channel`),
  inviteeNotClaimed: (handle: string) => err(ErrorCode.NOT_CLAIMED, `${handle} is a guest handle: only handles with a password may be in a private channel`),
  notMemberToInvite: (channel: string) => err(ErrorCode.NOT_MEMBER, `Join ${channel} to invite others to it`),
  inviteeTooManyChannels: (handle: string, count: number) => err(ErrorCode.TOO_MANY_CHANNELS, `${handle} is in ${count} channels, the most allowed`),
  noSuchUser: (handle: string) => err(ErrorCode.NO_SUCH_USER, `${handle} has never registered`),
  /** Every reason a known user's DMs are refused reads the same, so a block is not revealed (spec: BLOCK). */
  undeliverable: (handle: string) => err(ErrorCode.UNDELIVERABLE, `Direct messages to ${handle} cannot be delivered`),
  blockSelf: () => err(ErrorCode.SELF_TARGET, 'You cannot block yourself'),
  tooManyBlocks: (max: number) => err(ErrorCode.TOO_MANY_BLOCKS, `You block ${max} users, the most allowed; unblock one first`),
  notMemberToPost: (channel: string) => err(ErrorCode.NOT_MEMBER, `Join ${channel} before posting to it`),
  notMemberToRead: (channel: string) => err(ErrorCode.NOT_MEMBER, `Join ${channel} to read its history`),
  notMemberToLeave: (channel: string) => err(ErrorCode.NOT_MEMBER, `You are not in ${channel}`),
  /** A change (REG, JOIN, LEAVE) the store could not commit: nothing was done. */
  notStored: (what: string) => err(ErrorCode.STORE_FAILED, `${what}: the server could not store it; try again`),
  storeUnreachable: (what: string) => err(ErrorCode.STORE_FAILED, `${what}: the server could not reach its store; try again`),
  messageNotStored: (target: string) => err(ErrorCode.STORE_FAILED, `Message to ${target} was not stored; try again`),
  noSuchMessage: (target: string, id: number) => err(ErrorCode.NO_SUCH_MESSAGE, `No message ${id} in ${target}`),
  notAuthor: (author: string, what: 'edit' | 'delete', id: number) => err(ErrorCode.NOT_AUTHOR, `Only ${author} can ${what} message ${id}`),
  badReaction: () => err(ErrorCode.BAD_REACTION, 'A reaction is one emoji, or a :shortcode: such as :+1:'),
  tooManyReactions: (id: number, max: number) => err(ErrorCode.TOO_MANY_REACTIONS, `Message ${id} has ${max} different reactions already`),
  changeNotStored: (target: string, id: number) => err(ErrorCode.STORE_FAILED, `The change to message ${id} in ${target} was not stored; try again`),
  // Moderation (spec: OP, KICK, BAN, SUSPEND, MODLOG).
  notOp: (channel: string, what: string) => err(ErrorCode.NOT_OP, `Only the owner and ops of ${channel}, or a server admin, can ${what}`),
  notOwner: (channel: string, what: string) => err(ErrorCode.NOT_OP, `Only the owner of ${channel}, or a server admin, can ${what}`),
  outranked: (handle: string, channel: string, what: 'its owner' | 'an op of it' | 'a server admin') =>
    err(ErrorCode.NOT_OP, `You cannot remove ${handle} from ${channel}: they are ${what}`),
  ownerNotDeopped: (handle: string, channel: string) => err(ErrorCode.NOT_OP, `${handle} owns ${channel}; a server admin can give it to someone else: OWNER ${channel} @handle`),
  notAdmin: (what: string) => err(ErrorCode.NOT_ADMIN, `Only server admins can ${what}`),
  adminNotSuspended: (handle: string) => err(ErrorCode.NOT_ADMIN, `${handle} is a server admin; take them off --admins first`),
  notMemberToModerate: (handle: string, channel: string) => err(ErrorCode.NOT_MEMBER, `${handle} is not in ${channel}`),
  roleNotClaimed: (handle: string) => err(ErrorCode.NOT_CLAIMED, `${handle} is a guest handle: only handles with a password may own a channel or be ops`),
  moderateSelf: (what: string) => err(ErrorCode.SELF_TARGET, `You cannot ${what} yourself`),
  banned: (channel: string) => err(ErrorCode.BANNED, `You are banned from ${channel}`),
  inviteeBanned: (handle: string, channel: string) => err(ErrorCode.BANNED, `${handle} is banned from ${channel}; UNBAN ${channel} ${handle} first`),
  suspended: (handle: string) => err(ErrorCode.SUSPENDED, `${handle} is suspended from this server; ask a server admin`),
  modlogNotAllowed: () => err(ErrorCode.NOT_OP, 'Only server admins, and the owners and ops of a channel, can read the moderation log'),
  serverBusy: () => err(ErrorCode.SERVER_BUSY, 'The server could not do that; try again'),
  serverFull: (max: number) => err(ErrorCode.SERVER_FULL, `The server is at its limit of ${max} connections; try again later`),
  tooManyConnections: (address: string, cap: number) =>
    err(ErrorCode.TOO_MANY_CONNECTIONS, `Too many connections from ${address} (the limit is ${cap}); close one and try again`),
};

export const farewell = {
  quit: (handle: string | null) => bye('QUIT', handle === null ? 'Goodbye' : `Goodbye ${handle}`),
  shutdown: () => bye('SHUTDOWN', 'Server is shutting down'),
  slowConsumer: (maxOutbound: number) => bye('SLOW_CONSUMER', `More than ${maxOutbound} bytes were waiting unread`),
  repliesUnread: () => bye('SLOW_CONSUMER', 'Your history replies went unread while others waited'),
  timeout: (why: string) => bye('TIMEOUT', why),
  suspended: (by: string, reason: string | null) => bye('SUSPENDED', `You were suspended from this server by ${by}${reason ? `: ${reason}` : ''}`),
  signedOut: (handle: string) => bye('SIGNED_OUT', `${handle} signed out everywhere`),
  elsewhere: (handle: string) => bye('ELSEWHERE', `${handle} signed in on another connection while this server was out of touch`),
};

/** 25 MiB, 1 GiB, 100 KiB, 700 bytes: sizes as people read them. */
function sizeText(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (i < units.length - 1 && bytes >= 1024 ** (i + 1)) i++;
  return `${Math.round((bytes / 1024 ** i) * 10) / 10} ${units[i]}`;
}

/** The files API's refusals (HTTP, JSON `{ code, message }`; docs/PROTOCOL.md, "Files"). */
export const fileSentences = {
  NOT_SIGNED_IN: () => 'Send your session token (Authorization: Bearer <token>; TOKEN gives one). Guests cannot share files: set a password first (PASSWORD <new>)',
  FILE_TOO_LARGE: (max: number) => `The file is larger than ${sizeText(max)}, the most this server takes`,
  QUOTA_EXCEEDED: (quota: number) => `Your files would pass your ${sizeText(quota)} quota; delete messages that share old ones first`,
  TOO_MANY_UPLOADS: (perMinute: number) => `You can upload ${perMinute} files a minute; wait a moment`,
  BAD_UPLOAD: () => 'Send the file as multipart/form-data in a field named "file"',
  NOT_FOUND: () => 'No such file, or it is not yours to read (fetch it with your session token: Authorization: Bearer <token>)',
};
