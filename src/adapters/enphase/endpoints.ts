/**
 * Every Enphase v4 path the client calls, with its method and the query parameters it sends. The client builds
 * its requests from this table and the spec-conformance test checks the table against the OpenAPI file.
 */
export interface EndpointDef {
  method: 'GET' | 'PUT' | 'POST';
  /** Path template as written in the spec, e.g. `/api/v4/systems/{system_id}/summary`. */
  path: string;
  query: readonly string[];
}

export const ENDPOINTS = {
  listSystems: { method: 'GET', path: '/api/v4/systems', query: ['page', 'size'] },
  summary: { method: 'GET', path: '/api/v4/systems/{system_id}/summary', query: [] },
  batteryTelemetry: { method: 'GET', path: '/api/v4/systems/{system_id}/telemetry/battery', query: ['start_at', 'granularity'] },
  consumptionTelemetry: { method: 'GET', path: '/api/v4/systems/{system_id}/telemetry/consumption_meter', query: ['start_at', 'granularity'] },
  productionTelemetry: { method: 'GET', path: '/api/v4/systems/{system_id}/telemetry/production_micro', query: ['start_at', 'granularity'] },
  batterySettings: { method: 'GET', path: '/api/v4/systems/config/{system_id}/battery_settings', query: [] },
  updateBatterySettings: { method: 'PUT', path: '/api/v4/systems/config/{system_id}/battery_settings', query: [] },
  stormGuard: { method: 'GET', path: '/api/v4/systems/config/{system_id}/storm_guard', query: [] },
  gridStatus: { method: 'GET', path: '/api/v4/systems/config/{system_id}/grid_status', query: [] },
} as const satisfies Record<string, EndpointDef>;

export type EndpointName = keyof typeof ENDPOINTS;

/** OAuth paths on the same host (not part of the monitoring spec). */
export const OAUTH_AUTHORIZE_PATH = '/oauth/authorize';
export const OAUTH_TOKEN_PATH = '/oauth/token';

export function fillPath(template: string, params: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`missing path parameter ${name}`);
    return encodeURIComponent(String(v));
  });
}
