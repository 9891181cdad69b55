// The emoji picker (emoji-picker-element), loaded only when someone first opens it: this
// module is imported dynamically, so the picker and its code stay out of the first load.
// Its emoji data (emojibase, English) is one of our own built assets, not a CDN's: the CSP's
// connect-src is 'self', and a chat server on a LAN may have no Internet.
import 'emoji-picker-element/picker.js';
import type { Picker } from 'emoji-picker-element';
import dataUrl from 'emoji-picker-element-data/en/emojibase/data.json?url';

let shimmed = false;

/**
 * The picker writes its styles as a <style> element in its shadow root and as style
 * attributes, both of which the page's CSP (style-src 'self') refuses. Its fixed stylesheet
 * is adopted as a constructed sheet instead (a createPicker step), and its style attributes
 * are written through the CSSOM (element.style.cssText), which the CSP allows: the same
 * declarations, no inline style. Only for elements inside a picker, or not yet in the page
 * (its templates are filled in before they are inserted).
 */
function shimStyleAttributes(): void {
  if (shimmed) return;
  shimmed = true;
  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (this: Element, name: string, value: string) {
    if (name === 'style' && this instanceof HTMLElement && (!this.isConnected || (this.getRootNode() as ShadowRoot).host?.localName === 'emoji-picker')) {
      this.style.cssText = value;
      return;
    }
    setAttribute.call(this, name, value);
  };
}

/** A picker ready to go into the page, in the theme on screen. */
export function createPicker(dark: boolean): Picker {
  shimStyleAttributes();
  const picker = document.createElement('emoji-picker') as Picker;
  // Made off the page, so its <style> has not been checked against the CSP yet: replace it.
  const style = picker.shadowRoot?.querySelector('style');
  if (style && picker.shadowRoot) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(style.textContent ?? '');
    style.remove();
    picker.shadowRoot.adoptedStyleSheets = [sheet];
  }
  picker.dataSource = dataUrl;
  picker.classList.add(dark ? 'dark' : 'light');
  return picker;
}
