import type { FileMeta } from './files.ts';

/**
 * The sentence for a refused upload: the server's (`{ code, message }`), or one of ours
 * when the answer is not that (a proxy's page, say).
 */
export function uploadError(status: number, responseText: string): string {
  try {
    const parsed = JSON.parse(responseText) as { message?: unknown };
    if (typeof parsed.message === 'string' && parsed.message.trim() !== '') return parsed.message;
  } catch {
    // not JSON: below
  }
  if (status === 413) return 'The file is too large for this server.';
  if (status === 401) return 'Sign in again to share files.';
  if (status === 0) return 'The upload failed: the connection to the server dropped. Try again.';
  return `The upload failed (the server answered ${status}). Try again.`;
}

/** What an upload's request reports as it goes: the row it belongs to (Upload) takes these. */
export type UploadTarget = {
  progress: number;
  state: 'uploading' | 'done' | 'failed';
  error: string;
  meta: FileMeta | undefined;
  request: XMLHttpRequest | undefined;
};

/**
 * `POST /files` (multipart, field `file`) with the session token: XMLHttpRequest, since
 * fetch reports no upload progress. The target's fields follow the request; `stored` hears
 * of the file once the server has it.
 */
export function sendFile(target: UploadTarget, file: File, name: string, token: string, stored: (meta: FileMeta) => void): void {
  const xhr = new XMLHttpRequest();
  target.request = xhr;
  const form = new FormData();
  form.append('file', file, name);
  xhr.open('POST', '/files');
  xhr.setRequestHeader('Authorization', `Bearer ${token}`);
  xhr.upload.onprogress = (e) => {
    if (e.lengthComputable && e.total > 0) target.progress = e.loaded / e.total;
  };
  const fail = (sentence: string) => {
    target.state = 'failed';
    target.error = sentence;
    target.request = undefined;
  };
  xhr.onload = () => {
    target.request = undefined;
    if (xhr.status !== 201) return fail(uploadError(xhr.status, xhr.responseText));
    try {
      const meta = JSON.parse(xhr.responseText) as FileMeta;
      if (typeof meta.url !== 'string' || !meta.url.startsWith('/files/')) throw new Error('no url');
      target.meta = meta;
      target.progress = 1;
      target.state = 'done';
      stored(meta);
    } catch {
      fail('The server gave an answer this page does not understand. Try again.');
    }
  };
  xhr.onerror = () => fail(uploadError(0, ''));
  xhr.send(form);
}
