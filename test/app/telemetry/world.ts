/**
 * A test world: the fake Enphase server on loopback, a freshly migrated database (PGlite in memory, PostgreSQL too
 * when DATABASE_URL is set), a connected account and a fixed clock that the client's sleep advances.
 */
import { openAccount, type EnphaseAccount, type EnphaseSettings } from '../../../src/app/enphase/account.js';
import { connectAccount } from '../../../src/app/enphase/connect.js';
import { oauthConfig } from '../../../src/app/enphase/account.js';
import { syncSites } from '../../../src/app/enphase/sites-sync.js';
import type { TelemetryRunContext } from '../../../src/app/telemetry/poller.js';
import { startFakeEnphase, type FakeEnphase, type FakeEnphaseOptions } from '../../../src/adapters/fakes/enphase/server.js';
import { FixedClock } from '../../../src/domain/time/clock.js';
import { createSecretBox, type SecretBox } from '../../../src/store/secret-box.js';
import type { Backend, TestDatabase } from '../../store/harness.js';
import type { AccountTokensOptions } from '../../../src/app/enphase/tokens.js';

export const T0 = Date.UTC(2024, 6, 15, 17, 0, 0); // 2024-07-15 12:00 CDT, on a 15-minute boundary
export const ACCOUNT = 'acct';

export interface World {
  fake: FakeEnphase;
  db: TestDatabase;
  clock: FixedClock;
  box: SecretBox;
  settings: EnphaseSettings;
  account: EnphaseAccount;
  sleeps: number[];
  ctx(overrides?: Partial<TelemetryRunContext['settings']>): TelemetryRunContext;
  /** Another account object (as another process would have); `db` defaults to the world's database. */
  openAccount(hooks?: Pick<AccountTokensOptions, 'afterRefreshBeforeStore'>, db?: TestDatabase['db']): EnphaseAccount;
  close(): Promise<void>;
}

export function settingsFor(fake: FakeEnphase, patch: Partial<EnphaseSettings> = {}): EnphaseSettings {
  return {
    ENPHASE_API_BASE_URL: fake.url, ENPHASE_CLIENT_ID: 'fake-client', ENPHASE_CLIENT_SECRET: 'fake-secret', ENPHASE_API_KEY: fake.apiKey,
    ENPHASE_REDIRECT_URI: 'http://127.0.0.1:9/cb', ENPHASE_ACCOUNT: ACCOUNT, ENPHASE_API_KEY_IN: 'query', ENPHASE_CALLS_PER_MINUTE: 1000,
    ENPHASE_CALLS_PER_MONTH: 100_000, ENPHASE_POLL_MINUTES: 15, ENPHASE_TRAILING_WINDOW_MINUTES: 120, ENPHASE_SETTINGS_TTL_MINUTES: 15,
    ENPHASE_BACKFILL_DAYS: 7, ENPHASE_BACKFILL_MAX_REQUESTS: 20, ENPHASE_SOC_STALE_MINUTES: 30, ENPHASE_DEFAULT_SETTLEMENT_POINT: 'HB_HOUSTON',
    ...patch,
  };
}

export async function makeWorld(backend: Backend, opts: { fake?: FakeEnphaseOptions; settings?: Partial<EnphaseSettings>; sync?: boolean } = {}): Promise<World> {
  const clock = new FixedClock(opts.fake?.clock?.nowMs() ?? T0);
  const fake = await startFakeEnphase({ clock, ...opts.fake });
  const db = await backend.open();
  const box = createSecretBox('test secret key');
  const settings = settingsFor(fake, opts.settings);
  const sleeps: number[] = [];
  await connectAccount({ db: db.db, box, oauth: oauthConfig(settings), clock, accountKey: ACCOUNT, code: fake.oauth.issueCode() });
  const open = (hooks?: Pick<AccountTokensOptions, 'afterRefreshBeforeStore'>, other = db.db) =>
    openAccount({ db: other, box, settings, clock, sleep: async (ms) => { sleeps.push(ms); clock.advance(ms); }, tokenHooks: hooks });
  const account = open();
  if (opts.sync !== false) await syncSites({ db: db.db, box, client: account.client, clock, accountKey: ACCOUNT, defaultSettlementPoint: 'HB_HOUSTON' });
  return {
    fake, db, clock, box, settings, account, sleeps,
    openAccount: open,
    ctx: (overrides = {}) => ({
      db: db.db, client: account.client, clock, accountKey: ACCOUNT,
      settings: { trailingWindowMs: settings.ENPHASE_TRAILING_WINDOW_MINUTES * 60_000, settingsTtlMs: settings.ENPHASE_SETTINGS_TTL_MINUTES * 60_000, backfillDays: settings.ENPHASE_BACKFILL_DAYS, backfillMaxRequests: settings.ENPHASE_BACKFILL_MAX_REQUESTS, ...overrides },
    }),
    close: async () => {
      await fake.close();
      await db.dispose();
    },
  };
}
