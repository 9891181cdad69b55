import { X509Certificate, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';

/** Older versions have known weaknesses; every maintained client speaks 1.2 or 1.3. */
export const TLS_MIN_VERSION = 'TLSv1.2' as const;

/** The certificate and key files as read, checked, and what a log line says of them. */
export type LoadedTls = {
  /** Options for `tls.createServer`, `https.createServer` and `setSecureContext`. */
  options: SecureContextOptions & { minVersion: typeof TLS_MIN_VERSION };
  /** SHA-256 of the leaf certificate (colon-separated hex, as `openssl x509 -fingerprint -sha256` shows it). */
  fingerprint: string;
  subject: string;
  validTo: string;
};

/**
 * Read both PEM files and check them as OpenSSL will use them (the key must be the
 * certificate's). Throws a sentence naming the file at fault; nothing is changed by a failure,
 * so a reload with a bad file leaves the old certificate in place.
 */
export function loadTls(files: { cert: string; key: string }): LoadedTls {
  const read = (path: string, what: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new Error(`cannot read the TLS ${what} ${path}: ${(e as Error).message}`, { cause: e });
    }
  };
  const cert = read(files.cert, 'certificate');
  const key = read(files.key, 'key');
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (e) {
    throw new Error(`${files.cert} is not a PEM certificate (${(e as Error).message})`, { cause: e });
  }
  const options = { cert, key, minVersion: TLS_MIN_VERSION };
  try {
    createSecureContext(options);
  } catch (e) {
    throw new Error(`cannot use the TLS key ${files.key} with the certificate ${files.cert} (${(e as Error).message})`, { cause: e });
  }
  return { options, fingerprint: fingerprint(leaf.raw), subject: leaf.subject.replaceAll('\n', ', '), validTo: leaf.validTo };
}

/** SHA-256 of a DER certificate, in the colon-separated form openssl and browsers show. */
export function fingerprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)!.join(':');
}
