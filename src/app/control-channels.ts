/**
 * The account-level part of each control channel's config, from the environment (src/app/config.ts): credentials
 * and endpoints. Per-site parts (exportAllowed, gridCharge, base settings) come from the site's own settings and are
 * merged by the caller before `createControlChannel(name, { ...channelAccountConfig(name, config), ...siteParts }, deps)`.
 * A channel whose credentials are missing is an InvalidConfig naming the variable.
 */
import { InvalidConfig } from '../domain/errors.js';
import type { Config } from './config.js';

export function channelAccountConfig(name: string, config: Config): Record<string, unknown> {
  const need = (variable: keyof Config): string => {
    const value = config[variable];
    if (typeof value !== 'string' || value === '') throw new InvalidConfig(`control channel "${name}" needs ${String(variable)}`, { field: String(variable) });
    return value;
  };
  switch (name) {
    case 'enphase-vpp':
      return {
        baseUrl: config.ENPHASE_VPP_BASE_URL, programId: need('ENPHASE_VPP_PROGRAM_ID'), apiKey: need('ENPHASE_VPP_API_KEY'),
        clientId: need('ENPHASE_VPP_CLIENT_ID'), clientSecret: need('ENPHASE_VPP_CLIENT_SECRET'),
      };
    case 'texture':
      return { baseUrl: config.TEXTURE_API_BASE_URL, apiKey: need('TEXTURE_API_KEY') };
    default:
      return {};
  }
}
