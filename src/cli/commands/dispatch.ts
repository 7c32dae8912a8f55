/**
 * Dispatch: `plans show | approve | replay`, `sites mode | resume`, `commands list`. Implementations are imported
 * lazily (src/app/dispatch/cli-actions.ts).
 */
import type { RegisterCommands } from '../context.js';
import { commandGroup, DATA_DIR_OPTION } from '../context.js';

export const register: RegisterCommands = (program, ctx) => {
  const plans = commandGroup(program, 'plans', 'dispatch plans: show, approve (review mode), replay bit for bit');
  plans.command('show')
    .description("each site's newest plan: version, windows with their reasons, dispatch mode and status")
    .option('--site <id>', 'only this site')
    .option('--json', 'print JSON')
    .option(...DATA_DIR_OPTION)
    .action(async (flags) => (await import('../../app/dispatch/cli-actions.js')).plansShow(ctx, flags));
  plans.command('approve')
    .description('approve one plan version of a site (--site) or of every site in review mode that has it (--fleet)')
    .option('--site <id>', 'the site')
    .option('--fleet', 'every site in review mode')
    .requiredOption('--plan-version <n>', 'the plan version to approve (see `plans show`)')
    .option('--by <name>', 'who approves (default: $USER)')
    .option('--note <text>', 'a note kept with the approval')
    .option(...DATA_DIR_OPTION)
    .action(async (flags) => (await import('../../app/dispatch/cli-actions.js')).plansApprove(ctx, flags));
  plans.command('replay')
    .description('re-solve a stored plan from its stored inputs and compare the outputs bit for bit')
    .argument('<planId>', 'plan id (see `plans show --json`)')
    .option('--json', 'print JSON')
    .option(...DATA_DIR_OPTION)
    .action(async (planId: string, flags) => (await import('../../app/dispatch/cli-actions.js')).plansReplay(ctx, planId, flags));

  const sites = commandGroup(program, 'sites', 'sites (home battery systems)');
  sites.command('mode')
    .description('dispatch mode: auto (send as planned) or review (commands wait for approval); --fleet sets the default')
    .argument('<mode>', 'auto | review | default (site only: follow the fleet default)')
    .option('--site <id>', 'the site')
    .option('--fleet', 'the fleet default')
    .option(...DATA_DIR_OPTION)
    .action(async (mode: string, flags) => (await import('../../app/dispatch/cli-actions.js')).sitesMode(ctx, mode, flags));
  sites.command('resume')
    .description('resume dispatch of a site paused after a manual change on the battery')
    .requiredOption('--site <id>', 'the site')
    .option(...DATA_DIR_OPTION)
    .action(async (flags) => (await import('../../app/dispatch/cli-actions.js')).sitesResume(ctx, flags));

  commandGroup(program, 'commands', 'control commands and their life cycle')
    .command('list')
    .description('commands, by window start: state, mode, window (ERCOT local time), target, reason, last error')
    .option('--site <id>', 'only this site')
    .option('--state <state...>', 'only these states (planned, awaiting_approval, sending, accepted, scheduled, active, completed, ...)')
    .option('--limit <n>', 'at most this many (newest windows)', (v) => Number.parseInt(v, 10), 50)
    .option('--json', 'print JSON')
    .option(...DATA_DIR_OPTION)
    .action(async (flags) => (await import('../../app/dispatch/cli-actions.js')).commandsList(ctx, flags));
};
