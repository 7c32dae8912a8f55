/** What every CLI command gets: its output streams and a logger. Tests pass their own streams. */
import type { Command } from 'commander';
import type { Logger } from '../app/logger.js';

type LoggerModule = typeof import('../app/logger.js');
let loggerModule: LoggerModule | undefined;

/**
 * Loads the logging module (pino, ~130 ms). main() awaits this before a command's action runs, so `--help` and
 * usage errors never pay for it; code that calls a command's implementation directly awaits it first.
 */
export async function loadLoggerModule(): Promise<void> {
  loggerModule ??= await import('../app/logger.js');
}

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface CliContext extends CliIo {
  /** Created on first use: commands that log get pino (pretty on a terminal, JSON otherwise). */
  logger(): Logger;
}

export function createCliContext(io: CliIo): CliContext {
  let logger: Logger | undefined;
  return {
    ...io,
    logger: () => {
      if (!loggerModule) throw new Error('the CLI logger is not loaded: await loadLoggerModule() before calling a command implementation');
      return (logger ??= loggerModule.createLogger({ pretty: Boolean(io.stderr.isTTY), destination: io.stderr.isTTY ? undefined : io.stderr }));
    },
  };
}

/** The sub-command group `name` of `program`, created on first use (so two areas can add to e.g. `fake`). */
export function commandGroup(program: Command, name: string, description: string): Command {
  const existing = program.commands.find((c) => c.name() === name);
  if (existing) return existing;
  return program.command(name).description(description);
}

/** A command module registers its sub-commands; actions import their implementation lazily. */
export type RegisterCommands = (program: Command, ctx: CliContext) => void;

/** The `--data-dir` option every command that opens the store accepts: `.option(...DATA_DIR_OPTION)`. */
export const DATA_DIR_OPTION = ['--data-dir <dir>', 'embedded store directory when DATABASE_URL is not set (default: ERCOT_ARB_DATA_DIR or ./data)'] as const;
