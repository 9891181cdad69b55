/**
 * Put `text` on the clipboard. The Clipboard API needs a secure context (https, or
 * localhost) and may be refused; then a selected field and the copy command, which older
 * browsers and plain-http pages still allow. Returns whether either worked.
 */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Refused or missing: try the old way.
  }
  const field = document.createElement('textarea');
  field.value = text;
  field.readOnly = true;
  field.className = 'visually-hidden';
  document.body.append(field);
  field.select();
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  } finally {
    field.remove();
  }
}
