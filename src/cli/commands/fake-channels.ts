/** `ercot-arb fake vpp` / `fake texture`: the control-channel fakes (Enphase VPP, Texture) on loopback, for demos. */
import type { Command } from 'commander';
import { commandGroup, type CliContext, type RegisterCommands } from '../context.js';

export const register: RegisterCommands = (program: Command, ctx: CliContext) => {
  const fake = commandGroup(program, 'fake', 'local fake servers speaking the real protocols (for tests and demos)');
  fake.command('vpp')
    .description('start a fake Enphase VPP (grid services) API on loopback: tokens, events create/read/list/cancel, battery and Storm Guard settings')
    .option('--port <n>', 'port (0 = any free port)', '8791')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--sites <ids>', 'comma-separated enrolled site ids', '1001')
    .option('--program-id <id>', 'grid-services program id', 'fake-program')
    .action(async (options: { port: string; host: string; sites: string; programId: string }) => {
      const { runFakeVpp } = await import('../../adapters/fakes/vpp/cli.js');
      await runFakeVpp(ctx, options);
    });
  fake.command('texture')
    .description('start a fake Texture command API on loopback (set-operating-mode, command status and lists, signed webhooks)')
    .option('--port <n>', 'port (0 = any free port)', '8792')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--devices <ids>', 'comma-separated device ids', 'dev-1')
    .option('--webhook-url <url>', 'POST command.succeeded / command.failed here')
    .option('--webhook-secret <secret>', 'destination secret that signs the webhooks')
    .action(async (options: { port: string; host: string; devices: string; webhookUrl?: string; webhookSecret?: string }) => {
      const { runFakeTexture } = await import('../../adapters/fakes/texture/cli.js');
      await runFakeTexture(ctx, options);
    });
};
