/**
 * pino logger: human-readable (pino-pretty) when a person runs the CLI on a terminal, JSON lines otherwise.
 * Logs go to stderr so that stdout carries only reports and JSON. Secrets are redacted by path.
 */
import { createRequire } from 'node:module';
import type Pino from 'pino';
import type { DestinationStream, Logger } from 'pino';

export type { Logger };

// pino is CommonJS: required on first use, so that `--help` never loads it (the bundled CLI would otherwise load every
// package it statically imports at start, scripts/bundle-cli.mjs).
const require = createRequire(import.meta.url);
let pinoModule: typeof Pino | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pino = (): typeof Pino => (pinoModule ??= require('pino') as typeof Pino);

/** Paths pino replaces with "[redacted]" wherever they appear in a log object. */
export const REDACT_PATHS = [
  'password', '*.password', 'token', '*.token', 'accessToken', '*.accessToken', 'refreshToken', '*.refreshToken',
  'access_token', '*.access_token', 'refresh_token', '*.refresh_token', 'id_token', '*.id_token',
  'apiKey', '*.apiKey', 'subscriptionKey', '*.subscriptionKey', 'clientSecret', '*.clientSecret', 'client_secret',
  '*.client_secret', 'authorization', '*.authorization', 'headers.authorization', 'headers["ocp-apim-subscription-key"]',
  'headers["texture-api-key"]', 'secretKey', '*.secretKey', 'databaseUrl', '*.databaseUrl',
  'webhookSecret', '*.webhookSecret', 'headers["x-api-key"]', 'headers["texture-signature"]',
];

export interface LoggerOptions {
  level?: string;
  /** Force pretty (true) or JSON (false); default: pretty when stderr is a TTY. */
  pretty?: boolean;
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  const pretty = options.pretty ?? Boolean(process.stderr.isTTY);
  const base = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (options.destination) return pino()(base, options.destination as DestinationStream);
  if (pretty) {
    return pino()({
      ...base,
      transport: { target: 'pino-pretty', options: { destination: 2, colorize: true, translateTime: 'SYS:standard', ignore: 'pid,hostname' } },
    });
  }
  return pino()(base, pino().destination(2));
}

/** A logger that drops everything: for tests and library use. */
export function silentLogger(): Logger {
  return pino()({ level: 'silent' });
}
