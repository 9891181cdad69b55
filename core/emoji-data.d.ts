// markdown-it-emoji ships its shortcode tables as plain ES modules without types. (The web
// app declares the same in web/src/lib/emoji-data.d.ts; core/ is also compiled without web/.)
declare module 'markdown-it-emoji/lib/data/*.mjs' {
  const shortcodes: Record<string, string>;
  export default shortcodes;
}
