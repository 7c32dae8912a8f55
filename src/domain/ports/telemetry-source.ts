/**
 * The telemetry-source port: a site's metered intervals (battery, consumption, production) from a start instant.
 * The Enphase Monitoring API client (src/adapters/enphase/client.ts, `implements TelemetrySource<WireTelemetry>`) is
 * the adapter; `Batch` is its wire answer, which the adapter's normaliser checks and turns into rows. Pure types.
 */

export interface TelemetrySource<Batch> {
  /** Intervals of one day from `startAtSec` (UTC epoch seconds) for the site's system `systemId`. */
  batteryTelemetry(systemId: number, startAtSec: number): Promise<Batch>;
  consumptionTelemetry(systemId: number, startAtSec: number): Promise<Batch>;
  productionTelemetry(systemId: number, startAtSec: number): Promise<Batch>;
}
