import { SvelteMap } from 'svelte/reactivity';
import type { Command, ServerFrameOf } from '../../../core/frames.ts';
import { nameKey } from '../../../core/names.ts';
import type { Conversations } from './conversations.svelte.ts';
import type { Session } from './session.svelte.ts';

export type Role = 'owner' | 'op';
type ModerationCommand = Extract<Command, { type: 'OP' | 'DEOP' | 'KICK' | 'BAN' | 'UNBAN' | 'SUSPEND' | 'UNSUSPEND' }>;
type Removal = ServerFrameOf<'KICKED'> | ServerFrameOf<'BANNED'>;
export type ModEntry = ServerFrameOf<'MOD'>;
/** One ban of a channel: who, by whom (`-`: not known), when (`-`: not known), why (empty: none). */
export type Ban = ServerFrameOf<'BAN'>;

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** What the person removed from a channel is told (issue 18: "You were removed from #dev by @alice: spam"). */
export function removalNotice(e: Removal, banned: boolean): string {
  const what = banned ? `You were banned from ${e.channel} by ${e.by}` : `You were removed from ${e.channel} by ${e.by}`;
  return e.reason ? `${what}: ${e.reason}` : what;
}

/** The line the others see in the channel. */
export function removalLine(e: Removal, banned: boolean): string {
  const what = `${e.user} was ${banned ? 'banned' : 'removed'} from ${e.channel} by ${e.by}`;
  return e.reason ? `${what}: ${e.reason}` : what;
}

/**
 * Roles and moderation (spec: OP, KICK, BAN, BANS, SUSPEND, MODLOG, ROLES). At each sign-in a
 * bare ROLES says whether this person is a server admin and where they own or op; a
 * channel's roles are read with ROLES when its member panel opens, and kept by the ROLE lines
 * that follow and by the channels this person creates. An admin is shown the actions in
 * every channel (and Suspend); an owner or op in theirs. A channel's bans are read (BANS)
 * when its panel opens for someone who may lift them, and read again when a BANNED is told.
 */
export class Moderation {
  /** Per channel key, per user key: their role, where known. */
  private readonly roles = new SvelteMap<string, SvelteMap<string, Role>>();
  /** A server admin (`--admins`): the bare ROLES said `admin`. */
  isAdmin = $state(false);
  /** Per channel key: its bans, newest first, once read; or the server's sentence. */
  private readonly bans = new SvelteMap<string, Ban[] | string>();
  /** Said once, at the top of the page: "You were removed from #dev by @alice: spam". */
  notice = $state('');

  private readonly session: Session;
  private readonly conversations: Conversations;

  constructor(session: Session, conversations: Conversations) {
    this.session = session;
    this.conversations = conversations;
    const c = session.client;
    c.on('role', (e) => this.onRole(e));
    c.on('kicked', (e) => this.onRemoved(e, false));
    c.on('banned', (e) => this.onRemoved(e, true));
    session.onReady(() => void this.probe());
    session.onReset(() => {
      this.roles.clear();
      this.bans.clear();
      this.isAdmin = false;
      this.notice = '';
    });
    conversations.on('created', (conv) => {
      // The creator owns a channel, if their handle is claimed (spec: OP).
      if (!this.session.claimed) return;
      this.setRole(conv.name, this.session.me, 'owner');
    });
    conversations.on('dropped', (key) => {
      this.roles.delete(key);
      this.bans.delete(key);
    });
  }

  /**
   * The channel's owner and ops as the server has them now (ROLES), replacing what was known:
   * after a reload, or for someone who saw no ROLE line, the badges are right. A channel one
   * may not see answers NO_SUCH_CHANNEL: nothing to show then.
   */
  async loadRoles(channel: string): Promise<void> {
    if (!this.session.ready) return;
    try {
      const fresh = new SvelteMap<string, Role>();
      for (const r of await this.session.client.roles(channel)) if (r.role === 'owner' || r.role === 'op') fresh.set(nameKey(r.user), r.role);
      this.roles.set(nameKey(channel), fresh);
    } catch {
      // Refused or disconnected: the roles known from ROLE lines stay.
    }
  }

