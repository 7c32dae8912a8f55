/**
 * Wiring for one Enphase account: its OAuth config, token source, call budget and API client, all from Config.
 * The CLI, the pollers and the tests build clients here, so every call gets the key, the lock-protected token and
 * the budget.
 */
import type { Dispatcher } from 'undici';
import { EnphaseClient, type CallBudget, type EnphaseClientOptions, type Sleep } from '../../adapters/enphase/client.js';
import type { OAuthClientConfig } from '../../adapters/enphase/oauth.js';
import { InvalidConfig } from '../../domain/errors.js';
import type { Clock } from '../../domain/time/clock.js';
import type { Executor } from '../../store/database.js';
import type { SecretBox } from '../../store/secret-box.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { AccountBudget, type BudgetLimits } from '../telemetry/budget.js';
import { AccountTokens, type AccountTokensOptions } from './tokens.js';

/** The Enphase part of Config (tests build it directly). */
export type EnphaseSettings = Pick<Config,
  'ENPHASE_API_BASE_URL' | 'ENPHASE_CLIENT_ID' | 'ENPHASE_CLIENT_SECRET' | 'ENPHASE_API_KEY' | 'ENPHASE_REDIRECT_URI' | 'ENPHASE_ACCOUNT' |
  'ENPHASE_API_KEY_IN' | 'ENPHASE_CALLS_PER_MINUTE' | 'ENPHASE_CALLS_PER_MONTH' | 'ENPHASE_POLL_MINUTES' | 'ENPHASE_TRAILING_WINDOW_MINUTES' |
  'ENPHASE_SETTINGS_TTL_MINUTES' | 'ENPHASE_BACKFILL_DAYS' | 'ENPHASE_BACKFILL_MAX_REQUESTS' | 'ENPHASE_SOC_STALE_MINUTES' | 'ENPHASE_DEFAULT_SETTLEMENT_POINT'>;

export const DEFAULT_REDIRECT_URI = 'http://127.0.0.1:8787/enphase/callback';

function required(value: string | undefined, name: string): string {
  if (!value) throw new InvalidConfig(`${name} must be set for Enphase`, { field: name });
  return value;
}

export function oauthConfig(s: EnphaseSettings, dispatcher?: Dispatcher): OAuthClientConfig {
  return {
    baseUrl: s.ENPHASE_API_BASE_URL,
    clientId: required(s.ENPHASE_CLIENT_ID, 'ENPHASE_CLIENT_ID'),
    clientSecret: required(s.ENPHASE_CLIENT_SECRET, 'ENPHASE_CLIENT_SECRET'),
    redirectUri: s.ENPHASE_REDIRECT_URI ?? DEFAULT_REDIRECT_URI,
    dispatcher,
  };
}

export function budgetLimits(s: EnphaseSettings): BudgetLimits {
  return { perMinute: s.ENPHASE_CALLS_PER_MINUTE, perMonth: s.ENPHASE_CALLS_PER_MONTH };
}

export interface AccountDeps {
  db: Executor;
  box: SecretBox;
  settings: EnphaseSettings;
  clock: Clock;
  accountKey?: string;
  sleep?: Sleep;
  logger?: Logger;
  dispatcher?: Dispatcher;
  tokenHooks?: Pick<AccountTokensOptions, 'afterRefreshBeforeStore' | 'refreshMarginMs'>;
  /** Called after every API request (the daemon's request/throttle metrics). */
  onRequest?: (info: { method: string; path: string; status: number }) => void;
  /** The budget the client spends (default the account's own, call by call or per site); e.g. a BlockBudget around it. */
  wrapBudget?: (budget: AccountBudget) => CallBudget;
  /** How long a 429 may be waited out and how often a 5xx is retried (the client's defaults: 90 s, 2). */
  patience?: Pick<EnphaseClientOptions, 'maxThrottleWaitMs' | 'maxRetries'>;
}

export interface EnphaseAccount {
  accountKey: string;
  client: EnphaseClient;
  tokens: AccountTokens;
  budget: AccountBudget;
}

export function openAccount(deps: AccountDeps): EnphaseAccount {
  const accountKey = deps.accountKey ?? deps.settings.ENPHASE_ACCOUNT;
  const tokens = new AccountTokens({ db: deps.db, box: deps.box, oauth: oauthConfig(deps.settings, deps.dispatcher), clock: deps.clock, accountKey, logger: deps.logger, ...deps.tokenHooks });
  const budget = new AccountBudget(deps.db, accountKey, budgetLimits(deps.settings));
  const client = new EnphaseClient({
    baseUrl: deps.settings.ENPHASE_API_BASE_URL, apiKey: required(deps.settings.ENPHASE_API_KEY, 'ENPHASE_API_KEY'), tokens, clock: deps.clock,
    sleep: deps.sleep, budget: deps.wrapBudget?.(budget) ?? budget, apiKeyIn: deps.settings.ENPHASE_API_KEY_IN, dispatcher: deps.dispatcher, onRequest: deps.onRequest, ...deps.patience,
  });
  return { accountKey, client, tokens, budget };
}
