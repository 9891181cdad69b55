import { ServerError, type SlckClient } from '../../../core/client.ts';
import { nameKey, nameProblem } from '../../../core/names.ts';
import { utf8Length } from '../../../core/bytes.ts';
import { LIMITS } from '../../../core/limits.ts';
import { backoffDelay, type Connection } from './connection.svelte.ts';
import * as storage from './storage.ts';

export type Phase = 'signed-out' | 'signing-in' | 'signed-in';

/** The longest wait between sign-in retries while resuming. */
const REG_RETRY_MAX_MS = 2_000;
/** Codes that mean "your old connection still holds the handle": wait and try again. */
const TRANSIENT_REG = new Set(['HANDLE_TAKEN', 'RATE_LIMITED']);

export const SESSION_ENDED = 'Your session has ended (you signed out, or it expired). Sign in with your password.';
export const SIGNED_OUT_EVERYWHERE = 'You were signed out everywhere, from another tab or device. Sign in with your password.';
export const SIGNED_OUT_IN_TAB = 'You signed out in another tab of this browser.';

/** What setting a password came to: `code` is the server's ERR code, or '' for a problem found here. */
export type PasswordResult = { ok: true } | { ok: false; code: string; error: string };

/** Why `password` cannot be one, or ''. The same rules as the server's (spec: REG, §7). */
export function passwordProblem(password: string): string {
  if (password === '') return 'Type a password';
  if (/\s/.test(password)) return 'A password cannot contain spaces';
  if (utf8Length(password) > LIMITS.maxPassword) return `A password is at most ${LIMITS.maxPassword} bytes`;
  return '';
}

/**
 * What a refused sign-in says on the form: the server's sentence, except where that is
 * written for a terminal (`@alice is claimed: REG @alice <password>`).
 */
export function signInProblem(e: ServerError, handle: string): string {
  if (e.code !== 'PASSWORD_REQUIRED') return e.message;
  return /guest/i.test(e.message) ? `This server has no guest handles: choose a password to claim ${handle}` : `${handle} is claimed: enter its password`;
}

/** A step of signing in, run after every successful REG (first time and reconnects alike). */
type Step = () => Promise<void>;

/**
 * Who is signed in, and the work of staying signed in: REG with a password (or RESUME with
 * the session token a password sign-in earned), reconnecting after a drop, resuming after a
 * reload, and signing out. What to do once registered (catching up, reading the unread
 * counts) is not its business: the other parts of the app register steps (`onSync`), run in
 * order before the session is `ready`, and `onReset` to forget what they hold at sign-out.
 */
export class Session {
  phase = $state<Phase>('signed-out');
  me = $state('');
  signInError = $state('');
  /** The sign-in field the error is about, to focus and mark. */
  signInErrorField = $state<'handle' | 'password'>('handle');
  /** Registered on the current socket and caught up: commands may be sent. */
  ready = $state(false);
  /** While signed in but not ready: what is happening, for people. */
  syncNote = $state('');
  /** Signed in with a password or a session token: the handle is claimed. */
  claimed = $state(false);
  /**
   * Between sending REG and the end of catching up: the JOINED lines the server sends for a
   * restored membership arrive in this window, before REG's OK.
   */
  syncing = false;
  /** The conversation this tab had open before a reload (sessionStorage). */
  savedActive: string | undefined;

  readonly link: Connection;
  private password: string | undefined;
  private token: string | undefined;
  /** Signed in again by the page itself (reload): a held handle means "wait", not "taken". */
  private resuming = false;
  private regAttempt = 0;
  private regTimer: ReturnType<typeof setTimeout> | undefined;
  /** The current socket carries our REG: signing out must QUIT it. */
  private registeredOnSocket = false;
  private readonly beforeSteps: (() => void)[] = [];
  private readonly syncSteps: Step[] = [];
  private readonly readySteps: (() => void)[] = [];
  private readonly resetSteps: (() => void)[] = [];
  private readonly tokenSteps: ((token: string) => void)[] = [];

  constructor(link: Connection) {
    this.link = link;
    const c = link.client;
    c.on('bye', (bye) => {
      // The server closes a connection that has not signed in for a while (BYE TIMEOUT). On
      // the sign-in page that is no trouble: stay closed until the person signs in
      // (beginSignIn opens the link again), rather than reconnect every minute.
      if (bye.reason === 'TIMEOUT' && this.phase === 'signed-out') this.link.stop();
      // Signed out everywhere from another connection: the token is dead, so reconnecting
      // would only be refused. Back to the sign-in page, link closed.
      // Suspended by a server admin (spec: SUSPEND): the same, with the server's sentence;
      // sign-in and resume are refused until an admin lifts it.
      if ((bye.reason === 'SIGNED_OUT' || bye.reason === 'SUSPENDED') && this.phase !== 'signed-out') {
        this.forgetToken();
        this.registeredOnSocket = false;
        void this.signOut(bye.reason === 'SUSPENDED' ? bye.text : SIGNED_OUT_EVERYWHERE);
        this.link.stop();
      }
    });
    link.onOpen(() => {
      if (this.phase !== 'signed-out') void this.register();
    });
    link.onClose(() => {
      clearTimeout(this.regTimer);
      this.ready = false;
      this.syncing = false;
      this.registeredOnSocket = false;
      if (this.phase === 'signed-in') this.syncNote = 'Reconnecting…';
    });
  }

