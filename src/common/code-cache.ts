/**
 * Loads the CLI's large modules through V8's code cache, when the build made one for them.
 *
 * A cold `cdk8s-h2ogpt check` compiled JavaScript for about 80 ms before it read a byte; mvdan/sh's
 * parser alone (1.5 MB of GopherJS) took about 50 ms. Node.js 20 keeps no compile cache of its own
 * (`module.enableCompileCache` came in Node.js 22.1), so `npm run build` runs the CLI once and
 * saves what V8 compiled beside the bundles (scripts/warm-code-cache.js); later runs start from it.
 *
 * A cache is used only for the exact source it was made from: each file starts with the SHA-256
 * of that source. V8's own check compares the source's length, V8's version and its flags, and
 * the payload's checksum only where the flag verify_snapshot_checksum is on, in some releases
 * only in debug builds (nodejs/node v20.x deps/v8/src/snapshot/code-serializer.cc,
 * SerializedCodeData::SourceHash and SanityCheck; deps/v8/src/flags/flag-definitions.h). Data V8
 * refuses (`cachedDataRejected`) leaves the module compiled as usual. Nothing here writes at run time.
 */
import { createHash } from 'crypto';
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { createRequire } from 'module';
import { dirname } from 'path';
import { Script } from 'vm';

interface LoadedScript {
  readonly file: string;
  readonly exports: unknown;
  readonly script: Script;
  readonly cacheFile: string;
  readonly sourceHash: Buffer;
  /** Whether V8 compiled it from the cache (it refuses data from another V8 or other flags). */
  readonly cacheUsed: boolean;
}

// Each CLI bundle carries its own copy of this module; the list of loaded scripts is shared.
const LOADED = Symbol.for('cdk8s-h2ogpt.code-cache.loaded');
// Set by the build's warm-up run (scripts/bundle-cli.js): load through V8 even with no cache yet, to make one.
const RECORDING = Symbol.for('cdk8s-h2ogpt.code-cache.recording');
function loadedScripts(): LoadedScript[] {
  const global = globalThis as { [LOADED]?: LoadedScript[] };
  return (global[LOADED] ??= []);
}

const HASH_BYTES = 32;

/**
 * `require(file)` for a CommonJS file, compiled with the code cache in `cacheFile` when that cache
 * was made from this very source; undefined when there is no cache and the build is not making
 * one, so that the caller requires the module as usual. The module gets its own `require`,
 * resolving from its folder.
 */
export function requireWithCodeCache(file: string, cacheFile: string): any {
  const recording = (globalThis as { [RECORDING]?: boolean })[RECORDING] === true;
  if (!recording && !existsSync(cacheFile)) return undefined;
  // Loaded once per process, as require does.
  const earlier = loadedScripts().find((loaded) => loaded.file === file);
  if (earlier) return earlier.exports;
  const text = readFileSync(file, 'utf8');
  // A function body cannot start with a hashbang line; Node.js drops it from modules too.
  const source = text.startsWith('#!') ? `//${text}` : text;
  const sourceHash = createHash('sha256').update(source).digest();
  let cachedData: Buffer | undefined;
  try {
    const data = readFileSync(cacheFile);
    if (data.length > HASH_BYTES && data.subarray(0, HASH_BYTES).equals(sourceHash)) cachedData = data.subarray(HASH_BYTES);
  } catch {
    // Being made now.
  }
  const wrapper = `(function (exports, require, module, __filename, __dirname) { ${source}\n})`;
  const script = new Script(wrapper, { filename: file, cachedData });
  const loaded = { exports: {} as any, filename: file };
  script.runInThisContext()(loaded.exports, createRequire(file), loaded, file, dirname(file));
  const cacheUsed = cachedData !== undefined && !script.cachedDataRejected;
  loadedScripts().push({ file, exports: loaded.exports, script, cacheFile, sourceHash, cacheUsed });
  return loaded.exports;
}

/**
 * Writes the code cache of every module loaded through requireWithCodeCache so far, with what V8
 * has compiled of it by now: the build calls this after a warm-up run. Returns the files written.
 */
export function writeCodeCaches(): string[] {
  return loadedScripts().map(({ script, cacheFile, sourceHash }) => {
    writeFileSync(cacheFile, Buffer.concat([sourceHash, script.createCachedData()]));
    return cacheFile;
  });
}

/** The modules loaded through requireWithCodeCache so far, and whether each came from its cache. */
export function loadedCodeCaches(): Array<{ readonly file: string; readonly cacheUsed: boolean }> {
  return loadedScripts().map(({ file, cacheUsed }) => ({ file, cacheUsed }));
}
