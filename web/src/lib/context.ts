import { createContext } from 'svelte';
import type { Chat } from './chat.svelte.ts';
import type { Settings } from './settings.svelte.ts';

/** The app's one Chat, provided by App.svelte to every component below it. */
export const [getChat, setChat] = createContext<Chat>();

/** The person's preferences for this browser, provided by App.svelte. */
export const [getSettings, setSettings] = createContext<Settings>();
