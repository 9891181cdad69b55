import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import type { AccessDeps } from '../chat/access.ts';
import type { Caller } from '../chat/chat.ts';
import { hashToken } from '../chat/sessions.ts';
import { fileSentences } from '../sentences.ts';
import { nameKey } from '../store/keys.ts';
import type { Store } from '../store/store.ts';
import { FILE_ID } from '../files/disk-file-store.ts';
import { FileTooLarge, type FileMeta } from '../files/file-store.ts';
import { contentDisposition, INLINE_TYPES, sanitiseName, servedType, urlName } from '../files/file-names.ts';
import type { Files } from '../files/files.ts';
import { sniff } from '../files/sniff.ts';

/** The cookie that lets `<img>` fetch files: the session token, HttpOnly, for /files only. */

/** A refused upload's body this size or smaller is read and dropped rather than cut off. */
const SMALL_REFUSED_BODY = 1024 * 1024;
export const FILES_COOKIE = 'slck_files';
/** Room for the multipart framing around the file: a bigger Content-Length is refused unread. */
const MULTIPART_SLACK = 16 * 1024;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export type FilesDeps = { files: Files; chat: AccessDeps & { readonly store: Store } };

type Code = keyof typeof fileSentences;

/**
 * The files API (docs/PROTOCOL.md, "Files"): upload, fetch, metadata, and the cookie that lets
 * a browser's `<img>` fetch. Every answer about a file a requester may not read is the same
 * 404, whatever the reason, so a guessed or pasted id tells nothing.
 */