  roleOf(channel: string, user: string): Role | undefined {
    return this.roles.get(nameKey(channel))?.get(nameKey(user));
  }

  /** Show Kick, Ban, the bans with Unban, and Delete (of others' messages) in `channel`. */
  mayModerate(channel: string): boolean {
    return this.roleOf(channel, this.session.me) !== undefined || this.isAdmin;
  }

  /** Show Make op / Remove op: the owner, or an admin. */
  mayOp(channel: string): boolean {
    return this.roleOf(channel, this.session.me) === 'owner' || this.isAdmin;
  }

  /** The channel's bans as last read (newest first), the server's sentence, or undefined before. */
  bansOf(channel: string): Ban[] | string | undefined {
    return this.bans.get(nameKey(channel));
  }

  /** Read the channel's bans (BANS), replacing what was known. */
  async loadBans(channel: string): Promise<void> {
    if (!this.session.ready) return;
    try {
      this.bans.set(nameKey(channel), await this.session.client.bans(channel));
    } catch (e) {
      this.bans.set(nameKey(channel), errorText(e));
    }
  }

  /** UNBAN: '' when done (the user leaves the channel's list), else the server's sentence. */
  async unban(channel: string, handle: string): Promise<string> {
    const problem = await this.run({ type: 'UNBAN', channel, handle });
    const list = this.bans.get(nameKey(channel));
    if (!problem && Array.isArray(list)) this.bans.set(nameKey(channel), list.filter((b) => nameKey(b.user) !== nameKey(handle)));
    return problem;
  }

  /** Run one moderation command; '' when done, else the server's sentence. */
  async run(cmd: ModerationCommand): Promise<string> {
    if (!this.session.ready) return 'Not connected to the server';
    try {
      await this.session.client.moderate(cmd);
      return '';
    } catch (e) {
      return errorText(e);
    }
  }

  /** The moderation log this person may read, newest first; or the server's sentence. */
  async log(limit = 50): Promise<ModEntry[] | string> {
    if (!this.session.ready) return 'Not connected to the server';
    try {
      return await this.session.client.modlog(limit);
    } catch (e) {
      return errorText(e);
    }
  }

  dismissNotice(): void {
    this.notice = '';
  }

  /** One's own roles (a bare ROLES): admin or not, and the channels one owns or ops. */
  private async probe(): Promise<void> {
    if (!this.session.claimed) {
      this.isAdmin = false;
      return;
    }
    try {
      const mine = await this.session.client.myRoles();
      this.isAdmin = mine.some((r) => r.role === 'admin');
      for (const r of mine) if (r.role === 'owner' || r.role === 'op') this.setRole(r.channel, this.session.me, r.role);
    } catch {
      // Disconnected: asked again at the next sign-in.
    }
  }

  private setRole(channel: string, user: string, role: Role | undefined): void {
    const key = nameKey(channel);
    let inChannel = this.roles.get(key);
    if (!inChannel) this.roles.set(key, (inChannel = new SvelteMap()));
    if (role) inChannel.set(nameKey(user), role);
    else inChannel.delete(nameKey(user));
  }

  private onRole(e: ServerFrameOf<'ROLE'>): void {
    if (e.role === 'admin') return;
    this.setRole(e.channel, e.user, e.role === 'member' ? undefined : e.role);
  }

  private onRemoved(e: Removal, banned: boolean): void {
    const key = nameKey(e.channel);
    this.setRole(e.channel, e.user, undefined);
    // A list on show gets the new ban, with its time as the server keeps it.
    if (banned && this.bans.has(key) && !this.session.isMe(e.user) && this.session.ready) void this.loadBans(e.channel);
    if (this.session.isMe(e.user)) {
      const wasOpen = this.conversations.activeKey === key;
      this.conversations.drop(key);
      if (wasOpen) this.conversations.openDefault();
      this.notice = removalNotice(e, banned);
      return;
    }
    const conv = this.conversations.get(key);
    if (!conv) return;
    conv.members.delete(nameKey(e.user));
    conv.addSystem(removalLine(e, banned));
  }
}
