import path from 'node:path';

/** The control socket's name in the data directory. */
export const CONTROL_SOCKET_NAME = 'control.sock';

/**
 * A Unix socket's path must fit `sun_path`: 108 bytes on Linux with the closing NUL, so 107.
 * Node does not refuse a longer one: it binds and connects to the path cut short, a file
 * nobody asked for. So the length is checked here, on both ends.
 */
export const MAX_SOCKET_PATH_BYTES = 107;

/** `<dataDir>/control.sock`, absolute. */
export function controlSocketPath(dataDir: string): string {
  return path.join(path.resolve(dataDir), CONTROL_SOCKET_NAME);
}

/** Why `socketPath` cannot be a Unix socket here, as a sentence; null when it can. */
export function socketPathProblem(socketPath: string): string | null {
  const bytes = Buffer.byteLength(socketPath);
  if (bytes <= MAX_SOCKET_PATH_BYTES) return null;
  return `The control socket ${socketPath} is ${bytes} bytes long, more than the ${MAX_SOCKET_PATH_BYTES} a Unix socket ` +
    'path may have; choose a data directory with a shorter path (--data-dir) for online backups.';
}
