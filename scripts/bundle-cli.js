#!/usr/bin/env node
// Bundles the CLI into lib/bundle/ (one file per command, plus the dispatcher) after `jsii` has
// compiled lib/. A cold `cdk8s-h2ogpt` run is mostly module loading: one file per command, with
// no inline source maps (cdk8s-plus-28's L1 module carries 2 MB of one), loads several times
// faster than the module tree (bench/README.md). lib/ itself is left as jsii wrote it, for the
// library's users; the bundles are only what the bin runs.
const { spawnSync } = require('child_process');
const { build } = require('esbuild');
const { copyFileSync, mkdirSync, rmSync } = require('fs');
const { join } = require('path');

const root = join(__dirname, '..');
const out = join(root, 'lib', 'bundle');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// The library takes only the L1 `k8s` namespace from cdk8s-plus-28; its index would bring every
// L2 construct along. In the bundle, that import is the L1 module alone.
const l1Only = {
  name: 'cdk8s-plus-28-l1-only',
  setup(build) {
    build.onResolve({ filter: /^cdk8s-plus-28$/ }, () => ({ path: 'cdk8s-plus-28', namespace: 'l1-only' }));
    build.onLoad({ filter: /.*/, namespace: 'l1-only' }, () => ({
      contents: "module.exports = { k8s: require('cdk8s-plus-28/lib/imports/k8s') };",
      resolveDir: root,
      loader: 'js',
    }));
  },
};
// mvdan/sh's parser (1.5 MB of GopherJS) stays a module of its own, loaded from node_modules only
// when `check` meets a script: a synthesis, or a check of pods without scripts, never parses it.
const common = {
  bundle: true, platform: 'node', target: 'node20', format: 'cjs', minify: true, legalComments: 'none', logLevel: 'warning', plugins: [l1Only],
  external: ['mvdan-sh'],
};
async function main() {
  // The dispatcher loads a command's bundle only when that command runs.
  await build({ ...common, entryPoints: [join(root, 'lib', 'cli', 'cli.js')], outfile: join(out, 'cli.js'), external: ['./synth-command', './check-command'] });
  for (const command of ['synth-command', 'check-command']) {
    await build({ ...common, entryPoints: [join(root, 'lib', 'cli', `${command}.js`)], outfile: join(out, `${command}.js`) });
  }
  // Read at run time from beside the module, as in lib/startup/.
  copyFileSync(join(root, 'src', 'startup', 'wait-for-upstream.sh'), join(out, 'wait-for-upstream.sh'));
  // V8's code caches of the bundles and of mvdan-sh, made by a run in a fresh process (src/common/code-cache.ts).
  const warm = spawnSync(process.execPath, [join(__dirname, 'warm-code-cache.js')], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (warm.status !== 0) throw new Error(`warm-code-cache.js exited ${warm.status ?? warm.signal}`);
}

main().catch((error) => {
  process.stderr.write(`bundle-cli: ${error.message}\n`);
  process.exit(1);
});
