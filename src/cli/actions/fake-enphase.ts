/** Runs the fake Enphase server in the foreground for a person (`ercot-arb fake enphase`). */
import type { CliContext } from '../context.js';
import { InputError } from '../../domain/errors.js';
import { startFakeEnphase } from '../../adapters/fakes/enphase/server.js';

function num(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InputError(`--${name} must be a non-negative number`, { field: name });
  return n;
}

export async function runFakeEnphase(ctx: CliContext, o: { port: string; host: string; perMinute?: string; perMonth?: string; lateHours?: string; releaseAfter: string; messyModes?: boolean; socStrings?: boolean; refreshGrace: string }): Promise<void> {
  const fake = await startFakeEnphase({
    host: o.host, port: num(o.port, 'port'), perMinuteLimit: num(o.perMinute, 'per-minute'), perMonthLimit: num(o.perMonth, 'per-month'),
    modeSpellings: o.messyModes ? 'messy' : 'spec', socAsString: Boolean(o.socStrings), oauth: { refreshGraceMs: (num(o.refreshGrace, 'refresh-grace') ?? 0) * 1000 },
  });
  let timer: NodeJS.Timeout | undefined;
  const late = num(o.lateHours, 'late-hours');
  if (late) {
    fake.hide(Date.now() - late * 3_600_000, Infinity);
    timer = setTimeout(() => {
      fake.reveal();
      ctx.stderr.write('fake enphase: held-back telemetry released\n');
    }, (num(o.releaseAfter, 'release-after') ?? 120) * 1000);
  }
  ctx.stdout.write([
    `fake Enphase API on ${fake.url} (systems 1001 with a battery, 1002 without)`,
    'use it with:',
    `  export ENPHASE_API_BASE_URL=${fake.url} ENPHASE_CLIENT_ID=${fake.oauth.opts.clientId} ENPHASE_CLIENT_SECRET=${fake.oauth.opts.clientSecret} ENPHASE_API_KEY=${fake.apiKey}`,
    '  export ENPHASE_REDIRECT_URI=http://127.0.0.1:8787/enphase/callback ERCOT_ARB_SECRET_KEY=demo-only',
    '  npx ercot-arb enphase connect --listen   # then open the printed URL: the fake approves at once',
    'Ctrl-C to stop',
    '',
  ].join('\n'));
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  if (timer) clearTimeout(timer);
  await fake.close();
}
