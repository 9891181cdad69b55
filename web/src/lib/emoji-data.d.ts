// markdown-it-emoji ships its shortcode tables as plain ES modules without types.
declare module 'markdown-it-emoji/lib/data/*.mjs' {
  const shortcodes: Record<string, string>;
  export default shortcodes;
}

// Vite's `?url` imports: the built asset's address (the emoji picker's data).
declare module '*?url' {
  const url: string;
  export default url;
}
