/** Runs the fake ERCOT server for a person until Ctrl-C, printing where it listens and how to point the engine at it. */
import { InputError } from '../../domain/errors.js';
import type { CliContext } from '../context.js';
import { FakeErcotServer } from '../../adapters/fakes/ercot/server.js';

export async function runFakeErcot(
  ctx: CliContext,
  options: { port: string; data?: string; tokenLifetime: string; rateLimit: string; queryFrom?: string; forecastDays?: string },
  until: Promise<void> = new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  }),
): Promise<void> {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError(`--port must be 0–65535, got ${options.port}`);
  const fake = new FakeErcotServer({
    tokenLifetimeS: Number(options.tokenLifetime) || 3600,
    rateLimitPerMinute: Number(options.rateLimit) || undefined,
    queryFromDate: options.queryFrom,
  });
  if (options.data) {
    try {
      const skipped = (file: string, reason: string) => ctx.stderr.write(`skipped ${file}: ${reason}\n`);
      for (const f of fake.data.loadDirectory(options.data, skipped)) ctx.stderr.write(`loaded ${f.rows} ${f.product} rows from ${f.file}\n`);
    } catch (error) {
      throw new InputError(`--data ${options.data}: ${(error as Error).message}`);
    }
  }
  const forecastDays = Number(options.forecastDays ?? 0);
  if (!Number.isInteger(forecastDays) || forecastDays < 0 || forecastDays > 31) throw new InputError(`--forecast-days must be 0–31, got ${options.forecastDays}`);
  if (forecastDays > 0) {
    // hourly postings at :30 over the last days up to now, each covering the next 168 hours
    const now = Date.now();
    const last = Math.floor((now - 30 * 60_000) / 3_600_000) * 3_600_000 + 30 * 60_000;
    const rows = fake.forecasts.generate({ firstPostedMs: last - forecastDays * 86_400_000, lastPostedMs: last });
    ctx.stderr.write(`generated ${rows} system forecast rows (NP3-565-CD, NP4-732-CD, NP4-745-CD) posted hourly over the last ${forecastDays} day(s)\n`);
  }
  await fake.start(port);
  const c = fake.credentials;
  ctx.stdout.write([
    `fake ERCOT listening on ${fake.origin}`,
    `  base URL:  ${fake.baseUrl}`,
    `  token URL: ${fake.tokenUrl}`,
    'point the engine at it with:',
    `  export ERCOT_API_BASE_URL=${fake.baseUrl}`,
    `  export ERCOT_TOKEN_URL=${fake.tokenUrl}`,
    `  export ERCOT_API_USERNAME=${c.username}`,
    `  export ERCOT_API_PASSWORD=${c.password}`,
    `  export ERCOT_API_SUBSCRIPTION_KEY=${c.subscriptionKey}`,
    '',
  ].join('\n'));
  await until;
  await fake.stop();
}
