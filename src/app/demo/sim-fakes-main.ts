/**
 * Child-process entry of the simulated outside world (forked by sim-fakes-child.ts): starts the fakes on the spec
 * it is sent and answers the parent's requests over IPC. It ends when the parent closes it or goes away.
 */
import { startLocalSimFakes, type LocalSimFakes } from './sim-fakes.js';
import type { SimFakesReply, SimFakesRequest } from './sim-fakes-child.js';

let fakes: LocalSimFakes | undefined;

async function answer(request: SimFakesRequest): Promise<unknown> {
  if (request.op === 'start') {
    if (fakes) throw new Error('already started');
    fakes = await startLocalSimFakes(request.spec);
    return fakes.endpoints;
  }
  if (!fakes) throw new Error('not started');
  switch (request.op) {
    case 'issueOauthCode':
      return fakes.issueOauthCode();
    case 'moveTo':
      return fakes.moveTo(request.ms);
    case 'socPercent':
      return fakes.socPercent(request.systemIds);
    case 'commandsReceived':
      return fakes.commandsReceived();
    case 'close':
      await fakes.close();
      fakes = undefined;
      return undefined;
  }
}

const reply = (m: SimFakesReply) => process.send?.(m);
process.on('message', (request: SimFakesRequest) => {
  answer(request).then(
    (value) => reply({ id: request.id, ok: true, value: value ?? null }),
    (error: unknown) => reply({ id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
});
// Ctrl-C reaches the whole process group: the parent decides when the fakes stop (it closes them, below).
process.on('SIGINT', () => undefined);
// The parent closed the channel (done, or gone): stop serving.
process.on('disconnect', () => {
  void (fakes?.close() ?? Promise.resolve()).finally(() => process.exit(0));
});
