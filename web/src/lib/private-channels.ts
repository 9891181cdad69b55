import { ServerError, type ChannelInfo } from '../../../core/client.ts';
import { nameKey } from '../../../core/names.ts';

/** Said under the Private switch of the create-channel form. */
export const PRIVATE_EXPLAINED = 'Only people you invite can see it';
/** Said instead to a guest, whose switch is off: the server refuses them (spec: CREATE, NOT_CLAIMED). */
export const GUEST_CANNOT_MAKE_PRIVATE = 'Only people you invite can see it. Guests cannot make one: set a password in';

/** How many handles the invite box suggests at once. */
const SUGGESTIONS = 8;

/** What was typed in the invite box as a handle: `bob` and ` @bob ` are both `@bob`. */
export function inviteHandle(input: string): string {
  const t = input.trim();
  return t === '' || t.startsWith('@') ? t : `@${t}`;
}

/**
 * Handles the invite box offers for what has been typed: known people not in the channel
 * whose name starts with it (without the `@`, regardless of case). A private channel takes
 * claimed handles only, so a known guest is left out of its suggestions (the server would
 * refuse them; typed in full, its sentence says why).
 */
export function inviteSuggestions(
  people: readonly { name: string; guest?: boolean }[],
  memberKeys: ReadonlySet<string>,
  typed: string,
  isPrivate: boolean,
): string[] {
  const prefix = nameKey(inviteHandle(typed)).replace(/^@/, '');
  return people
    .filter((p) => !memberKeys.has(nameKey(p.name)) && !(isPrivate && p.guest === true))
    .filter((p) => nameKey(p.name).slice(1).startsWith(prefix))
    .map((p) => p.name)
    .slice(0, SUGGESTIONS);
}

/**
 * The sentence for a CREATE the server refused. A taken name of a public channel the list
 * shows gets words for this page rather than the server's, which speak to a terminal
 * (`JOIN #dev`); every other refusal is the server's sentence as it is (a private channel's
 * name: "is not available", and nothing more, as the spec wants).
 */
export function createRefusal(e: unknown, name: string, directory: readonly ChannelInfo[]): string {
  const listed = directory.find((c) => nameKey(c.channel) === nameKey(name));
  if (e instanceof ServerError && e.code === 'CHANNEL_TAKEN' && listed && !listed.private) {
    return `${listed.channel} exists already, as a public channel: join it from the list below, or choose another name`;
  }
  return e instanceof Error ? e.message : String(e);
}
