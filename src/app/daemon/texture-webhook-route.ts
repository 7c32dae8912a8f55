/**
 * Texture's command webhooks on the daemon's HTTP server (`POST /webhooks/texture`, mounted when
 * TEXTURE_WEBHOOK_SECRET is set). The receiver (adapters/control/texture-webhook.ts) verifies the signature over the
 * raw body, rejects unsigned, stale and replayed deliveries and answers 200 at once; a verified event then triggers
 * the dispatcher's status refresh for the command's site, which reads the command's true state from the channel (so
 * an out-of-order delivery cannot move a command backwards).
 */
import { TextureWebhookReceiver, type TextureWebhookEvent } from '../../adapters/control/texture-webhook.js';
import type { ControlChannel } from '../../domain/ports/control-channel.js';
import type { Clock } from '../../domain/time/clock.js';
import type { Executor } from '../../store/database.js';
import { getSite, type Site } from '../../store/sites-repo.js';
import { channelSiteRef } from '../dispatch/cycle.js';
import { refreshStatuses, resolveSending, SENDING_GRACE_MS } from '../dispatch/status.js';
import type { Logger } from '../logger.js';
import type { DaemonHttpServer } from './http-server.js';

export const TEXTURE_WEBHOOK_PATH = '/webhooks/texture';

export interface TextureWebhookDeps {
  db: Executor;
  clock: Clock;
  logger: Logger;
  secret: string;
  channelFor: (site: Site) => ControlChannel;
}

/** Refreshes the site of the command an event is about; returns the site id, or null for a command we do not know. */
export async function refreshForTextureEvent(d: Omit<TextureWebhookDeps, 'secret'>, event: TextureWebhookEvent): Promise<string | null> {
  const row = await d.db.selectFrom('commands').select(['site_id']).where('external_id', '=', event.commandId).where('channel', '=', 'texture').executeTakeFirst();
  const site = row ? await getSite(d.db, row.site_id) : null;
  if (!site) {
    d.logger.info({ commandId: event.commandId, type: event.type }, 'Texture webhook for a command this engine did not send: ignored');
    return null;
  }
  const ctx = { db: d.db, channel: d.channelFor(site), siteId: site.siteId, siteRef: channelSiteRef(site), nowMs: d.clock.nowMs(), sendingGraceMs: SENDING_GRACE_MS };
  const problems = [...(await resolveSending(ctx)).problems, ...(await refreshStatuses(ctx)).problems];
  if (problems.length) d.logger.warn({ siteId: site.siteId, problems }, 'status refresh after a Texture webhook reported problems');
  return site.siteId;
}

export function mountTextureWebhook(http: DaemonHttpServer, d: TextureWebhookDeps): TextureWebhookReceiver {
  const receiver = new TextureWebhookReceiver({
    secret: d.secret,
    clock: d.clock,
    onEvent: (event) => refreshForTextureEvent(d, event).then(() => undefined),
    onError: (error) => d.logger.warn({ err: { message: error instanceof Error ? error.message : String(error) } }, 'Texture webhook handling failed'),
  });
  http.route('POST', TEXTURE_WEBHOOK_PATH, receiver.nodeHandler);
  return receiver;
}
