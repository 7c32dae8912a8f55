/**
 * Bundles the compiled CLI (dist/src/cli/main.js and everything it imports from dist/ and from most packages) into
 * one file, dist/src/cli/main.bundle.mjs, which bin/ercot-arb.js runs. Loading ~1,000 ES modules one by one cost each
 * command 0.5–0.8 s of CPU before it did anything (kysely alone 0.15 s, undici 0.14 s, zod 0.07 s); one bundle loads
 * in a fraction of that. Packages that find files next to themselves at run time (PGlite's WebAssembly and data,
 * HiGHS and GLPK's WebAssembly, pino's transport workers, graphile-worker's SQL migrations, node-cron's forked
 * scheduler) stay outside, as does `pg` (graphile-worker gets our pool and uses its own copy of `pg`'s types).
 * Files the program forks (fleet workers, the store-creation child, the demo's fakes) stay separate compiled files
 * (src/runtime-files.ts finds them from the bundle too). Run by `npm run build` after `tsc`.
 */
import { build } from 'esbuild';

const external = [
  '@electric-sql/pglite', '@electric-sql/pglite/*', 'highs', 'glpk.js', 'pino', 'pino-pretty', 'thread-stream',
  'graphile-worker', 'pg', 'pg-native', 'node-cron', 'echarts',
];

await build({
  entryPoints: ['dist/src/cli/main.js'],
  outfile: 'dist/src/cli/main.bundle.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external,
  // CommonJS packages inside an ES module bundle call `require` for Node's built-ins.
  banner: { js: "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);" },
  logLevel: 'warning',
  legalComments: 'none',
});
