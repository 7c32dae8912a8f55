/**
 * The simulated outside world (sim-fakes.ts) in a child process, driven over the IPC channel: `startSimFakesInChild`
 * forks sim-fakes-main and returns the same `SimFakesHandle` the in-process fakes give. The demo and the dispatch
 * benchmark use it so that the process running the daemon holds only the daemon (its memory and CPU are what a
 * deployed daemon's would be), while the fakes serve on loopback from the other core.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { programFile } from '../../runtime-files.js';
import type { SimFakesEndpoints, SimFakesHandle, SimFakesSpec } from './sim-fakes.js';

/** Requests the parent sends; each gets one reply with the same id. */
export type SimFakesRequest =
  | { id: number; op: 'start'; spec: Omit<SimFakesSpec, 'ercotData'> }
  | { id: number; op: 'issueOauthCode' }
  | { id: number; op: 'moveTo'; ms: number }
  | { id: number; op: 'socPercent'; systemIds: number[] }
  | { id: number; op: 'commandsReceived' }
  | { id: number; op: 'close' };

export type SimFakesReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

export async function startSimFakesInChild(spec: Omit<SimFakesSpec, 'ercotData'>): Promise<SimFakesHandle> {
  const entry = programFile('app/demo/sim-fakes-main');
  const child: ChildProcess = fork(entry.path, [], { execArgv: entry.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  let exited: string | undefined;
  child.on('message', (m: SimFakesReply) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.value);
    else p.reject(new Error(`simulated fakes: ${m.error}`));
  });
  child.on('exit', (code, signal) => {
    exited = `the simulated fakes' process exited (${signal ?? code})`;
    for (const p of pending.values()) p.reject(new Error(exited));
    pending.clear();
  });
  const call = <T>(request: Record<string, unknown> & { op: SimFakesRequest['op'] }): Promise<T> => {
    if (exited) return Promise.reject(new Error(exited));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ ...request, id });
    });
  };
  let endpoints: SimFakesEndpoints;
  try {
    endpoints = await call<SimFakesEndpoints>({ op: 'start', spec });
  } catch (error) {
    child.kill();
    throw error;
  }
  return {
    endpoints,
    issueOauthCode: () => call<string>({ op: 'issueOauthCode' }),
    moveTo: (ms) => call<void>({ op: 'moveTo', ms }),
    socPercent: (systemIds) => call<number[]>({ op: 'socPercent', systemIds }),
    commandsReceived: () => call<number>({ op: 'commandsReceived' }),
    async close() {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await call<void>({ op: 'close' }).catch(() => undefined);
      child.disconnect();
      await gone;
    },
  };
}
