import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'fs';
import { basename, dirname, isAbsolute, join } from 'path';
import { parse } from 'yaml';
import { MANAGED_BY } from '../common/labels';
import { CliUsageError } from './cli-error';
import { CHART_NAME } from './helm-chart';

// Where `synth` writes: its output folder checked before anything is written, folders made,
// and a chart written touching only the files this tool wrote there.

/**
 * Refuses a folder that is a file, or that already holds another stack's manifest or a Helm chart:
 * `kubectl apply -f` on it would deploy both stacks.
 */
export function checkOutputFolder(flagValue: string, dir: string, manifest: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) {
    throw new CliUsageError(`Invalid --out: "${flagValue}" is a file, not a folder. Name a folder, e.g. --out dist/${manifest.replace(/\.k8s\.yaml$/, '')}.`);
  }
  const own = join(dir, manifest);
  if (existsSync(own) && (!statSync(own).isFile() || !readFileSync(own, 'utf8').includes(`app.kubernetes.io/managed-by: ${MANAGED_BY}`))) {
    throw new CliUsageError(`Invalid --out: "${flagValue}" holds ${manifest}, which this tool did not write. Move it away, or name another folder, e.g. --out dist/${manifest.replace(/\.k8s\.yaml$/, '')}-stack.`);
  }
  const other = readdirSync(dir).find((f) => (f.endsWith('.k8s.yaml') && f !== manifest) || f === 'Chart.yaml');
  if (other) {
    throw new CliUsageError(`Invalid --out: "${flagValue}" already holds ${other}, another stack's output, and \`kubectl apply -f ${flagValue}\` would deploy both. `
      + `Give this stack a folder of its own, e.g. --out dist/${manifest.replace(/\.k8s\.yaml$/, '')} (the default), or remove ${other}.`);
  }
}

/**
 * mkdir -p, one level at a time: Node's recursive mkdirSync loops forever on a path the kernel
 * refuses with ENOENT under an existing parent (for example /proc/x).
 */
export function makeFolder(dir: string): void {
  const missing: string[] = [];
  let at = dir;
  while (!existsSync(at)) {
    missing.unshift(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const folder of missing) mkdirSync(folder);
}

/** The file in a chart folder that lists what this tool wrote there: a rewrite touches those only. */
const WRITTEN_LIST = '.cdk8s-h2ogpt-files';

/**
 * Writes a chart into DIR, touching only files this tool wrote: DIR may be missing, empty, or a
 * chart of this tool, whose WRITTEN_LIST names its files (a chart of 0.2.0, which had no list,
 * is known by its Chart.yaml). Anything else in DIR (a .git folder, a README of the user's) stays
 * as it is, and a file in the way that this tool did not write is refused before anything is
 * written. A symlinked DIR stays a link: the chart goes into the folder it points to. Each file is
 * written beside its place and renamed over it, the list last.
 */
export function writeChart(flagValue: string, dir: string, files: Record<string, string>): void {
  const refuse = (why: string) => new CliUsageError(`Invalid --out: "${flagValue}" ${why}`);
  const target = existsSync(dir) ? realpathSync(dir) : dir;
  if (existsSync(target) && !statSync(target).isDirectory()) throw refuse('is a file, not a folder. Name a folder, e.g. --out dist/chart.');
  const previous = chartFilesWrittenBefore(target, files, refuse);
  for (const path of Object.keys(files)) {
    const at = join(target, path);
    if (!existsSync(at)) continue;
    if (statSync(at).isDirectory()) throw refuse(`holds a folder ${path} where the chart writes a file. Remove it, or name another folder, e.g. --out dist/chart.`);
    if (!previous.has(path)) throw refuse(`holds ${path}, which this tool did not write. Move it away, or name another folder, e.g. --out dist/chart.`);
  }
  try {
    makeFolder(target);
    for (const [path, text] of Object.entries({ ...files, [WRITTEN_LIST]: `${Object.keys(files).sort().join('\n')}\n` })) {
      makeFolder(dirname(join(target, path)));
      writeInPlace(join(target, path), text);
    }
    for (const path of previous) if (!(path in files)) rmSync(join(target, path), { force: true });
  } catch (error) {
    if (error instanceof CliUsageError) throw error;
    throw refuse(`cannot be written: ${describeFsError(error)}. ${writeFix(error, 'dist/chart')}`);
  }
}

/** The files this tool wrote into DIR before (none if DIR is missing or empty); refuses a folder it did not write. */
function chartFilesWrittenBefore(dir: string, files: Record<string, string>, refuse: (why: string) => CliUsageError): Set<string> {
  const entries = existsSync(dir) ? readdirSync(dir) : [];
  if (entries.length === 0) return new Set();
  const list = join(dir, WRITTEN_LIST);
  if (existsSync(list) && statSync(list).isFile()) {
    // Only plain relative paths inside the folder: a list edited to name ../x must not reach out.
    return new Set(readFileSync(list, 'utf8').split('\n').filter((path) => path !== '' && !isAbsolute(path) && !path.split(/[\\/]/).includes('..')));
  }
  const chart = join(dir, 'Chart.yaml');
  let name: unknown;
  try {
    name = statSync(chart).isFile() ? parse(readFileSync(chart, 'utf8'))?.name : undefined;
  } catch {
    name = undefined; // missing, unreadable or not YAML: not a chart of this tool
  }
  if (name !== CHART_NAME) {
    throw refuse(`already holds ${entries.includes('Chart.yaml') ? 'a Chart.yaml' : entries[0]} and is not a chart of this tool; a chart needs a folder of its own, e.g. --out dist/chart.`);
  }
  // A chart of 0.2.0: its files are the ones this chart writes too.
  return new Set(Object.keys(files).filter((path) => existsSync(join(dir, path))));
}

/** Writes a file beside its place and renames it over it, so the place never holds half of it. */
export function writeInPlace(path: string, text: string): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return {
    EACCES: 'permission denied', EPERM: 'not permitted', EROFS: 'a read-only file system', EEXIST: 'a file is in the way', ENOTDIR: 'a file is in the way',
    EISDIR: 'a folder is in the way', ENOENT: 'no such file or folder', ENOSPC: 'no space left on the device', EDQUOT: 'over the disk quota', EINVAL: 'not a place files can be written',
  }[code ?? ''] ?? (error as Error).message;
}

/** What to do about a failed write: a full disk wants space, anything else another folder. */
export function writeFix(error: unknown, example: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOSPC' || code === 'EDQUOT'
    ? `Free space on that file system, or name a folder on another, e.g. --out ${example}.`
    : `Name a folder you can write to, e.g. --out ${example}.`;
}

