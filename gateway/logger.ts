/** The part of pino the server's modules use, so they need no pino import of their own. */
export type Logger = {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
};
