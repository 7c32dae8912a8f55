/** Runs the fake ERCOT server for a person until Ctrl-C, printing where it listens and how to point the engine at it. */
import { InputError } from '../../../domain/errors.js';
import type { CliContext } from '../../../cli/context.js';
import { FakeErcotServer } from './server.js';

export async function runFakeErcot(
  ctx: CliContext,
  options: { port: string; data?: string; tokenLifetime: string; rateLimit: string; queryFrom?: string },
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
