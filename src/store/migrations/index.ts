/**
 * Every migration, in order, imported statically so the same list works from source (vitest, tsx) and from the
 * compiled dist/ (no directory scanning, no file-extension guessing). Add a new migration file here and append it.
 * Names sort lexically: NNNN_description.
 */
import type { Migration } from 'kysely';
import * as m0001 from './0001_initial.js';
import * as m0002enphase from './0002_enphase_telemetry.js';
import * as m0003dispatch from './0003_dispatch.js';
import * as m0004reconcile from './0004_reconcile.js';
import * as m0006review from './0006_review_actions.js';
import * as m0007fleet from './0007_fleet.js';
import * as m0009forecasts from './0009_system_forecasts.js';
import * as m0010sessions from './0010_review_sessions.js';
import * as m0011planArrays from './0011_plan_interval_arrays.js';
import * as m0012telemetryHourly from './0012_telemetry_hourly.js';

export const MIGRATIONS: Readonly<Record<string, Migration>> = Object.freeze({
  '0001_initial': m0001,
  '0002_enphase_telemetry': m0002enphase,
  '0003_dispatch': m0003dispatch,
  '0004_reconcile': m0004reconcile,
  '0006_review_actions': m0006review,
  '0007_fleet': m0007fleet,
  '0009_system_forecasts': m0009forecasts,
  '0010_review_sessions': m0010sessions,
  '0011_plan_interval_arrays': m0011planArrays,
  '0012_telemetry_hourly': m0012telemetryHourly,
});
