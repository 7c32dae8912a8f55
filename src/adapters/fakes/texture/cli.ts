/** Runs the fake Texture server in the foreground for a person (`ercot-arb fake texture`), on the real clock. */
import type { CliContext } from '../../../cli/context.js';
import { InputError } from '../../../domain/errors.js';
import { waitForSignal } from '../control/wait.js';
import { startFakeTexture } from './server.js';

export async function runFakeTexture(ctx: CliContext, o: { port: string; host: string; devices: string; webhookUrl?: string; webhookSecret?: string }): Promise<void> {
  const port = Number(o.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new InputError('--port must be 0-65535', { field: 'port' });
  const devices = o.devices.split(',').map((d) => d.trim()).filter(Boolean);
  if (devices.length === 0) throw new InputError('--devices must name at least one device id', { field: 'devices' });
  if (o.webhookUrl && !o.webhookSecret) throw new InputError('--webhook-url needs --webhook-secret (deliveries are signed)', { field: 'webhook-secret' });
  const fake = await startFakeTexture({
    host: o.host, port, devices: devices.map((deviceId) => ({ deviceId, initialSocPercent: 50 })),
    webhook: o.webhookUrl ? { url: o.webhookUrl, secret: o.webhookSecret! } : undefined,
  });
  // Commands take effect a minute after they are sent: apply them (and send their webhooks) as real time passes.
  const timer = setInterval(() => void fake.advanceTo(Date.now()).catch((e: unknown) => ctx.stderr.write(`fake texture: webhook delivery failed: ${String(e)}\n`)), 5_000);
  ctx.stdout.write([
    `fake Texture API on ${fake.url} (devices ${devices.join(', ')}${o.webhookUrl ? `; webhooks to ${o.webhookUrl}` : ''})`,
    'use it with:',
    `  export TEXTURE_API_BASE_URL=${fake.url} TEXTURE_API_KEY=${fake.apiKey}${o.webhookSecret ? ` TEXTURE_WEBHOOK_SECRET=${o.webhookSecret}` : ''}`,
    'Ctrl-C to stop',
    '',
  ].join('\n'));
  await waitForSignal();
  clearInterval(timer);
  await fake.close();
}
