/**
 * The command life cycle, in the dispatcher's words (the store keeps the same strings; docs/dispatch.md):
 *
 *   planned → awaiting_approval → planned → sending → accepted → scheduled → active →
 *   completed | reverted_early | superseded | cancelled | expired | failed | rejected | overridden | lost
 */
import type { ChannelCommandStatus } from '../ports/control-channel.js';

export type CommandLifecycleState =
  | 'planned'
  | 'awaiting_approval'
  | 'sending'
  | 'accepted'
  | 'scheduled'
  | 'active'
  | 'completed'
  | 'reverted_early'
  | 'superseded'
  | 'cancelled'
  | 'expired'
  | 'failed'
  | 'rejected'
  | 'overridden'
  | 'lost';

/** Rows the engine holds but has not handed to the channel. */
export const UNSENT_STATES: readonly CommandLifecycleState[] = ['planned', 'awaiting_approval'];
/** Rows the channel has (or, for sending, may have). */
export const ON_CHANNEL: readonly CommandLifecycleState[] = ['sending', 'accepted', 'scheduled', 'active'];

export type DispatchMode = 'auto' | 'review';

export type SiteDispatchStatusKind = 'idle' | 'dispatching' | 'awaiting_approval' | 'standing_aside' | 'paused_manual_change' | 'needs_reauth';

/** Where a channel's status moves an open command (null: no change). `weCancelled` marks commands the engine ended. */
export function lifecycleStateFor(status: ChannelCommandStatus, current: CommandLifecycleState): CommandLifecycleState | null {
  const order: CommandLifecycleState[] = ['sending', 'accepted', 'scheduled', 'active'];
  const forward = (to: CommandLifecycleState): CommandLifecycleState | null => (order.indexOf(to) > order.indexOf(current) ? to : null);
  switch (status) {
    case 'accepted':
      return forward('accepted');
    case 'scheduled':
      return forward('scheduled');
    case 'active':
      return forward('active');
    case 'completed':
      return 'completed';
    case 'stopped':
      return 'reverted_early';
    case 'failed':
      return 'failed';
    case 'rejected':
      return 'rejected';
    case 'opted-out':
      return 'overridden';
    case 'deleted':
      return 'superseded';
    case 'unknown':
      return null;
  }
}
