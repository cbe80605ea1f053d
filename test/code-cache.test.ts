import { spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { createHash } from 'crypto';
import { loadedCodeCaches, requireWithCodeCache, writeCodeCaches } from '../src/common/code-cache';

// The CLI's V8 code cache (src/common/code-cache.ts): used only for the source it was made from,
// refused data falls back to a plain compile, and nothing is loaded through it without a cache.

const LOADED = Symbol.for('cdk8s-h2ogpt.code-cache.loaded');
const RECORDING = Symbol.for('cdk8s-h2ogpt.code-cache.recording');
const registry = globalThis as any;

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'cdk8s-h2ogpt-code-cache-'));
  delete registry[LOADED];
  delete registry[RECORDING];
});
afterEach(() => {
  rmSync(work, { recursive: true, force: true });
  delete registry[LOADED];
  delete registry[RECORDING];
});

/** A module that requires a sibling by a relative path, so its own `require` is exercised. */
function writeModule(dir: string, answer: string): string {
  writeFileSync(join(dir, 'sibling.js'), 'module.exports = { word: "from the sibling" };\n');
  const file = join(dir, 'mod.js');
  writeFileSync(file, `const sibling = require('./sibling');\nmodule.exports = { answer: () => ${answer}, sibling: sibling.word, file: __filename };\n`);
  return file;
}

test('without a cache file, and outside the build, the caller requires the module as usual', () => {
  const file = writeModule(work, '"a"');
  expect(requireWithCodeCache(file, join(work, 'mod.v8cache'))).toBeUndefined();
  expect(loadedCodeCaches()).toEqual([]);
});

test('the build records a module, writes its cache headed by the source hash, and a later process compiles from it', () => {
  const file = writeModule(work, '"a"');
  const cacheFile = join(work, 'mod.v8cache');
  registry[RECORDING] = true;
  const first = requireWithCodeCache(file, cacheFile);
  expect(first).toEqual({ answer: expect.any(Function), sibling: 'from the sibling', file });
  expect(first.answer()).toBe('a');
  expect(requireWithCodeCache(file, cacheFile)).toBe(first); // once per process, as require
  expect(writeCodeCaches()).toEqual([cacheFile]);
  const data = readFileSync(cacheFile);
  expect(data.subarray(0, 32)).toEqual(createHash('sha256').update(readFileSync(file, 'utf8')).digest());
  expect(data.length).toBeGreaterThan(32);

  // A fresh process, as the bin: V8 takes the cache (same V8, same flags).
  const probe = `const c = require(${JSON.stringify(join(__dirname, '..', 'lib', 'common', 'code-cache.js'))});
    const m = c.requireWithCodeCache(${JSON.stringify(file)}, ${JSON.stringify(cacheFile)});
    process.stdout.write(JSON.stringify({ answer: m.answer(), loaded: c.loadedCodeCaches() }));`;
  const run = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', timeout: 60_000 });
  expect(run.stderr).toBe('');
  expect(JSON.parse(run.stdout)).toEqual({ answer: 'a', loaded: [{ file, cacheUsed: true }] });
});

test('a cache made from other source is not used, even at the same length, and the module runs as written now', () => {
  const file = writeModule(work, '"a"');
  const cacheFile = join(work, 'mod.v8cache');
  registry[RECORDING] = true;
  requireWithCodeCache(file, cacheFile);
  writeCodeCaches();
  delete registry[LOADED];
  delete registry[RECORDING];
  writeModule(work, '"b"'); // same length: V8's own check compares only the length (code-serializer.cc, SourceHash)
  const reloaded = requireWithCodeCache(file, cacheFile);
  expect(reloaded.answer()).toBe('b');
  expect(loadedCodeCaches()).toEqual([{ file, cacheUsed: false }]);
});

test('data V8 refuses (headed by the right hash) falls back to a plain compile', () => {
  const file = writeModule(work, '"a"');
  const cacheFile = join(work, 'mod.v8cache');
  const hash = createHash('sha256').update(readFileSync(file, 'utf8')).digest();
  writeFileSync(cacheFile, Buffer.concat([hash, Buffer.from('not V8 code cache data at all')]));
  expect(requireWithCodeCache(file, cacheFile).answer()).toBe('a');
  expect(loadedCodeCaches()).toEqual([{ file, cacheUsed: false }]);
});

test('the build made a cache for each large module of the bundled CLI, and a check run by the bin compiles from all three', () => {
  // npm test builds first (scripts/bundle-cli.js runs scripts/warm-code-cache.js).
  const bundle = join(__dirname, '..', 'lib', 'bundle');
  for (const name of ['check-command', 'synth-command', 'mvdan-sh']) expect(existsSync(join(bundle, `${name}.v8cache`))).toBe(true);
  const manifest = join(work, 'pod.yaml');
  writeFileSync(manifest, 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  initContainers: [{name: w, image: busybox, command: [sh, -c, "until nc -z db 5432; do sleep 1; done"]}]\n  containers: [{name: a, image: a}]\n');
  const probe = `const cli = require(${JSON.stringify(join(bundle, 'cli.js'))});
    cli.main(['check', ${JSON.stringify(manifest)}, '--mesh', 'istio-sidecar'], { stdout: () => {}, stderr: (t) => process.stderr.write(t) })
      .then((code) => process.stdout.write(JSON.stringify({ code, loaded: cli.loadedCodeCaches().map((l) => [l.file.split('/').pop(), l.cacheUsed]) })));`;
  const run = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', timeout: 60_000 });
  expect(run.stderr).toBe('');
  expect(JSON.parse(run.stdout)).toEqual({ code: 1, loaded: [['check-command.js', true], ['index.js', true]] });
});
