#!/usr/bin/env node
// Runs the compiled CLI. `npm ci` builds lib/ (the prepare script); so does `npm run build`.
let cli;
try {
  cli = require('../lib/cli/cli');
} catch (error) {
  if (error.code !== 'MODULE_NOT_FOUND') throw error;
  process.stderr.write('cdk8s-h2ogpt: lib/ is not built yet. Run `npm run build` (or `npm ci`) in the repository first.\n');
  process.exit(2);
}
cli.run();
