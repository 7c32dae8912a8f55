/** The `serve` command: open the store, build the review app from the configuration, listen until SIGINT/SIGTERM. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CliContext } from '../context.js';
import { config } from '../../app/config.js';
import { InputError } from '../../domain/errors.js';
import { openStore } from '../../store/open.js';
import { createReviewApp } from '../../web/app.js';
import { hashSecret } from '../../web/auth.js';
import { reviewSecretHash } from '../../web/mount.js';

class ServeUsageError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'ServeUsageError';
  }
}

export async function runServe(ctx: CliContext, options: { port: string; host: string; hashPassword?: boolean; dataDir?: string }): Promise<void> {
  if (options.hashPassword) {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    const secret = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
    if (!secret) throw new ServeUsageError('give the password on stdin (e.g. `read -s P; printf %s "$P" | ercot-arb serve --hash-password`)');
    ctx.stdout.write(`${hashSecret(secret)}\n`);
    return;
  }
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ServeUsageError(`--port must be 0-65535 (got "${options.port}")`);
  const cfg = config();
  const secretHash = reviewSecretHash(cfg);
  const logger = ctx.logger();
  const store = await openStore(cfg, { dataDir: options.dataDir, logger });
  const handler = createReviewApp({ db: store.db, secretHash, publicRead: cfg.ERCOT_ARB_WEB_PUBLIC_READ, secureCookies: cfg.ERCOT_ARB_WEB_SECURE_COOKIES, logger });
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, options.host, resolve);
  });
  const addr = server.address() as AddressInfo;
  ctx.stdout.write(`review pages on http://${addr.address}:${addr.port}/ (${store.location})${secretHash ? '' : ' — no trader password configured: actions are impossible'}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => void server.close(() => resolve());
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await store.close();
}