export async function registerFiles(app: FastifyInstance, deps: FilesDeps): Promise<void> {
  await app.register(async (scope) => {
    await scope.register(multipart);
    const { files, chat } = deps;

    /** The signed-in user of a token, or null (unknown, expired or signed out). */
    const userOf = async (token: string | undefined): Promise<Caller | null> => {
      if (token === undefined || !TOKEN.test(token)) return null;
      const s = await chat.store.session(hashToken(token));
      if (s === undefined || s.expires <= new Date().toISOString()) return null;
      return { key: nameKey(s.handle), handle: s.handle, conn: 'http' };
    };
    const bearer = (req: FastifyRequest): string | undefined => /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const cookie = (req: FastifyRequest): string | undefined => {
      for (const part of (req.headers.cookie ?? '').split(';')) {
        const [k, v] = part.trim().split('=');
        if (k === FILES_COOKIE) return v;
      }
      return undefined;
    };
    const fail = (reply: FastifyReply, status: number, code: Code, ...args: number[]) =>
      reply.code(status).send({ code, message: (fileSentences[code] as (...a: number[]) => string)(...args) });
    // An upload refused while its body is still coming: answer, then close rather than read the rest.
    /**
     * Refuses an upload. A big or unsized body is not read: the connection closes after the
     * answer, so a client still sending may see its write fail. A small one (up to 1 MiB
     * declared) is read and dropped by Node once the answer is out, as with any request, so
     * its client always gets the answer (an upload refused for the rate, say, got EPIPE).
     */
    const refuseUpload = (reply: FastifyReply, status: number, code: Code, ...args: number[]) => {
      const declared = Number(reply.request.headers['content-length']);
      const small = Number.isFinite(declared) && declared <= SMALL_REFUSED_BODY;
      return fail(small ? reply : reply.header('connection', 'close'), status, code, ...args);
    };

    /** The file, if this request may read it. */
    const readable = async (req: FastifyRequest<{ Params: { id: string } }>): Promise<FileMeta | null> => {
      if (!FILE_ID.test(req.params.id)) return null;
      const user = await userOf(bearer(req) ?? cookie(req));
      const meta = user === null ? undefined : await files.store.meta(req.params.id);
      if (user === null || meta === undefined) return null;
      return (await files.mayRead(chat, user, meta)) ? meta : null;
    };

    scope.post('/files', async (req, reply) => {
      // The cookie is for reading: an upload names its token, so no other site can make one.
      const user = await userOf(bearer(req));
      if (user === null) return refuseUpload(reply, 401, 'NOT_SIGNED_IN');
      const { maxFileSize, fileQuota } = files.limits;
      const used = await files.store.usage(user.key);
      const length = Number(req.headers['content-length'] ?? NaN);
      if (length > maxFileSize + MULTIPART_SLACK) return refuseUpload(reply, 413, 'FILE_TOO_LARGE', maxFileSize);
      if (used >= fileQuota || length > fileQuota - used + MULTIPART_SLACK) return refuseUpload(reply, 413, 'QUOTA_EXCEEDED', fileQuota);
      if (!files.mayUpload(user.key)) return refuseUpload(reply, 429, 'TOO_MANY_UPLOADS', files.limits.uploadsPerMinute);
      const room = Math.min(maxFileSize, fileQuota - used);
      const part = await req.file({ limits: { fileSize: room + 1, files: 1, fields: 10, parts: 20 }, throwFileSizeLimit: false })
        .catch(() => undefined);
      if (part === undefined || part.fieldname !== 'file') return refuseUpload(reply, 400, 'BAD_UPLOAD');
      const name = sanitiseName(part.filename ?? '');
      // A stalled upload would hold its file and socket for good: after --line-timeout-ms of
      // silence the connection is closed, and the partial file removed like a cancelled one.
      const socket = req.raw.socket;
      const stalled = () => socket.destroy();
      if (files.limits.idleMs) socket.setTimeout(files.limits.idleMs, stalled);
      let meta: FileMeta;
      try {
        const sniffed = await sniff(part.file as AsyncIterable<Buffer>);
        meta = await files.store.put(sniffed.stream, { name, type: servedType(sniffed.mime, name), uploader: user.key }, room);
      } catch (err) {
        if (err instanceof FileTooLarge) {
          return room < maxFileSize ? refuseUpload(reply, 413, 'QUOTA_EXCEEDED', fileQuota) : refuseUpload(reply, 413, 'FILE_TOO_LARGE', maxFileSize);
        }
        // A client that went away mid-upload (a cancel, a closed tab) lands here too: its partial file is gone.
        req.log.warn({ err, user: user.handle }, 'files: an upload failed');
        return refuseUpload(reply, 400, 'BAD_UPLOAD');
      } finally {
        if (files.limits.idleMs) socket.setTimeout(0).off('timeout', stalled);
      }
      // Uploads side by side each had the room left when they began: the last one over goes.
      if ((await files.store.usage(user.key)) > fileQuota) {
        await files.store.remove(meta.id);
        return refuseUpload(reply, 413, 'QUOTA_EXCEEDED', fileQuota);
      }
      req.log.info({ file: meta.id, user: user.handle, size: meta.size, type: meta.type }, 'file uploaded');
      return reply.code(201).send(describe(meta));
    });

    scope.get<{ Params: { id: string } }>('/files/:id/meta', async (req, reply) => {
      const meta = await readable(req);
      return meta === null ? fail(reply, 404, 'NOT_FOUND') : describe(meta);
    });

    // A big image's thumbnail (WebP); a small image is its own. Not an image: 404.
    scope.get<{ Params: { id: string } }>('/files/:id/thumb', async (req, reply) => {
      const meta = await readable(req);
      if (meta === null || !INLINE_TYPES.has(meta.type)) return fail(reply, 404, 'NOT_FOUND');
      return send(req, reply, meta, meta.thumb === true ? 'thumb' : undefined);
    });

    scope.get<{ Params: { id: string; name: string } }>('/files/:id/:name', async (req, reply) => {
      const meta = await readable(req);
      return meta === null ? fail(reply, 404, 'NOT_FOUND') : send(req, reply, meta);
    });

    const send = async (req: FastifyRequest, reply: FastifyReply, meta: FileMeta, variant?: 'thumb') => {
      // A file's bytes never change under its id, but who may read them does (a sign-out, a
      // kick): the browser keeps a copy and asks each time (no-cache), and the answer, after
      // the access check above, is a 304 with no body when its copy is this one.
      const etag = `"${meta.id}${variant === 'thumb' ? '-thumb' : ''}"`;
      const inline = INLINE_TYPES.has(meta.type);
      reply
        .header('cache-control', 'private, no-cache')
        .header('etag', etag)
        .header('content-disposition', contentDisposition(inline ? 'inline' : 'attachment', meta.name))
        .header('x-content-type-options', 'nosniff')
        // Opened on its own, a file is a sandboxed document: no script, no same-origin access.
        // On a 304 too: the browser takes the answer's headers onto its copy, and the page's
        // own policy would otherwise replace this one.
        .header('content-security-policy', 'sandbox');
      if (req.headers['if-none-match'] === etag) return reply.code(304).send();
      const bytes = await files.store.read(meta.id, variant);
      if (bytes === undefined) return fail(reply, 404, 'NOT_FOUND');
      if (variant === undefined) reply.header('content-length', meta.size);
      return reply.header('content-type', variant === 'thumb' ? 'image/webp' : meta.type).send(bytes);
    };

    scope.post('/files/session', async (req, reply) => {
      const token = bearer(req);
      const user = await userOf(token);
      if (user === null) return fail(reply, 401, 'NOT_SIGNED_IN');
      const session = await chat.store.session(hashToken(token!));
      const maxAge = Math.max(0, Math.floor((Date.parse(session!.expires) - Date.now()) / 1000));
      const secure = req.protocol === 'https' ? '; Secure' : '';
      return reply.code(204).header('set-cookie', `${FILES_COOKIE}=${token}; Path=/files; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure}`).send();
    });

    scope.delete('/files/session', async (req, reply) => {
      const secure = req.protocol === 'https' ? '; Secure' : '';
      return reply.code(204).header('set-cookie', `${FILES_COOKIE}=; Path=/files; HttpOnly; SameSite=Strict; Max-Age=0${secure}`).send();
    });
  });
}

/** A file as the API describes it (the upload's answer, and /meta). */
export function describe(meta: FileMeta): Record<string, unknown> {
  const { id, name, type, size, width, height } = meta;
  const url = `/files/${id}/${urlName(name)}`;
  return {
    id, name, type, size, url, ...(width !== undefined && { width, height }),
    // What to show in a small box: the thumbnail when one was made, else the image itself.
    ...(width !== undefined && { thumb: meta.thumb === true ? `/files/${id}/thumb` : url }),
  };
}
