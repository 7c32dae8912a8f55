/**
 * VPP API access tokens: OAuth2 client credentials (POST /auth/oauth2/token?grant_type=client_credentials with
 * HTTP Basic clientId:clientSecret, form content type, Accept JSON), valid 3600 s. Unlike the v4 monitoring API
 * there is no refresh token to rotate or store: a new token is simply requested. The token is kept in memory and
 * renewed a minute before it expires, or at once when the API answered 401 with it (`forceRefresh`). It implements
 * the same AccessTokenSource interface the v4 client uses. Secrets never appear in errors.
 */
import type { Dispatcher } from 'undici';
import type { Clock } from '../../domain/time/clock.js';
import { ChannelError } from '../../domain/ports/control-channel.js';
import type { AccessTokenSource } from '../enphase/client.js';
import { channelRequest, type ChannelHttpOptions } from './http.js';
import { accessTokenSchema, VPP_PATHS } from './enphase-vpp-wire.js';

export interface VppCredentials {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
}

const RENEW_BEFORE_MS = 60_000;

export class VppTokenSource implements AccessTokenSource {
  private token?: { value: string; expiresAtMs: number };
  private pending?: Promise<string>;

  constructor(private readonly creds: VppCredentials, private readonly clock: Clock, private readonly http: ChannelHttpOptions & { dispatcher?: Dispatcher } = {}) {}

  async accessToken(options?: { forceRefresh?: boolean }): Promise<string> {
    if (!options?.forceRefresh && this.token && this.clock.nowMs() < this.token.expiresAtMs - RENEW_BEFORE_MS) return this.token.value;
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async fetchToken(): Promise<string> {
    const basic = Buffer.from(`${this.creds.clientId}:${this.creds.clientSecret}`).toString('base64');
    const { json } = await channelRequest({
      channel: 'enphase-vpp', method: 'POST', baseUrl: this.creds.baseUrl, path: VPP_PATHS.token, query: { grant_type: 'client_credentials' },
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, mutating: false,
    }, { ...this.http, onRequest: undefined }, this.clock);
    const parsed = accessTokenSchema.safeParse(json);
    if (!parsed.success) throw new ChannelError('transient', 'enphase-vpp: the token endpoint answered without an access_token');
    this.token = { value: parsed.data.access_token, expiresAtMs: this.clock.nowMs() + parsed.data.expires_in * 1000 };
    return this.token.value;
  }
}