  /** For the app's own parts (never components): the typed client on the current socket. */
  get client(): SlckClient {
    return this.link.client;
  }

  /** Before each REG is sent. */
  onRegister(fn: () => void): void {
    this.beforeSteps.push(fn);
  }
  /** After each successful REG, in the order registered; the session is ready once all ran. */
  onSync(step: Step): void {
    this.syncSteps.push(step);
  }
  /** Once registered and caught up. */
  onReady(fn: () => void): void {
    this.readySteps.push(fn);
  }
  /**
   * Each time a sign-in (or a reconnect, or claiming the handle) leaves this tab holding a
   * session token, before the steps of `onSync`: what else the token opens (files over HTTP).
   */
  onToken(fn: (token: string) => void): void {
    this.tokenSteps.push(fn);
  }
  /** At sign-out: forget everything of this user's. */
  onReset(fn: () => void): void {
    this.resetSteps.push(fn);
  }

  isMe(name: string): boolean {
    return this.me !== '' && nameKey(name) === nameKey(this.me);
  }

  /** At start: sign in again as this tab (a guest) or this browser (a claimed handle's token) was. */
  start(): void {
    const saved = storage.loadSession();
    const token = storage.loadToken();
    if (saved && !saved.claimed) this.resume(saved.handle, undefined, saved.active);
    else if (token) this.resume(token.handle, token.token, saved && nameKey(saved.handle) === nameKey(token.handle) ? saved.active : undefined);
    else this.link.start();
  }

  /** Another tab changed the stored token: if it ended ours, this tab is signed out too. */
  onStorage = (e: StorageEvent): void => {
    if (e.key !== storage.TOKEN_KEY && e.key !== null) return;
    if (this.token === undefined || this.phase === 'signed-out') return;
    if (storage.loadToken()?.token === this.token) return;
    // A new token of another handle (signed in as someone else there) leaves ours working.
    if (e.key !== null && e.newValue !== null) return;
    this.token = undefined;
    void this.signOut(SIGNED_OUT_IN_TAB);
  };

  // ------------------------------------------------------------------ signing in

  signIn(handle: string, password: string): void {
    const problem = nameProblem(handle, 'handle');
    this.signInErrorField = problem ? 'handle' : 'password';
    if (problem) {
      this.signInError = problem.message;
      return;
    }
    if (password !== '' && passwordProblem(password)) {
      this.signInError = passwordProblem(password);
      return;
    }
    this.me = handle;
    this.password = password === '' ? undefined : password;
    this.token = undefined;
    this.resuming = false;
    this.beginSignIn();
  }

  /** Sign in again by ourselves: a guest handle (no token), or a claimed one with its token. */
  private resume(handle: string, token: string | undefined, active: string | undefined): void {
    this.me = handle;
    this.token = token;
    this.savedActive = active;
    this.resuming = true;
    this.beginSignIn();
  }

  private beginSignIn(): void {
    this.signInError = '';
    this.phase = 'signing-in';
    this.regAttempt = 0;
    if (this.link.isOpen) void this.register();
    else this.link.start();
  }

  /** Stop trying to sign in (the button on the sign-in screen while it waits). */
  cancelSignIn(): void {
    clearTimeout(this.regTimer);
    this.phase = 'signed-out';
    this.resuming = false;
  }

  private async register(): Promise<void> {
    clearTimeout(this.regTimer);
    const client = this.client;
    for (const fn of this.beforeSteps) fn();
    this.syncing = true;
    this.syncNote = 'Signing in…';
    try {
      if (this.token !== undefined) await client.resume(this.me, this.token);
      else await client.reg(this.me, this.password);
    } catch (e) {
      this.syncing = false;
      if (!(e instanceof ServerError) || e.code === 'DISCONNECTED') return; // onOpen runs again
      if (e.code === 'BAD_TOKEN') {
        this.forgetToken();
        await this.signOut(SESSION_ENDED);
        return;
      }
      if (TRANSIENT_REG.has(e.code) && (this.resuming || this.phase === 'signed-in')) {
        // Our own session resuming: the handle is still held by our old connection (its node
        // died; the hold lasts until that node's heartbeat expires, 10 s). Ask every couple of
        // seconds so we are back soon after it is free, not a long backoff later.
        this.syncNote = e.code === 'HANDLE_TAKEN' ? 'Resuming your session…' : `${e.message}. Trying again…`;
        this.regTimer = setTimeout(() => void this.register(), Math.min(backoffDelay(this.regAttempt++), REG_RETRY_MAX_MS));
        return;
      }
      this.signInErrorField = e.code === 'PASSWORD_REQUIRED' || e.code === 'WRONG_PASSWORD' ? 'password' : 'handle';
      if (this.phase === 'signed-in' || this.resuming) {
        await this.signOut(signInProblem(e, this.me));
        return;
      }
      this.phase = 'signed-out';
      this.signInError = signInProblem(e, this.me);
      return;
    }
    this.registeredOnSocket = true;
    if (this.phase === 'signed-out') {
      // Cancelled while the server was answering: undo the registration.
      await this.signOut();
      return;
    }
    this.phase = 'signed-in';
    this.claimed = this.token !== undefined || this.password !== undefined;
    this.regAttempt = 0;
    this.link.markHealthy();
    storage.saveLastHandle(this.me);
    if (this.password !== undefined) await this.askToken();
    this.remember();
    this.resuming = false;
    this.tellToken();
    try {
      for (const step of this.syncSteps) await this.runStep(step);
    } catch {
      return; // the link dropped: onOpen signs in again
    } finally {
      this.syncing = false;
    }
    if (!this.link.isOpen || this.phase !== 'signed-in') return;
    this.ready = true;
    this.syncNote = '';
    for (const fn of this.readySteps) fn();
  }

