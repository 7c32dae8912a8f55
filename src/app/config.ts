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

  ENPHASE_API_BASE_URL: z.url().default('https://api.enphaseenergy.com'),
  ENPHASE_CLIENT_ID: optionalText,
  ENPHASE_CLIENT_SECRET: optionalText,
  ENPHASE_API_KEY: optionalText,
  ENPHASE_REDIRECT_URI: optionalUrl,
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
