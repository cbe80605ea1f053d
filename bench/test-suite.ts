// `npm run bench:tests`: what `npm test` costs (issue #13). Runs the build once, then jest
// `--runs` times (default 3), and reports the median wall time, the CPU time of jest and its
// workers (from /proc: user + system time of waited-for children), the files that took longest,
// and the floors of the tools the suite runs (each alone, cold). Each run starts as on CI's clean
// clone: an empty Jest cache (no transformed files, no timings) and no type-check build info. The
// suite is CPU-bound on a small machine, so CPU seconds / cores is the floor for its wall time.
// `--update` writes the table into bench/README.md, between the tests markers, and each file's
// median time into test/support/test-durations.json, which orders the next runs.
import { spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { cpus, tmpdir } from 'os';
import { dirname, join } from 'path';
import { installArgs, makeFreshApp, packArgs } from '../test/support/fresh-app';
import { replaceReadmeSection } from './readme-section';

const ROOT = (() => {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
})();
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
const fmt = (n: number, digits = 0) => n.toFixed(digits);

/** CPU seconds (user + system) of this process's waited-for children, from /proc/self/stat. */
function childrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // Fields after the command name (which may hold spaces): cutime and cstime are fields 16 and 17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticksPerSecond = 100; // USER_HZ on Linux
  return (Number(fields[13]) + Number(fields[14])) / ticksPerSecond;
}

function timed(command: string, args: string[], cwd = ROOT): { seconds: number; cpu: number; status: number | null } {
  const cpuBefore = childrenCpuSeconds();
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr.slice(-3000)}`);
  return { seconds, cpu: childrenCpuSeconds() - cpuBefore, status: result.status };
}

/** What one test file cost, from bench/cpu-probe.js: loading and top-level code, tests, and their processes. */
interface FileCpu { file: string; load: number; self: number; children: number }

/** A dependency the suite runs, run alone and cold in the same bench run: the floor of its share. */
interface Floor { what: string; cpu: number }

/**
 * The floors: what the tools the suite runs cost on their own, each once and cold, as the suite
 * runs them. `tests` gives each test file's number of tests, for Jest's own floor.
 */
function dependencyFloors(work: string, tests: Array<[string, number]>): Floor[] {
  // Jest itself: as many files and tests as the suite, each test empty, with the suite's own config
  // (transform, setup file, sequencer, workers) and an empty cache.
  const empty = join(work, 'empty-suite');
  mkdirSync(empty);
  tests.forEach(([file, count], i) => writeFileSync(join(empty, `file-${i}.test.ts`),
    `// ${file}\n${Array.from({ length: count }, (_, k) => `test('${k}', () => undefined);`).join('\n')}\n`));
  const config = { ...JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).jest, rootDir: ROOT, roots: [empty] };
  const jest = timed(process.execPath, [join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--config', JSON.stringify(config), `--cacheDirectory=${join(work, 'cache-empty')}`]);
  // The typecheck test's tsc, cold (CI has no build info), and the package test's tools.
  const tsc = timed(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'test', 'tsconfig.json')]);
  const docgen = timed(join(ROOT, 'node_modules', '.bin', 'jsii-docgen'), ['--output', join(work, 'API.md')]);
  const packed = join(work, 'packed');
  mkdirSync(packed);
  const pack = timed('npm', packArgs(packed));
  const app = join(work, 'app');
  makeFreshApp(app);
  const install = timed('npm', installArgs(readdirSync(packed).map((file) => join(packed, file))), app);
  return [
    { what: `Jest itself: ${tests.length} files of ${tests.reduce((sum, [, n]) => sum + n, 0)} empty tests, the suite's config`, cpu: jest.cpu },
    { what: '`tsc -p test`, cold (test/typecheck.test.ts)', cpu: tsc.cpu },
    { what: '`jsii-docgen` (test/package.test.ts)', cpu: docgen.cpu },
    { what: '`npm pack` and `npm install` of the tarball and its peers (test/package.test.ts)', cpu: pack.cpu + install.cpu },
  ];
}

