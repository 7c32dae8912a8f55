#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ and bundled into one file by `npm install` (the "prepare" script runs
// `npm run build`: tsc, then scripts/bundle-cli.mjs), which loads much faster than the ~1,000 modules it is made of.
import { main } from '../dist/src/cli/main.bundle.mjs';

process.exitCode = await main(process.argv.slice(2));
