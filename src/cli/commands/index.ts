/**
 * The command modules, one per area. Each registers its own sub-commands; their actions import the implementation
 * lazily, so loading all of them here keeps `--help` fast. Add a line for a new area.
 */
import type { RegisterCommands } from '../context.js';
import { register as replay } from './replay.js';
import { register as db } from './db.js';
import { register as prices } from './prices.js';
import { register as fakeErcot } from './fake-ercot.js';
import { register as enphase } from './enphase.js';
import { register as fakeEnphase } from './fake-enphase.js';
import { register as fakeChannels } from './fake-channels.js';
import { register as dispatch } from './dispatch.js';
import { register as reconcile } from './reconcile.js';
import { register as run } from './run.js';
import { register as forecast } from './forecast.js';
import { register as serve } from './serve.js';
import { register as fleet } from './fleet.js';
import { register as demo } from './demo.js';

export const commandModules: RegisterCommands[] = [replay, demo, db, prices, enphase, dispatch, serve, run, reconcile, forecast, fleet, fakeErcot, fakeEnphase, fakeChannels];
