/**
 * ERCOT's public system forecasts the engine ingests (hourly, each row stamped with its posting time):
 *   NP3-565-CD  Seven-Day Load Forecast by Model and Weather Zone           /np3-565-cd/lf_by_model_weather_zone
 *   NP4-732-CD  Wind Power Production - Hourly Averaged Actual and Forecast /np4-732-cd/wpp_hrly_avrg_actl_fcast
 *   NP4-745-CD  Solar Power Production - Hourly Averaged Actual and Forecast by Geographical Region
 *                                                                           /np4-745-cd/spp_hrly_actual_fcast_geo
 * Paths and query parameters: ERCOT's OpenAPI spec (specs/ercot/, see specs/PROVENANCE.md). The spec leaves the
 * response's `fields` open; the wire field names below are the query parameters' stems (ERCOT names a report's
 * filters after its fields, as in every price report), checked against public clients of the live API.
 * The value stored per kind: load = `systemTotal` (and weather zones) of the model in use (`inUseFlag`), wind = STWPF
 * (short-term wind power forecast), solar = STPPF (short-term PV power forecast); system-wide region `SYSTEM`.
 */
export type ErcotForecastProductId = 'NP3-565-CD' | 'NP4-732-CD' | 'NP4-745-CD';
export type SystemForecastKindName = 'load' | 'wind' | 'solar';

export interface ErcotForecastProduct {
  id: ErcotForecastProductId;
  kind: SystemForecastKindName;
  title: string;
  path: string;
  /** Wire field names, in the order the fake serves them. */
  fields: readonly string[];
  /** Fields a response must carry (the rest are optional: regional values, actuals, flags). */
  required: readonly string[];
  /** Region name → the wire field holding this kind's forecast for it ('SYSTEM' = ERCOT-wide). */
  regions: Readonly<Record<string, string>>;
}

export const SYSTEM_REGION = 'SYSTEM';

const LOAD_ZONES: Record<string, string> = {
  SYSTEM: 'systemTotal', COAST: 'coast', EAST: 'east', FAR_WEST: 'farWest', NORTH: 'north', NORTH_CENTRAL: 'northCentral',
  SOUTH_CENTRAL: 'southCentral', SOUTHERN: 'southern', WEST: 'west',
};

export const LOAD_FORECAST: ErcotForecastProduct = {
  id: 'NP3-565-CD',
  kind: 'load',
  title: 'Seven-Day Load Forecast by Model and Weather Zone',
  path: '/np3-565-cd/lf_by_model_weather_zone',
  fields: ['postedDatetime', 'deliveryDate', 'hourEnding', 'coast', 'east', 'farWest', 'north', 'northCentral', 'southCentral', 'southern', 'west', 'systemTotal', 'model', 'inUseFlag', 'DSTFlag'],
  required: ['postedDatetime', 'deliveryDate', 'hourEnding', 'systemTotal', 'model', 'inUseFlag'],
  regions: LOAD_ZONES,
};

const WIND_REGIONS: Record<string, string> = {
  SYSTEM: 'STWPFSystemWide', LZ_SOUTH_HOUSTON: 'STWPFLoadZoneSouthHouston', LZ_WEST: 'STWPFLoadZoneWest', LZ_NORTH: 'STWPFLoadZoneNorth',
};

export const WIND_FORECAST: ErcotForecastProduct = {
  id: 'NP4-732-CD',
  kind: 'wind',
  title: 'Wind Power Production - Hourly Averaged Actual and Forecasted Values',
  path: '/np4-732-cd/wpp_hrly_avrg_actl_fcast',
  fields: [
    'postedDatetime', 'deliveryDate', 'hourEnding',
    'genSystemWide', 'COPHSLSystemWide', 'STWPFSystemWide', 'WGRPPSystemWide',
    ...['LoadZoneSouthHouston', 'LoadZoneWest', 'LoadZoneNorth'].flatMap((z) => [`gen${z}`, `COPHSL${z}`, `STWPF${z}`, `WGRPP${z}`]),
    'HSLSystemWide', 'DSTFlag',
  ],
  required: ['postedDatetime', 'deliveryDate', 'hourEnding', 'STWPFSystemWide'],
  regions: WIND_REGIONS,
};

const SOLAR_GEO = ['CenterWest', 'NorthWest', 'FarWest', 'FarEast', 'SouthEast', 'CenterEast'];
const SOLAR_REGIONS: Record<string, string> = {
  SYSTEM: 'STPPFSystemWide', CENTER_WEST: 'STPPFCenterWest', NORTH_WEST: 'STPPFNorthWest', FAR_WEST: 'STPPFFarWest',
  FAR_EAST: 'STPPFFarEast', SOUTH_EAST: 'STPPFSouthEast', CENTER_EAST: 'STPPFCenterEast',
};

export const SOLAR_FORECAST: ErcotForecastProduct = {
  id: 'NP4-745-CD',
  kind: 'solar',
  title: 'Solar Power Production - Hourly Averaged Actual and Forecasted Values by Geographical Region',
  path: '/np4-745-cd/spp_hrly_actual_fcast_geo',
  fields: [
    'postedDatetime', 'deliveryDate', 'hourEnding',
    'genSystemWide', 'COPHSLSystemWide', 'STPPFSystemWide', 'PVGRPPSystemWide',
    ...SOLAR_GEO.flatMap((g) => [`gen${g}`, `COPHSL${g}`, `STPPF${g}`, `PVGRPP${g}`]),
    'DSTFlag',
  ],
  required: ['postedDatetime', 'deliveryDate', 'hourEnding', 'STPPFSystemWide'],
  regions: SOLAR_REGIONS,
};

export const ERCOT_FORECAST_PRODUCTS: readonly ErcotForecastProduct[] = [LOAD_FORECAST, WIND_FORECAST, SOLAR_FORECAST];

export function forecastProductOfKind(kind: SystemForecastKindName): ErcotForecastProduct {
  return ERCOT_FORECAST_PRODUCTS.find((p) => p.kind === kind)!;
}

/** The client's typed result: one forecast value (MW) for one region and delivery hour, as published at `postedMs`. */
export interface ErcotSystemForecastRow {
  product: ErcotForecastProductId;
  kind: SystemForecastKindName;
  region: string;
  /** When ERCOT posted it (UTC ms; an ambiguous fall-back-hour posting time is read as the later instant). */
  postedMs: number;
  /** ERCOT delivery date (local), YYYY-MM-DD. */
  deliveryDate: string;
  /** UTC start of the delivery hour. */
  intervalStartMs: number;
  valueMw: number;
  /** Load only: the forecast model (the one in use). */
  model?: string;
}

/** What to ask for: postings in [postedFromMs, postedToMs] (and, optionally, delivery dates). */
export interface SystemForecastQuery {
  postedFromMs: number;
  postedToMs: number;
  deliveryDateFrom?: string;
  deliveryDateTo?: string;
}
