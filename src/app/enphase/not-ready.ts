/**
 * An Enphase account that cannot be used right now for a reason a person must act on or wait out: not connected,
 * needing re-authorisation, or out of API calls. The commands report it as bad input (exit 2, one paragraph saying
 * what is wrong and what to do), never as an internal error and never as success.
 */
import { BudgetExhausted, EnphaseThrottled, ReauthRequired } from '../../adapters/enphase/errors.js';
import { InputError } from '../../domain/errors.js';
import type { Executor } from '../../store/database.js';
import { getAccount, type AccountInfo } from './tokens.js';

export type NotReadyReason = 'not_connected' | 'needs_reauth' | 'budget_used';

export class EnphaseAccountNotReady extends InputError {
  constructor(readonly accountKey: string, readonly reason: NotReadyReason, message: string, details: string[] = []) {
    super(message, {}, details);
    this.name = 'EnphaseAccountNotReady';
  }
}

const connectHint = (accountKey: string) => `run \`ercot-arb enphase connect${accountKey === 'default' ? '' : ` --account ${accountKey}`}\``;

export function notConnected(accountKey: string): EnphaseAccountNotReady {
  return new EnphaseAccountNotReady(accountKey, 'not_connected', `no Enphase account "${accountKey}" is connected (${connectHint(accountKey)})`);
}

/** No account at all (commands that act on every connected account). */
export function noAccountConnected(accountKey: string): EnphaseAccountNotReady {
  return new EnphaseAccountNotReady(accountKey, 'not_connected', `no Enphase account is connected (${connectHint(accountKey)})`);
}

function needsReauth(accountKey: string, why: string): EnphaseAccountNotReady {
  return new EnphaseAccountNotReady(accountKey, 'needs_reauth', `Enphase account "${accountKey}" needs re-authorisation (${why}); nothing was sent (${connectHint(accountKey)})`);
}

function budgetUsed(accountKey: string, why: string): EnphaseAccountNotReady {
  return new EnphaseAccountNotReady(accountKey, 'budget_used',
    `Enphase account "${accountKey}": ${why}; nothing more was sent (try again after that time, or raise ENPHASE_CALLS_PER_MINUTE / ENPHASE_CALLS_PER_MONTH if the plan allows)`);
}

/** Refuses before any API call when the account is not connected or needs re-authorisation. */
export async function requireUsableAccount(db: Executor, accountKey: string): Promise<AccountInfo> {
  const account = await getAccount(db, accountKey);
  if (!account) throw notConnected(accountKey);
  if (account.status === 'needs_reauth') throw needsReauth(accountKey, account.reauthReason ?? 'refresh token refused');
  return account;
}

/** The EnphaseAccountNotReady a failure amounts to, or undefined for other failures. */
export function asNotReady(error: unknown, accountKey: string): EnphaseAccountNotReady | undefined {
  if (error instanceof EnphaseAccountNotReady) return error;
  if (error instanceof ReauthRequired) {
    return new EnphaseAccountNotReady(accountKey, 'needs_reauth', /enphase connect/.test(error.message) ? error.message : `${error.message} (${connectHint(accountKey)})`);
  }
  if (error instanceof BudgetExhausted || error instanceof EnphaseThrottled) return budgetUsed(accountKey, error.message);
  return undefined;
}

/** The reason a telemetry run stopped for the whole account, as an error to report (undefined: it did not stop). */
export function stoppedRun(report: { accountKey: string; stopped?: string; stoppedReason?: NotReadyReason }): EnphaseAccountNotReady | undefined {
  if (!report.stopped) return undefined;
  const key = report.accountKey;
  switch (report.stoppedReason) {
    case 'not_connected': return notConnected(key);
    case 'budget_used': return budgetUsed(key, report.stopped);
    default: return new EnphaseAccountNotReady(key, 'needs_reauth', `Enphase account "${key}": ${report.stopped}`);
  }
}
