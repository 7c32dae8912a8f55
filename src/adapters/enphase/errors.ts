/** Named failures of the Enphase API, each either retryable (later may work) or permanent (a person must act). */
import { PermanentError, RetryableError } from '../../domain/errors.js';

/** HTTP 429: the plan's per-minute or per-month quota is used up until `periodEndMs`. */
export class EnphaseThrottled extends RetryableError {
  constructor(readonly period: string, readonly periodEndMs: number, readonly limit?: number) {
    super(`Enphase API throttled (${period} quota${limit !== undefined ? ` of ${limit}` : ''}) until ${new Date(periodEndMs).toISOString()}`);
    this.name = 'EnphaseThrottled';
  }
}

/** Our own per-account budget says no more calls until `untilMs` (no request was sent). */
export class BudgetExhausted extends RetryableError {
  constructor(readonly period: 'minute' | 'month', readonly untilMs: number) {
    super(`Enphase call budget for this ${period} is used up until ${new Date(untilMs).toISOString()}`);
    this.name = 'BudgetExhausted';
  }
}

/** The refresh token was rejected (revoked, expired, already used): a person must run `enphase connect` again. */
export class ReauthRequired extends PermanentError {
  constructor(message = 'Enphase refused the refresh token; the account needs re-authorisation (run `ercot-arb enphase connect`)') {
    super(message);
    this.name = 'ReauthRequired';
  }
}

/** HTTP 422 from a battery endpoint: the system has no batteries ("System doesn't have encharges"). */
export class SiteWithoutBattery extends PermanentError {
  constructor(readonly systemId: number) {
    super(`Enphase system ${systemId} has no batteries`);
    this.name = 'SiteWithoutBattery';
  }
}

/** Any other 4xx: the request is wrong or not allowed; retrying will not help. */
export class EnphaseRequestRejected extends PermanentError {
  constructor(readonly status: number, readonly path: string, detail: string) {
    super(`Enphase rejected ${path}: HTTP ${status}${detail ? ` (${detail})` : ''}`);
    this.name = 'EnphaseRequestRejected';
  }
}

/** 5xx or a network failure after the client's own retries. */
export class EnphaseUnavailable extends RetryableError {
  constructor(readonly path: string, detail: string, options?: { cause?: unknown }) {
    super(`Enphase API unavailable for ${path}: ${detail}`, options);
    this.name = 'EnphaseUnavailable';
  }
}

/** A 200 whose body is not the documented shape at all (per-interval problems are quarantined instead). */
export class EnphaseBadResponse extends PermanentError {
  constructor(readonly path: string, detail: string) {
    super(`Enphase response from ${path} does not match the v4 schema: ${detail}`);
    this.name = 'EnphaseBadResponse';
  }
}
