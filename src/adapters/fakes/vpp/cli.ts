/** Runs the fake VPP server in the foreground for a person (`ercot-arb fake vpp`), on the real clock. */
import type { CliContext } from '../../../cli/context.js';
import { InputError } from '../../../domain/errors.js';
import { waitForSignal } from '../control/wait.js';
import { startFakeVpp } from './server.js';

export async function runFakeVpp(ctx: CliContext, o: { port: string; host: string; sites: string; programId: string }): Promise<void> {
  const port = Number(o.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new InputError('--port must be 0-65535', { field: 'port' });
  const siteIds = o.sites.split(',').map((s) => Number(s.trim()));
  if (siteIds.some((id) => !Number.isInteger(id) || id <= 0)) throw new InputError('--sites must be comma-separated integer site ids', { field: 'sites' });
  const fake = await startFakeVpp({ host: o.host, port, programId: o.programId, sites: siteIds.map((siteId) => ({ siteId, initialSocPercent: 50 })) });
  ctx.stdout.write([
    `fake Enphase VPP API on ${fake.url} (program ${fake.programId}, sites ${siteIds.join(', ')}; batteries follow events in real time)`,
    'use it with:',
    `  export ENPHASE_VPP_BASE_URL=${fake.url} ENPHASE_VPP_PROGRAM_ID=${fake.programId} ENPHASE_VPP_API_KEY=${fake.apiKey}`,
    `  export ENPHASE_VPP_CLIENT_ID=${fake.clientId} ENPHASE_VPP_CLIENT_SECRET=${fake.clientSecret}`,
    'Ctrl-C to stop',
    '',
  ].join('\n'));
  await waitForSignal();
  await fake.close();
}
