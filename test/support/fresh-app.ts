import { existsSync, mkdirSync, writeFileSync } from 'fs';
import { dirname, join } from 'path';

// How test/package.test.ts installs the library the way a user's app does, and how
// `npm run bench:tests` measures the same two npm commands as a floor: one definition for both.

// The repo: two folders up from test/support, or from .bench-build/test/support when the bench runs it.
const ROOT = (() => {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
})();

/** The library's peers, packed from this repo's own node_modules (each bundles its dependencies). */
export const PEERS = ['cdk8s', 'cdk8s-plus-28', 'constructs'];

/**
 * `npm pack` arguments for the library and its peers, in one npm process. --ignore-scripts: lib/ is
 * already built by `npm test`, and packing must not rebuild it under the other suites' feet.
 * With --json, stdout lists the tarballs in this order: the library first, then PEERS.
 */
export function packArgs(destination: string): string[] {
  return ['pack', '--ignore-scripts', '--pack-destination', destination, '--json', ROOT, ...PEERS.map((name) => join(ROOT, 'node_modules', name))];
}

/** Makes an empty app in `dir`, as `npm init` would. */
export function makeFreshApp(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fresh-app', version: '1.0.0', private: true }));
}

/** `npm install` arguments for the tarballs; --offline keeps npm off the registry. */
export function installArgs(tarballs: string[]): string[] {
  return ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', ...tarballs];
}
