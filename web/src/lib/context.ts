import { createContext } from 'svelte';
import type { Chat } from './chat.svelte.ts';

/** The app's one Chat, provided by App.svelte to every component below it. */
export const [getChat, setChat] = createContext<Chat>();
