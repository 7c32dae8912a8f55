/**
 * Errors are values with names. Domain code throws these; only the edges (CLI, HTTP) map them to exit codes
 * or status codes. `InputError` and its subclasses mean "the user's input is wrong" (exit code 2, no stack trace);
 * anything else is an internal error (exit code 1).
 */

/** Where in the user's input a problem was found. Every field is optional; the message names what is known. */
export interface InputLocation {
  file?: string;
  line?: number;
  field?: string;
  /** An interval or instant, already formatted for people (ISO 8601 with offset). */
  interval?: string;
}

export class InputError extends Error {
  readonly location: InputLocation;
  /** Further problems found in the same input (the message already names the first). */
  readonly details: string[];
  constructor(message: string, location: InputLocation = {}, details: string[] = []) {
    super(formatInputMessage(message, location));
    this.name = 'InputError';
    this.location = location;
    this.details = details;
  }
}

export class InvalidScenario extends InputError {
  constructor(message: string, location: InputLocation = {}, details: string[] = []) {
    super(message, location, details);
    this.name = 'InvalidScenario';
  }
}

export class InvalidPriceData extends InputError {
  constructor(message: string, location: InputLocation = {}, details: string[] = []) {
    super(message, location, details);
    this.name = 'InvalidPriceData';
  }
}

export class InvalidConfig extends InputError {
  constructor(message: string, location: InputLocation = {}, details: string[] = []) {
    super(message, location, details);
    this.name = 'InvalidConfig';
  }
}

/** A plan whose inputs cannot be satisfied as given; the optimizer still returns a recovering plan with a status. */
export class InfeasiblePlan extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InfeasiblePlan';
  }
}

/** A solver returned a solution that does not satisfy the model: never to be used as a plan. */
export class UnverifiedSolution extends Error {
  readonly problems: string[];
  constructor(message: string, problems: string[]) {
    super(`${message}: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ''}`);
    this.name = 'UnverifiedSolution';
    this.problems = problems;
  }
}

export class StaleTelemetry extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StaleTelemetry';
  }
}

/** An external system failed in a way a later retry may fix (timeouts, 5xx, throttling). */
export class RetryableError extends Error {
  readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetryableError';
  }
}

/** An external system refused in a way retrying will not fix (bad credentials, revoked token, 4xx). */
export class PermanentError extends Error {
  readonly retryable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

export function formatInputMessage(message: string, location: InputLocation): string {
  const where: string[] = [];
  if (location.file) where.push(location.line !== undefined ? `${location.file}:${location.line}` : location.file);
  else if (location.line !== undefined) where.push(`line ${location.line}`);
  if (location.field) where.push(`field ${location.field}`);
  if (location.interval) where.push(`interval ${location.interval}`);
  return where.length ? `${where.join(', ')}: ${message}` : message;
}

/** A piece of the user's input for a message: quoted, control characters escaped, cut to `max` characters. */
export function quoteInput(text: string, max = 40): string {
  const escaped = JSON.stringify(text.length > max ? text.slice(0, max) : text);
  return text.length > max ? `${escaped.slice(0, -1)}…" (${text.length} characters)` : escaped;
}

export function isInputError(error: unknown): error is InputError {
  return error instanceof InputError;
}