export function runTestBench(args: string[]): string {
  const runsArg = args.find((a) => a.startsWith('--runs='));
  const runs = runsArg ? Number(runsArg.slice('--runs='.length)) : 3;
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`Invalid --runs: "${runsArg}". Use --runs=N with N a whole number of at least 1.`);
  const began = Date.now();
  const build = timed('npm', ['run', 'build', '--silent']);
  const work = mkdtempSync(join(tmpdir(), 'cdk8s-h2ogpt-suite-'));
  const samples: Array<{ seconds: number; cpu: number; files: Array<[string, number]>; cpuByFile: FileCpu[] }> = [];
  let testsPerFile: Array<[string, number]> = [];
  let floors: Floor[];
  try {
    for (let i = 0; i < runs; i++) {
      // The typecheck test's build info would make its tsc warm; CI's clean clone has none.
      rmSync(join(ROOT, '.tmp', 'test.tsbuildinfo'), { force: true });
      const json = join(work, `run-${i}.json`);
      const cpuLog = join(work, `cpu-${i}.jsonl`);
      process.env.BENCH_CPU_LOG = cpuLog;
      const run = timed(process.execPath, [join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--json', `--outputFile=${json}`,
        `--cacheDirectory=${join(work, `cache-${i}`)}`, '--setupFilesAfterEnv', join(ROOT, 'bench', 'cpu-probe.js')]);
      const report = JSON.parse(readFileSync(json, 'utf8'));
      const files = report.testResults.map((t: any) => [t.name.slice(ROOT.length + 1), (t.endTime - t.startTime) / 1000] as [string, number]);
      testsPerFile = report.testResults.map((t: any) => [t.name.slice(ROOT.length + 1), t.assertionResults.length] as [string, number]);
      const cpuByFile = readFileSync(cpuLog, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as FileCpu);
      samples.push({ seconds: run.seconds, cpu: run.cpu, files, cpuByFile });
      process.stderr.write(`jest run ${i + 1}: ${fmt(run.seconds, 1)} s, ${fmt(run.cpu, 1)} CPU-s\n`);
    }
    floors = dependencyFloors(work, testsPerFile);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const cores = cpus().length;
  const wall = median(samples.map((s) => s.seconds));
  const cpu = median(samples.map((s) => s.cpu));
  const byFile = new Map<string, number[]>();
  for (const s of samples) for (const [file, secs] of s.files) byFile.set(file, [...(byFile.get(file) ?? []), secs]);
  const byDuration = [...byFile].map(([file, secs]) => [file, median(secs)] as const).sort((a, b) => b[1] - a[1]);
  // Where the CPU goes: the median run's per-file figures (medians per file would not add up).
  const medianRun = [...samples].sort((a, b) => a.cpu - b.cpu)[Math.floor((samples.length - 1) / 2)];
  const inLoading = medianRun.cpuByFile.reduce((sum, f) => sum + f.load, 0);
  const inTests = medianRun.cpuByFile.reduce((sum, f) => sum + f.self, 0);
  const inChildren = medianRun.cpuByFile.reduce((sum, f) => sum + f.children, 0);
  const costliest = [...medianRun.cpuByFile].sort((a, b) => (b.load + b.self + b.children) - (a.load + a.self + a.children)).slice(0, 12);
  const toolFloors: Floor[] = [{ what: 'the build: jsii and the CLI bundle (all of `npm run build`)', cpu: build.cpu }, ...floors!];
  const floorsCpu = toolFloors.reduce((sum, f) => sum + f.cpu, 0);
  const slowest = byDuration.slice(0, 8);
  const markdown = [
    `Run ${new Date().toISOString()} on ${cores} x ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}, in ${fmt((Date.now() - began) / 1000)} s, `
    + `with \`npm run bench:tests\`: the build once, then jest ${runs} times as on CI's clean clone (an empty Jest cache, no type-check build info); medians.`,
    '',
    '| what | wall (s) | CPU (s) | CPU / cores (s) |',
    '|---|---:|---:|---:|',
    `| build (jsii, bundle) | ${fmt(build.seconds, 1)} | ${fmt(build.cpu, 1)} | ${fmt(build.cpu / cores, 1)} |`,
    `| jest, the whole suite | ${fmt(wall, 1)} | ${fmt(cpu, 1)} | ${fmt(cpu / cores, 1)} |`,
    `| **npm test** (build + jest) | **${fmt(build.seconds + wall, 1)}** | ${fmt(build.cpu + cpu, 1)} | ${fmt((build.cpu + cpu) / cores, 1)} |`,
    '',
    'Longest files (median seconds from start to end, while the others run beside them):',
    '',
    ...slowest.map(([file, secs]) => `- ${file}: ${fmt(secs, 1)} s`),
    '',
    `Where the CPU goes, in the median run (${fmt(medianRun.cpu, 1)} CPU-s): each file's imports and top-level code (what it renders before its first test) `
    + `took ${fmt(inLoading, 1)} CPU-s in the jest workers, the tests themselves ${fmt(inTests, 1)}, `
    + `and the processes they started (the CLI, npm, tsc, helm, the waiters' shells, the kernel suite's tools) ${fmt(inChildren, 1)}; `
    + `the other ${fmt(medianRun.cpu - inLoading - inTests - inChildren, 1)} are Jest itself: its workers, test environments and transforms.`,
    '',
    '| file | imports and top-level code (CPU-s) | tests, in the worker (CPU-s) | processes they started (CPU-s) |',
    '|---|---:|---:|---:|',
    ...costliest.map((f) => `| ${f.file} | ${fmt(f.load, 1)} | ${fmt(f.self, 1)} | ${fmt(f.children, 1)} |`),
    '',
    'The tools the suite runs, each alone, cold and once, in this run: their floors. The suite runs each of them once too, '
    + 'so this much of its CPU cannot go without dropping what they check.',
    '',
    '| tool | CPU (s) |',
    '|---|---:|',
    ...toolFloors.map((f) => `| ${f.what} | ${fmt(f.cpu, 1)} |`),
    `| **all of them** | **${fmt(floorsCpu, 1)}** |`,
    '',
    `npm test without these floors: (${fmt(build.cpu + cpu, 1)} - ${fmt(floorsCpu, 1)}) CPU-s / ${cores} cores = `
    + `**${fmt((build.cpu + cpu - floorsCpu) / cores, 1)} s** (goal: npm test in at most 40 s), where npm test itself takes ${fmt(build.seconds + wall, 1)} s.`,
    '',
  ].join('\n');
  if (args.includes('--update')) {
    replaceReadmeSection(join(ROOT, 'bench', 'README.md'), 'tests', markdown);
    writeFileSync(join(ROOT, 'test', 'support', 'test-durations.json'), `${JSON.stringify({
      '//': 'Median seconds per test file, from `npm run bench:tests -- --update`; read by slowest-first-sequencer.js.',
      'seconds': Object.fromEntries(byDuration.map(([file, secs]) => [file, Math.round(secs * 10) / 10])),
    }, null, 2)}\n`);
  }
  return markdown;
}

if (require.main === module) {
  try {
    process.stdout.write(`${runTestBench(process.argv.slice(2))}\n`);
  } catch (error) {
    process.stderr.write(`bench:tests failed: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
