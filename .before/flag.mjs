import v8 from 'node:v8';
if (process.env.FLAG) v8.setFlagsFromString(process.env.FLAG);
await import('../dist/src/cli/main.js').then((m) => m.main(process.argv.slice(2))).then((c) => (process.exitCode = c));
