/** Named errors of the store. The `InputError` ones are the user's to fix (the CLI prints one line, exit code 2). */
import { InputError } from '../domain/errors.js';
import type { LockHolder } from './store-lock.js';

/** DATABASE_URL names a server that cannot be reached or refuses us. The message names host and port, never a password. */
export class DatabaseUnreachable extends InputError {
  readonly host: string;
  readonly port: number;
  constructor(host: string, port: number, reason: string) {
    super(`cannot connect to PostgreSQL at ${host}:${port} (DATABASE_URL): ${reason}`);
    this.name = 'DatabaseUnreachable';
    this.host = host;
    this.port = port;
  }
}

/** The database has migrations this program does not know: it was migrated by a newer version. */
export class MigrationsAhead extends InputError {
  readonly unknown: string[];
  constructor(unknown: string[]) {
    super(
      `the database has ${unknown.length} migration(s) newer than this program (${unknown.join(', ')}): ` +
        'upgrade ercot-arb or point it at another database; refusing to start',
    );
    this.name = 'MigrationsAhead';
    this.unknown = unknown;
  }
}

/** The data directory holds something that is not a PGlite store; nothing was touched. */
export class NotAPgliteStore extends InputError {
  constructor(path: string, reason: string) {
    super(`${reason}; not a PGlite store, left untouched (choose another ERCOT_ARB_DATA_DIR)`, { file: path });
    this.name = 'NotAPgliteStore';
  }
}

/**
 * The embedded store is open in another process (or already in this one): two PGlite instances on one folder lose
 * writes and corrupt indexes, so the second is refused. The message names the holder and what to do.
 */
export class StoreLocked extends InputError {
  readonly lockFile: string;
  readonly holder: LockHolder | undefined;
  constructor(storeDir: string, lockFile: string, holder: LockHolder | undefined, heldByThisProcess: boolean) {
    super(
      heldByThisProcess
        ? `the embedded store ${storeDir} is already open in this process (pid ${process.pid}); close it before opening it again`
        : `the embedded store ${storeDir} is in use by ${describeHolder(holder)}; ` +
            'wait for that command to finish or stop it, or set DATABASE_URL to use PostgreSQL, which serves several ' +
            `processes at once (lock file ${lockFile}${holder ? '' : ', being written or unreadable'})`,
    );
    this.name = 'StoreLocked';
    this.lockFile = lockFile;
    this.holder = holder;
  }
}

function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return 'another process';
  return `pid ${holder.pid} on host ${holder.host} (\`${holder.command}\`, since ${holder.since})`;
}

/** A command state change the state machine does not allow (e.g. completed → sent). */
export class IllegalCommandTransition extends Error {
  constructor(commandId: string, from: string, to: string) {
    super(`command ${commandId}: illegal transition ${from} → ${to}`);
    this.name = 'IllegalCommandTransition';
  }
}

/** A row that must exist does not. */
export class NotFound extends Error {
  constructor(what: string) {
    super(`${what} not found`);
    this.name = 'NotFound';
  }
}
