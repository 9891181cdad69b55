/** An index word as core/search-query's searchWords reads one: letters, numbers, marks, private use. */
const WORD = /[\p{L}\p{N}\p{M}\p{Co}]+/gu;

/**
 * A search result's body: `html`, the sanitised HTML render() made of it, with each word the
 * query matched (folded as the server folds it, so `cafe` marks `Café`) wrapped in <mark>.
 * Only text nodes are split and only <mark> and <span> elements made, through the DOM, so
 * nothing from the body becomes markup. Links become plain text: a result is one button.
 * `fold` is core's foldForSearch, passed in by the Search state (which the first load
 * carries anyway) so this lazy module's chunk does not pull core apart from the main one.
 */
export function highlightHtml(html: string, terms: readonly string[], fold: (word: string) => string): string {
  const root = document.createElement('template');
  root.innerHTML = html;
  for (const a of Array.from(root.content.querySelectorAll('a'))) {
    const span = document.createElement('span');
    span.append(...Array.from(a.childNodes));
    a.replaceWith(span);
  }
  if (terms.length === 0) return root.innerHTML;
  const wanted = new Set(terms);
  const walker = document.createTreeWalker(root.content, NodeFilter.SHOW_TEXT);
  const texts: Text[] = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) texts.push(n as Text);
  for (const node of texts) {
    const value = node.data;
    const parts: Node[] = [];
    let last = 0;
    for (const m of value.matchAll(WORD)) {
      if (!wanted.has(fold(m[0]))) continue;
      if (m.index > last) parts.push(document.createTextNode(value.slice(last, m.index)));
      const mark = document.createElement('mark');
      mark.textContent = m[0];
      parts.push(mark);
      last = m.index + m[0].length;
    }
    if (parts.length === 0) continue;
    if (last < value.length) parts.push(document.createTextNode(value.slice(last)));
    node.replaceWith(...parts);
  }
  return root.innerHTML;
}