  /** A step that fails for any reason but the link is logged and the others run all the same. */
  private async runStep(step: Step): Promise<void> {
    try {
      await step();
    } catch (e) {
      if (e instanceof ServerError && e.code === 'DISCONNECTED') throw e;
      console.error('signing in: a step failed', e);
    }
  }

  /**
   * After a password sign-in: a session token, so that a reload, another tab or a restarted
   * server signs in without the password, which is then forgotten. A server that gives none
   * (an older one) leaves the password in memory, for reconnecting, as before tokens.
   */
  private async askToken(): Promise<void> {
    try {
      const { token } = await this.client.token();
      this.token = token;
      this.password = undefined;
      storage.saveToken({ handle: this.me, token });
    } catch {
      // Kept the password; a drop meanwhile is noticed by the steps that follow.
    }
  }

  private tellToken(): void {
    const token = this.token;
    if (token !== undefined) for (const fn of this.tokenSteps) fn(token);
  }

  // ------------------------------------------------------------------ passwords

  /**
   * Without signing out: a guest claims its handle (PASSWORD <new>), or a claimed user
   * changes the password (PASSWORD <current> <new>). A claim then asks a session token, as a
   * password sign-in does, so a reload needs no password. A change ends the user's other
   * sessions on the server (spec: PASSWORD), but not this connection's, whose token this
   * browser keeps using.
   */
  async setPassword(next: string, current?: string): Promise<PasswordResult> {
    const problem = passwordProblem(next);
    if (problem) return { ok: false, code: '', error: problem };
    if (!this.ready) return { ok: false, code: '', error: 'Not connected to the server: try again once it is back' };
    const claiming = !this.claimed;
    try {
      await this.client.password(next, claiming ? undefined : current);
    } catch (e) {
      if (!(e instanceof ServerError)) throw e;
      if (e.code === 'WRONG_PASSWORD') return { ok: false, code: e.code, error: 'That is not your current password.' };
      return { ok: false, code: e.code, error: e.code === 'DISCONNECTED' ? 'The connection dropped: try again once it is back' : e.message };
    }
    if (claiming) {
      this.claimed = true;
      // Kept only until the token comes (askToken forgets it): a drop before that signs in
      // again with it, as after a password sign-in.
      this.password = next;
      await this.askToken();
      this.remember();
      this.tellToken();
    } else if (this.password !== undefined) {
      // No token (a server without them): reconnecting signs in with the password, the new one.
      this.password = next;
    }
    return { ok: true };
  }

  /** Which conversation is open, for a reload of this tab. */
  remember(active: string | undefined = this.savedActive): void {
    this.savedActive = active;
    if (this.phase === 'signed-in') storage.saveSession({ handle: this.me, claimed: this.claimed, active });
  }

  private forgetToken(): void {
    const stored = storage.loadToken();
    if (this.token === undefined || stored?.token === this.token) storage.saveToken(null);
    this.token = undefined;
  }

  // ------------------------------------------------------------------ signing out

  /**
   * The Sign out buttons: the session ends on the server too (SIGNOUT, or SIGNOUT ALL to end
   * every session of the user and close their other connections), then QUIT.
   */
  async signOutByUser(everywhere = false): Promise<void> {
    const registered = this.registeredOnSocket;
    const claimed = this.claimed;
    const client = this.client;
    this.forgetToken();
    storage.forgetDrafts(this.me);
    this.registeredOnSocket = false;
    void this.signOut();
    if (!registered) return;
    if (claimed) await client.signOut(everywhere).catch(() => {});
    await client.quit().catch(() => {});
  }

  /** Back to the sign-in page, with `reason` shown there. */
  async signOut(reason = ''): Promise<void> {
    const registered = this.registeredOnSocket;
    clearTimeout(this.regTimer);
    storage.saveSession(null);
    this.phase = 'signed-out';
    this.ready = false;
    this.claimed = false;
    this.signInError = reason;
    this.password = undefined;
    this.token = undefined;
    this.resuming = false;
    this.savedActive = undefined;
    this.registeredOnSocket = false;
    for (const fn of this.resetSteps) fn();
    // The server ends the connection after QUIT; the Connection opens a fresh one for the
    // next sign-in.
    if (registered) await this.client.quit().catch(() => {});
  }
}
