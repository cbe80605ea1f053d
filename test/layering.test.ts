import { readdirSync, readFileSync, statSync } from 'fs';
import { dirname, join, normalize, relative } from 'path';
import * as ts from 'typescript';

// The import graph of src/ (issue #25): folders are layers, and imports run one way,
// common → mesh → startup/analyzer → workloads → security/exposure/observability/autoscaling →
// stack → cli. A folder may import its own layer's other folders only where no cycle results;
// no file cycle anywhere. TypeScript's own reader lists each file's imports and re-exports.

const SRC = join(__dirname, '..', 'src');
const LAYERS: Record<string, number> = {
  common: 0, mesh: 1, startup: 2, analyzer: 2, workloads: 3, security: 4, exposure: 4, observability: 4, autoscaling: 4, stack: 5, cli: 6,
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : name.endsWith('.ts') ? [path] : [];
  });
}

/** Each file of src/ (relative, without .ts) with the files of src/ it imports. */
function importGraph(): Map<string, string[]> {
  const files = sourceFiles(SRC).map((file) => relative(SRC, file).replace(/\.ts$/, ''));
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const from of files) {
    const imports = ts.preProcessFile(readFileSync(join(SRC, `${from}.ts`), 'utf8'), true, true).importedFiles
      .map((f) => f.fileName)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => normalize(join(dirname(from), spec)))
      .map((target) => (known.has(target) ? target : `${target}/index`));
    graph.set(from, imports);
  }
  return graph;
}

const layerOf = (file: string): number | undefined => LAYERS[file.split('/')[0]];

/** Imports from a lower layer to a higher one; files outside every layer (index.ts, main.ts) are entry points above them all. */
function upwardImports(graph: Map<string, string[]>): string[] {
  const upward: string[] = [];
  for (const [from, imports] of graph) {
    const own = layerOf(from);
    if (own === undefined) continue;
    for (const to of imports) {
      const theirs = layerOf(to);
      if (theirs !== undefined && theirs > own) upward.push(`${from} -> ${to}`);
    }
  }
  return upward;
}

/** The cycles a depth-first walk meets, each as its path. */
function cycles(edges: Map<string, Iterable<string>>): string[] {
  const found: string[] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (node: string) => {
    if (path.includes(node)) {
      found.push([...path.slice(path.indexOf(node)), node].join(' -> '));
      return;
    }
    if (done.has(node)) return;
    path.push(node);
    for (const next of edges.get(node) ?? []) visit(next);
    path.pop();
    done.add(node);
  };
  for (const node of edges.keys()) visit(node);
  return found;
}

/** Folder to the other folders its files import. */
function folderGraph(graph: Map<string, string[]>): Map<string, Set<string>> {
  const folders = new Map<string, Set<string>>();
  for (const [from, imports] of graph) {
    if (!from.includes('/')) continue;
    const own = from.split('/')[0];
    for (const to of imports) {
      const other = to.split('/')[0];
      if (to.includes('/') && other !== own) folders.set(own, (folders.get(own) ?? new Set()).add(other));
    }
  }
  return folders;
}

test('every folder of src/ has a layer, and no import runs back up the layers', () => {
  const graph = importGraph();
  const folders = new Set([...graph.keys()].filter((f) => f.includes('/')).map((f) => f.split('/')[0]));
  expect([...folders].filter((f) => LAYERS[f] === undefined)).toEqual([]);
  expect(upwardImports(graph)).toEqual([]);
});

test('no cycle among the files of src/, nor among its folders', () => {
  const graph = importGraph();
  expect(cycles(graph)).toEqual([]);
  expect(cycles(folderGraph(graph))).toEqual([]);
});

test('the checks can fail: a made-up graph with a back-edge, a file cycle and a folder cycle', () => {
  const made = new Map<string, string[]>([
    ['common/a', ['mesh/b']],
    ['mesh/b', ['common/a']],
    ['security/c', ['exposure/d']],
    ['exposure/d', ['security/e']],
    ['security/e', []],
  ]);
  expect(upwardImports(made)).toEqual(['common/a -> mesh/b']);
  expect(cycles(made)).toEqual(['common/a -> mesh/b -> common/a']);
  expect(cycles(folderGraph(made))).toEqual(['common -> mesh -> common', 'security -> exposure -> security']);
});
