/**
 * The `ercot-arb` command line. Exit codes: 0 success, 2 bad input (one paragraph, no stack trace),
 * 1 internal error. Each area registers its sub-commands from src/cli/commands/; their actions load the
 * implementation lazily so `--help` stays fast.
 */
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { InputError } from '../domain/errors.js';
import { createCliContext, loadLoggerModule, type CliIo } from './context.js';
import { commandModules } from './commands/index.js';

export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_BAD_INPUT = 2;

export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const ctx = createCliContext(io);
  const program = new Command('ercot-arb')
    .description('ERCOT energy-arbitrage engine for home batteries: replay scenarios, ingest prices and telemetry, plan and dispatch')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showHelpAfterError('(add --help for usage)')
    .hook('preAction', loadLoggerModule); // pino only when a command runs, never for --help
  for (const register of commandModules) register(program, ctx);
  for (const cmd of allCommands(program)) cmd.exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' && process.exitCode !== 0 ? process.exitCode : EXIT_OK;
  } catch (error) {
    return reportError(error, io);
  }
}

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)]);
}

export function reportError(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT_OK;
    if (error.exitCode === 0) return EXIT_OK;
    return EXIT_BAD_INPUT; // commander already printed its message
  }
  if (error instanceof InputError) {
    const more = error.details.length ? `\n${error.details.map((d) => `  - ${d}`).join('\n')}` : '';
    io.stderr.write(`error: ${error.message}${more}\n`);
    return EXIT_BAD_INPUT;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`internal error: ${message}\n`);
  if (process.env.ERCOT_ARB_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  else io.stderr.write('(set ERCOT_ARB_DEBUG=1 for the stack trace)\n');
  return EXIT_INTERNAL;
}

/** Run directly (`tsx src/cli/main.ts …` in development); the installed bin imports main() instead. */
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
