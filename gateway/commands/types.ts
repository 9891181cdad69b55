import type { CommandOf, CommandType } from '../../core/index.ts';
import type { Conn } from '../conn.ts';
import type { Hub } from '../hub.ts';

/** One command's handler. Asynchronous handlers hold back the connection's later commands. */
export type CommandHandler<K extends CommandType> = {
  /** Whether the connection must have registered first. */
  needsUser: boolean;
  run(hub: Hub, conn: Conn, cmd: CommandOf<K>): void | Promise<void>;
};

export type CommandTable = { [K in CommandType]: CommandHandler<K> };
