/**
 * Configuration from the environment, validated once with zod and frozen. Nothing else reads process.env.
 * Sections belong to their areas (database, ERCOT, Enphase, control, scheduler); secrets are kept here only in
 * memory and never logged (see REDACT_PATHS in logger.ts).
 */
import { z } from 'zod';
import { InvalidConfig } from '../domain/errors.js';

const optionalText = z.string().trim().min(1).optional();
const optionalUrl = z.url().optional();

export const configSchema = z.object({
  /** PostgreSQL connection string; when absent the embedded PGlite store in dataDir is used. */
  DATABASE_URL: optionalText,
  /**
   * PostgreSQL: statements that repeat run as prepared statements, parsed and planned once per connection
   * ("true"/"false"). Turn off behind a pooler that cannot keep them (PgBouncer in transaction mode before 1.21).
   */
  DATABASE_PREPARED_STATEMENTS: z.enum(['true', 'false', '1', '0']).default('true').transform((v) => v === 'true' || v === '1'),
  /** Where the embedded store and other local state live. */
  ERCOT_ARB_DATA_DIR: z.string().default('./data'),
  /** Key for encrypting credentials at rest (any string; a 32-byte key is derived from it). */
  ERCOT_ARB_SECRET_KEY: optionalText,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  ERCOT_API_BASE_URL: z.url().default('https://api.ercot.com/api/public-reports'),
  ERCOT_TOKEN_URL: z
    .url()
    .default('https://ercotb2c.b2clogin.com/ercotb2c.onmicrosoft.com/B2C_1_PUBAPI-ROPC-FLOW/oauth2/v2.0/token'),
  ERCOT_API_USERNAME: optionalText,
  ERCOT_API_PASSWORD: optionalText,
  ERCOT_API_SUBSCRIPTION_KEY: optionalText,
  /** Comma-separated settlement points to ingest. */
  ERCOT_SETTLEMENT_POINTS: z.string().default('HB_HOUSTON,HB_NORTH,HB_SOUTH,HB_WEST'),
  /** Ingest SCED 5-minute LMPs (NP6-788-CD) every 5 minutes: "true"/"false". */
  ERCOT_SCED_ENABLED: z.enum(['true', 'false', '1', '0']).default('false').transform((v) => v === 'true' || v === '1'),
  /** Ingest ERCOT's load/wind/solar system forecasts (NP3-565-CD, NP4-732-CD, NP4-745-CD) every hour: "true"/"false". */
  ERCOT_SYSTEM_FORECASTS_ENABLED: z.enum(['true', 'false', '1', '0']).default('true').transform((v) => v === 'true' || v === '1'),
  /** First delivery date the query endpoints hold; older dates are fetched from the archive. */
  ERCOT_QUERY_API_FROM_DATE: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).default('2023-12-11'),
  /** Hours of real-time prices re-read on every 15-minute run (corrections, late postings). */
  ERCOT_RT_TRAILING_HOURS: z.coerce.number().positive().max(72).default(3),
  /** Rows per page requested from the ERCOT API. */
  ERCOT_PAGE_SIZE: z.coerce.number().int().positive().default(10_000),
  /** Per-request timeout (ms) for ERCOT calls. */
  ERCOT_REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  /** Scheduler: missed runs newer than this many hours are caught up at start. */
  SCHEDULER_CATCH_UP_HOURS: z.coerce.number().nonnegative().max(168).default(6),

  ENPHASE_API_BASE_URL: z.url().default('https://api.enphaseenergy.com'),
  ENPHASE_CLIENT_ID: optionalText,
  ENPHASE_CLIENT_SECRET: optionalText,
  ENPHASE_API_KEY: optionalText,
  ENPHASE_REDIRECT_URI: optionalUrl,
  /** Name of the Enphase account (one OAuth grant) that `enphase connect` stores and the pollers use. */
  ENPHASE_ACCOUNT: z.string().trim().min(1).default('default'),
  /** Where the API key goes on each call: `query` (?key=, Enphase's docs) or `header` (key:, the OpenAPI file). */
  ENPHASE_API_KEY_IN: z.enum(['query', 'header']).default('query'),
  /** The plan's limits (the free plan: 10 per minute, 1,000 per month); the budget never exceeds them. */
  ENPHASE_CALLS_PER_MINUTE: z.coerce.number().int().positive().default(10),
  ENPHASE_CALLS_PER_MONTH: z.coerce.number().int().positive().default(1000),
  /** Telemetry poll period and the trailing window re-read on every poll (late and still-filling intervals). */
  ENPHASE_POLL_MINUTES: z.coerce.number().int().positive().default(15),
  ENPHASE_TRAILING_WINDOW_MINUTES: z.coerce.number().int().nonnegative().default(120),
  /** battery_settings / storm_guard / grid_status are re-read when older than this. */
  ENPHASE_SETTINGS_TTL_MINUTES: z.coerce.number().int().nonnegative().default(15),
  /** How far back the backfill walks gaps, and how many requests one backfill run may spend. */
  ENPHASE_BACKFILL_DAYS: z.coerce.number().int().positive().max(730).default(7),
  ENPHASE_BACKFILL_MAX_REQUESTS: z.coerce.number().int().positive().default(12),
  /** SoC older than this is stale (never presented as "now"). */
  ENPHASE_SOC_STALE_MINUTES: z.coerce.number().int().positive().default(30),
  /** Settlement point given to sites created by `sites sync` (change per site later). */
  ENPHASE_DEFAULT_SETTLEMENT_POINT: z.string().trim().min(1).default('HB_HOUSTON'),

  /** Daemon (`run`): HTTP port for /livez, /readyz, /metrics (0 = any free port, printed at start). */
  ERCOT_ARB_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** Daemon: address the HTTP server binds to. */
  ERCOT_ARB_HTTP_HOST: z.string().trim().min(1).default('127.0.0.1'),
  /** Daemon: how long SIGTERM/SIGINT waits for the running job step before abandoning it (seconds). */
  ERCOT_ARB_SHUTDOWN_GRACE_SECONDS: z.coerce.number().positive().max(600).default(30),
  /** Reconciler: hours of intervals re-reconciled on every run (late telemetry arrives hours late, in batches). */
  RECONCILE_LOOKBACK_HOURS: z.coerce.number().positive().max(24 * 31).default(48),
  /** Reconciler: days of telemetry and commands the per-site calibration is estimated from. */
  RECONCILE_CALIBRATION_DAYS: z.coerce.number().int().positive().max(365).default(14),
  /** Dispatcher (docs/dispatch.md): least time between sending a command and its start (seconds; never below 60 nor a channel's own minimum). */
  DISPATCH_LEAD_SECONDS: z.coerce.number().int().min(60).max(3_600).default(60),
  /** Dispatcher: a change of what is on a channel must be worth at least this many dollars (no churn for cents). */
  DISPATCH_CHURN_THRESHOLD_USD: z.coerce.number().nonnegative().max(1_000).default(0.25),
  /** Dispatcher: telemetry older than this is not trusted; the site stands aside (minutes). */
  DISPATCH_MAX_TELEMETRY_AGE_MINUTES: z.coerce.number().int().positive().max(24 * 60).default(180),
  /** Control channels (docs/control-channels.md): the Enphase VPP (grid services) API account and program. */
  ENPHASE_VPP_BASE_URL: z.url().default('https://vpp.enphaseenergy.com'),
  ENPHASE_VPP_PROGRAM_ID: optionalText,
  ENPHASE_VPP_API_KEY: optionalText,
  ENPHASE_VPP_CLIENT_ID: optionalText,
  ENPHASE_VPP_CLIENT_SECRET: optionalText,
  /** Texture's command API key, and the webhook destination's signing secret. */
  TEXTURE_API_BASE_URL: z.url().default('https://api.texturehq.com'),
  TEXTURE_API_KEY: optionalText,
  TEXTURE_WEBHOOK_SECRET: optionalText,

  /** Review web application (docs/web.md): the trader secret as a scrypt hash (`serve --hash-password`), or in clear (hashed at start). */
  ERCOT_ARB_WEB_PASSWORD_HASH: optionalText,
  ERCOT_ARB_WEB_PASSWORD: optionalText,
  /** "true": read-only pages open without logging in (actions always need a session). */
  ERCOT_ARB_WEB_PUBLIC_READ: z.enum(['true', 'false', '1', '0']).default('false').transform((v) => v === 'true' || v === '1'),
  /** "false" drops the Secure cookie flag (only for plain http beyond loopback, e.g. behind a TLS proxy that rewrites). */
  ERCOT_ARB_WEB_SECURE_COOKIES: z.enum(['true', 'false', '1', '0']).default('true').transform((v) => v === 'true' || v === '1'),
});

export type Config = Readonly<z.infer<typeof configSchema>>;

let cached: Config | undefined;

/** Parses the environment once; a bad value is an InvalidConfig naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidConfig(`environment variable ${String(issue.path[0])}: ${issue.message}`, { field: String(issue.path[0]) });
  }
  return Object.freeze(parsed.data);
}

export function config(): Config {
  cached ??= loadConfig();
  return cached;
}
