/**
 * Fleet worker child processes on this machine (`fleet worker --workers N`, `run --workers N`): each runs
 * worker-main with the same environment, so they all join the same PostgreSQL job queue.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { programFile } from '../../runtime-files.js';

export interface ForkedWorkers {
  children: ChildProcess[];
  /** SIGTERM to every child (running jobs finish), resolved when all have exited. */
  stop(): Promise<void>;
  /** Resolved when every child has exited by itself or after stop(). */
  exited: Promise<void>;
}

export function forkFleetWorkers(count: number, env: NodeJS.ProcessEnv): ForkedWorkers {
  const entry = programFile('app/fleet/worker-main');
  const children = Array.from({ length: count }, () => fork(entry.path, [], { execArgv: entry.execArgv, env: { ...process.env, ...env } }));
  const exited = Promise.all(children.map((c) => (c.exitCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r()))))).then(() => undefined);
  return {
    children,
    exited,
    async stop() {
      for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
      await exited;
    },
  };
}
