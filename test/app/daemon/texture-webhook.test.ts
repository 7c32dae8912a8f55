/**
 * Texture webhooks mounted on the daemon's HTTP server: a signed delivery about one of our commands triggers the
 * status refresh of that command's site; unsigned deliveries are refused; a replayed key is answered but not acted on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatorChannel } from '../../../src/adapters/control/simulator.js';
import { signTextureBody } from '../../../src/adapters/control/texture-webhook.js';
import { Daemon } from '../../../src/app/daemon/daemon.js';
import { mountTextureWebhook, TEXTURE_WEBHOOK_PATH } from '../../../src/app/daemon/texture-webhook-route.js';
import { silentLogger } from '../../../src/app/logger.js';
import { FixedClock } from '../../../src/domain/time/clock.js';
import { insertCommand, transitionCommand } from '../../../src/store/commands-repo.js';
import type { Site } from '../../../src/store/sites-repo.js';
import { upsertSite } from '../../../src/store/sites-repo.js';
import { backends, type TestDatabase } from '../../store/harness.js';
import { testSite } from '../../store/fixtures.js';

const SECRET = 'whsec-test';

describe.each(backends())('Texture webhook route on $name', (backend) => {
  let opened: TestDatabase;
  let daemon: Daemon;
  let url = '';
  const clock = new FixedClock(Date.parse('2026-07-01T23:50:00Z'));
  const refreshed: string[] = [];
  let onRefresh: () => void = () => undefined;

  beforeAll(async () => {
    opened = await backend.open();
    await upsertSite(opened.db, testSite('T1', { controlChannel: 'texture', controlSettings: null }));
    const { command } = await insertCommand(opened.db, { siteId: 'T1', idempotencyKey: 'k-tx', channel: 'texture', mode: 'charge', windowStartMs: clock.nowMs(), windowEndMs: clock.nowMs() + 900_000 });
    await transitionCommand(opened.db, command.commandId, 'sending', { atMs: clock.nowMs() - 60_000, externalId: 'tx-1' });
    const channel = createSimulatorChannel({ clock, batteryFor: () => testSite('T1').battery });
    daemon = new Daemon({ db: opened.db, schema: opened.schema, clock, logger: silentLogger(), jobs: [] });
    mountTextureWebhook(daemon.http, {
      db: opened.db, clock, logger: silentLogger(), secret: SECRET,
      channelFor: (site: Site) => {
        refreshed.push(site.siteId);
        onRefresh();
        return channel;
      },
    });
    url = `http://127.0.0.1:${await daemon.listen(0)}${TEXTURE_WEBHOOK_PATH}`;
  });
  afterAll(async () => {
    await daemon.shutdown();
    await opened.dispose();
  });

  const delivery = (key: string, commandId: string) => JSON.stringify({ key, type: 'command.succeeded', createdAt: new Date(clock.nowMs()).toISOString(), data: { command: { id: commandId, status: 'success', deviceId: 'dev-1' } } });
  const post = (body: string, headers: Record<string, string> = { 'texture-signature': signTextureBody(SECRET, body), 'texture-timestamp': String(Math.floor(clock.nowMs() / 1000)) }) =>
    fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

  it('a signed delivery about our command refreshes its site; unsigned is 401; a replay is answered, not acted on', async () => {
    const done = new Promise<void>((r) => (onRefresh = r));
    const body = delivery('evt-1', 'tx-1');
    const res = await post(body);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    await done;
    expect(refreshed).toEqual(['T1']);
    const replay = await post(body);
    expect(await replay.json()).toEqual({ ok: true, duplicate: true });
    const unsigned = await post(delivery('evt-2', 'tx-1'), { 'texture-timestamp': String(Math.floor(clock.nowMs() / 1000)) });
    expect(unsigned.status).toBe(401);
    const forged = await post(delivery('evt-3', 'tx-1'), { 'texture-signature': signTextureBody('other', delivery('evt-3', 'tx-1')), 'texture-timestamp': String(Math.floor(clock.nowMs() / 1000)) });
    expect(forged.status).toBe(401);
    // A command we never sent: answered 200 (Texture must not retry), nothing refreshed.
    expect((await post(delivery('evt-4', 'someone-elses'))).status).toBe(200);
    expect((await fetch(url)).status).toBe(405);
    expect(refreshed).toEqual(['T1']);
  });
});
