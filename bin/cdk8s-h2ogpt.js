#!/usr/bin/env node
// Runs the CLI: the bundled build (lib/bundle/, fast to start) when present, else the compiled
// modules. `npm run build` writes both; so does packing the package.
let cli;
for (const path of ['../lib/bundle/cli', '../lib/cli/cli']) {
  try {
    cli = require(path);
    break;
  } catch (error) {
    if (error.code !== 'MODULE_NOT_FOUND' || !String(error.message).includes(path.slice(3))) throw error;
  }
}
if (!cli) {
  process.stderr.write('cdk8s-h2ogpt: lib/ is not built yet. Run `npm run build` in the repository first.\n');
  process.exit(2);
}
cli.run();
