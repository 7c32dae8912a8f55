/**
 * The price-source port: market prices for delivery dates and settlement points. The ERCOT Public API client
 * (src/adapters/ercot/client.ts, `implements PriceSource<ErcotProduct>`) is the adapter; `Product` is the source's
 * own product descriptor. Pure types: no I/O here.
 */

export interface PriceSourceQuery {
  /** First delivery date (ERCOT local), YYYY-MM-DD. */
  fromDate: string;
  /** Last delivery date, inclusive. */
  toDate: string;
  settlementPoints: readonly string[];
  /** Ask for one settlement point type only (e.g. "LZ"). */
  settlementPointType?: string;
  /** Types dropped from the answer (e.g. "LZEW", so a load zone's two prices never collide). */
  excludeTypes?: readonly string[];
}

export interface SourcedPrice {
  /** The product the row belongs to (the source's id, e.g. "NP6-905-CD"). */
  product: string;
  settlementPoint: string;
  settlementPointType?: string;
  /** ERCOT delivery date (local), YYYY-MM-DD. */
  deliveryDate: string;
  /** UTC start of the priced period. */
  intervalStartMs: number;
  priceUsdPerMwh: number;
}

export interface PriceSource<Product> {
  fetchPrices(product: Product, query: PriceSourceQuery): Promise<SourcedPrice[]>;
}
