/**
 * Startup-latency benchmark (`npm run bench:startup`), issue #6.
 *
 * Metric: the added delay, from "vLLM /health turns 200" to "the h2oGPT command starts", and how
 * many requests the wait sends to vLLM. Real processes against real local servers for short ready
 * times T; for T up to 30 minutes the delay is computed from pause schedules printed by the very
 * script synthesis writes (WAIT_PRINT_SCHEDULE), and kubelet restart back-off is a model (docs/mesh-facts.md §6).
 * Results: a Markdown table on stdout and in .bench-build/results/; with `-- --update`, in
 * bench/README.md and bench/startup-latency.svg instead.
 */
import { cpus, tmpdir } from 'os';
import { mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { restartBackoffAddedDelay, restartBackoffStarts } from '../src/startup/restart-backoff';
import { DEFAULT_WAITER_SETTINGS } from '../src/startup/waiter';
import { printedSchedule, startWaiter, TestServer, waiterForms, WaiterForm } from '../test/support/waiter-harness';

const BENCH_DIR = join(__dirname, '..', '..', 'bench');
const REAL_READY_TIMES = [2, 4, 7]; // seconds, run for real
const REAL_RUNS = 30; // per method and T, so that p95 is stable
const CONCURRENT_RUNS = 10; // per method at a time: 30 at once skews the measured delays on 2 cores
const MODEL_READY_TIMES = [10, 30, 60, 120, 300, 600, 900, 1200, 1500, 1800]; // seconds, computed
const SCHEDULES = 24; // sampled schedules per configuration
const OFFSETS = 60; // ready times per schedule and computed T, spread evenly over [T, 1.25 T)
const UPSTREAM_SLEEP = 5; // the historic chart's `sleep 5`
const BACKOFF = 'no wait: kubelet restart back-off (model)';

interface Sample { delayMs: number; requests: number; rate: number }
interface Row { method: string; t: number; kind: 'measured' | 'computed' | 'model'; samples: Sample[] }

const forms = waiterForms();
const bashCurl = forms[0];
const busybox = forms[2];
for (const f of [bashCurl, busybox]) if (f.missing) throw new Error(`bench needs ${f.name}: ${f.missing}`);

interface Method {
  readonly name: string;
  readonly form: WaiterForm;
  /** Waiter pauses (seconds); absent for the historic loop. */
  readonly pauses?: { initial: number; max: number };
  /** In-app: the exec'd command prints "started"; init container: the waiter's exit is the start. */
  readonly inApp: boolean;
}

const DEFAULT_PAUSES = { initial: DEFAULT_WAITER_SETTINGS.initialDelaySeconds, max: DEFAULT_WAITER_SETTINGS.maxDelaySeconds };
// Alternatives that trade request rate for latency, to show where the defaults sit.
const ALTERNATIVES = [{ initial: 1, max: 3 }, { initial: 1, max: 2 }];
const UPSTREAM_LOOP = 'upstream loop (wget; sleep 5)';

const METHODS: Method[] = [
  { name: `in-app waiter (defaults ${DEFAULT_PAUSES.initial}-${DEFAULT_PAUSES.max} s)`, form: bashCurl, pauses: DEFAULT_PAUSES, inApp: true },
  ...ALTERNATIVES.map((pauses) => ({ name: `in-app waiter (alternative ${pauses.initial}-${pauses.max} s)`, form: bashCurl, pauses, inApp: true })),
  { name: 'init-container waiter (busybox, defaults)', form: busybox, pauses: DEFAULT_PAUSES, inApp: false },
  { name: UPSTREAM_LOOP, form: busybox, inApp: false },
];

function waiterEnv(pauses: { initial: number; max: number }, url: string): Record<string, string> {
  return {
    WAIT_URL: url, WAIT_DEADLINE_SECONDS: '2100', WAIT_INITIAL_DELAY_SECONDS: String(pauses.initial),
    WAIT_MAX_DELAY_SECONDS: String(pauses.max), WAIT_ATTEMPT_TIMEOUT_SECONDS: String(DEFAULT_WAITER_SETTINGS.attemptTimeoutSeconds),
  };
}

async function runOnce(method: Method, readyAfterMs: number): Promise<Sample> {
  const server = await TestServer.start(TestServer.status(503));
  const startedAt = Date.now();
  const readyAt = startedAt + readyAfterMs;
  const flip = setTimeout(() => { server.behaviour = TestServer.status(200); }, readyAfterMs);
  try {
    const waiter = method.pauses
      ? startWaiter(method.form, { env: waiterEnv(method.pauses, server.url), args: method.inApp ? ['sh', '-c', 'echo started'] : [], killAfterMs: 60_000 })
      : startWaiter(method.form, { env: { URL: server.url }, killAfterMs: 60_000, scriptPath: upstreamLoopScript() });
    let commandStartedAt = 0;
    waiter.child.stdout!.on('data', (d) => { if (!commandStartedAt && String(d).includes('started')) commandStartedAt = Date.now(); });
    const exit = await waiter.exited;
    if (exit.code !== 0) throw new Error(`${method.name} exited ${exit.code}: ${exit.stderr}`);
    const startAt = method.inApp ? commandStartedAt : startedAt + exit.elapsedMs;
    const requests = server.requests.filter((t) => t <= startAt).length;
    return { delayMs: startAt - readyAt, requests, rate: requests / Math.max(1, (startAt - startedAt) / 1000) };
  } finally {
    clearTimeout(flip);
    await server.close();
  }
}

/** The historic chart's loop, verbatim but for the URL: fixed sleeps, no deadline. */
function upstreamLoopScript(): string {
  const file = join(tmpdir(), `cdk8s-h2ogpt-upstream-loop-${process.pid}.sh`);
  writeFileSync(file, `until wget -O- "$URL" >/dev/null 2>&1; do sleep ${UPSTREAM_SLEEP}; done\n`);
  return file;
}

/** Pause schedules (ms) printed by the synthesized script itself. */
function sampleSchedules(initial: number, max: number, horizonSeconds: number): number[][] {
  const count = Math.ceil(horizonSeconds / Math.max(initial, max / 2)) + 10;
  return Array.from({ length: SCHEDULES }, () => printedSchedule(bashCurl, { initial, max }, count));
}

/** Computed delay for ready time `t` on one schedule: the first attempt at or after t, plus the measured ready-path overhead. */
function computeOnSchedule(pauses: number[], tSeconds: number, overheadMs: number): Sample {
  let at = 0;
  let i = 0;
  while (at < tSeconds * 1000) at += pauses[i++];
  const delayMs = at - tSeconds * 1000 + overheadMs;
  const requests = i + 1;
  return { delayMs, requests, rate: requests / Math.max(1, (at + overheadMs) / 1000) };
}

/** Median time from spawn to the command starting against a server that is already up, minus shell start-up. */
async function readyPathOverheadMs(method: Method): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 7; i++) times.push((await runOnce(method, 0)).delayMs);
  return quantile(times, 0.5);
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (pos - lo);
}

/**
 * Ready times near T: spread over [T, 1.25 T) so that each method's phase (fixed sleeps, restart
 * back-off doubling to 300 s) is sampled fairly rather than at one lucky or unlucky point.
 */
function readyTimesNear(t: number): number[] {
  return Array.from({ length: OFFSETS }, (_, k) => t * (1 + (0.25 * (k + Math.random())) / OFFSETS));
}

async function main(): Promise<void> {
  const began = Date.now();
  const rows: Row[] = [];

  for (const t of REAL_READY_TIMES) {
    const results: Array<{ method: Method; s: Sample }> = [];
    for (let done = 0; done < REAL_RUNS; done += CONCURRENT_RUNS) {
      const batch = METHODS.flatMap((method) => Array.from({ length: Math.min(CONCURRENT_RUNS, REAL_RUNS - done) }, () => runOnce(method, t * 1000).then((s) => ({ method, s }))));
      results.push(...await Promise.all(batch));
    }
    for (const method of METHODS) rows.push({ method: method.name, t, kind: 'measured', samples: results.filter((r) => r.method === method).map((r) => r.s) });
    process.stderr.write(`measured T=${t}s\n`);
  }

  const overhead = new Map<Method, number>();
  for (const method of METHODS) overhead.set(method, Math.max(0, await readyPathOverheadMs(method)));
  const horizon = Math.max(...MODEL_READY_TIMES) + 20;
  const schedules = new Map<string, number[][]>();
  for (const { pauses } of METHODS) {
    const key = pauses && `${pauses.initial}-${pauses.max}`;
    if (key && !schedules.has(key)) schedules.set(key, sampleSchedules(pauses!.initial, pauses!.max, horizon));
  }
  process.stderr.write('sampled schedules\n');

  for (const t of MODEL_READY_TIMES) {
    for (const method of METHODS) {
      const samples: Sample[] = [];
      for (const ready of readyTimesNear(t)) {
        if (!method.pauses) {
          // Fixed 5 s sleeps: attempts at 0, 5, 10, ... (plus the measured attempt cost).
          const next = Math.ceil(ready / UPSTREAM_SLEEP) * UPSTREAM_SLEEP;
          const requests = next / UPSTREAM_SLEEP + 1;
          samples.push({ delayMs: (next - ready) * 1000 + overhead.get(method)!, requests, rate: requests / Math.max(1, next) });
        } else {
          for (const pauses of schedules.get(`${method.pauses.initial}-${method.pauses.max}`)!) {
            samples.push(computeOnSchedule(pauses, ready, overhead.get(method)!));
          }
        }
      }
      rows.push({ method: method.name, t, kind: 'computed', samples });
    }
  }
  // Kubelet restart back-off, computed: exact at the measured T, spread like the others at the long ones.
  for (const t of [...REAL_READY_TIMES, ...MODEL_READY_TIMES]) {
    const readyTimes = REAL_READY_TIMES.includes(t) ? [t] : readyTimesNear(t);
    rows.push({
      method: BACKOFF, t, kind: 'model',
      samples: readyTimes.map((ready) => {
        const delay = restartBackoffAddedDelay(ready);
        const requests = restartBackoffStarts(ready + delay).length;
        return { delayMs: delay * 1000, requests, rate: requests / Math.max(1, ready + delay) };
      }),
    });
  }

  const report = render(rows, (Date.now() - began) / 1000);
  process.stdout.write(report.markdown);
  // A run leaves the committed results alone unless asked (`npm run bench:startup -- --update`),
  // so a clean checkout does not show a benchmark run as a change.
  if (!process.argv.includes('--update')) {
    const out = join(__dirname, '..', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'startup-latency.md'), report.markdown);
    writeFileSync(join(out, 'startup-latency.svg'), report.svg);
    process.stdout.write(`\nwrote ${out}/startup-latency.{md,svg}; run with -- --update to replace bench/README.md's table and plot\n`);
    return;
  }
  writeFileSync(join(BENCH_DIR, 'startup-latency.svg'), report.svg);
  const readmePath = join(BENCH_DIR, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  writeFileSync(readmePath, `${readme.slice(0, readme.indexOf(start) + start.length)}\n${report.markdown}${readme.slice(readme.indexOf(end))}`);
}

function render(rows: Row[], seconds: number): { markdown: string; svg: string } {
  const stats = rows.map((r) => ({
    ...r,
    median: quantile(r.samples.map((s) => s.delayMs), 0.5) / 1000,
    p95: quantile(r.samples.map((s) => s.delayMs), 0.95) / 1000,
    requests: quantile(r.samples.map((s) => s.requests), 0.5),
    rate: r.samples.reduce((a, s) => a + s.rate, 0) / r.samples.length,
    maxRate: Math.max(...r.samples.map((s) => s.rate)),
  })).sort((a, b) => a.t - b.t);
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    `Run ${new Date().toISOString()} on ${cpus().length} x ${cpu}, Node ${process.version}, in ${seconds.toFixed(0)} s.`,
    '',
    '| T (s) | method | how | median added delay (s) | p95 added delay (s) | requests to vLLM (median) | requests/s (mean / max) |',
    '|---:|---|---|---:|---:|---:|---:|',
    ...stats.map((s) => `| ${s.t} | ${s.method} | ${s.kind} | ${s.median.toFixed(2)} | ${s.p95.toFixed(2)} | ${s.requests.toFixed(0)} | ${s.rate.toFixed(2)} / ${s.maxRate.toFixed(2)} |`),
    '',
  ];
  const inApp = stats.filter((s) => s.method.startsWith('in-app waiter (defaults'));
  const worstP95 = Math.max(...inApp.map((s) => s.p95));
  const worstRate = Math.max(...inApp.map((s) => s.maxRate));
  const ratio = (other: string) => {
    const at = stats.filter((s) => s.method === other && s.t === 1800)[0];
    const ours = inApp.find((s) => s.t === 1800)!;
    return `${(at.p95 / ours.p95).toFixed(1)}x`;
  };
  lines.push(
    `In-app waiter with the defaults: worst p95 added delay ${worstP95.toFixed(2)} s over every T (goal: at most 3 s), `
    + `highest request rate ${worstRate.toFixed(2)}/s (goal: at most 1/s). At T = 30 min its p95 is ${ratio(UPSTREAM_LOOP)} lower than the `
    + `upstream loop's and ${ratio(BACKOFF)} lower than restart back-off's (model).`,
    '',
  );
  return { markdown: lines.join('\n'), svg: svgPlot(stats) };
}

function svgPlot(stats: Array<{ method: string; t: number; p95: number }>): string {
  const width = 900;
  const height = 420;
  const left = 70;
  const right = 300;
  const top = 30;
  const bottom = 50;
  const methods = [...new Set(stats.map((s) => s.method))];
  const colors = ['#1b6ac9', '#7fb2ec', '#2e9e44', '#d9822b', '#c23030', '#7a3db8'];
  const ts = [...new Set(stats.map((s) => s.t))].sort((a, b) => a - b);
  const x = (t: number) => left + ((Math.log10(t) - Math.log10(ts[0])) / (Math.log10(ts[ts.length - 1]) - Math.log10(ts[0]))) * (width - left - right);
  const maxY = Math.max(...stats.map((s) => s.p95)) * 1.1;
  const y = (v: number) => height - bottom - (Math.log10(1 + v) / Math.log10(1 + maxY)) * (height - top - bottom);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="${left}" y="18" font-size="14">p95 added delay after vLLM is ready, by ready time T (log scales)</text>`,
    `<line x1="${left}" y1="${height - bottom}" x2="${width - right}" y2="${height - bottom}" stroke="black"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${height - bottom}" stroke="black"/>`,
    `<text x="${(left + width - right) / 2}" y="${height - 12}" text-anchor="middle">T: seconds until vLLM /health turns 200</text>`,
    `<text x="16" y="${(top + height - bottom) / 2}" transform="rotate(-90 16 ${(top + height - bottom) / 2})" text-anchor="middle">p95 added delay (s)</text>`,
    // Label ticks that are far enough apart on the log axis to stay readable.
    ...ts.filter((t, i) => i === 0 || x(t) - x(ts[i - 1]) > 24 || t === ts[ts.length - 1])
      .map((t) => `<text x="${x(t)}" y="${height - bottom + 16}" text-anchor="middle">${t}</text>`),
    ...[0, 1, 3, 5, 10, 30, 100, 300].filter((v) => v <= maxY).map((v) => `<line x1="${left - 4}" y1="${y(v)}" x2="${width - right}" y2="${y(v)}" stroke="#ddd"/><text x="${left - 8}" y="${y(v) + 4}" text-anchor="end">${v}</text>`),
    `<line x1="${left}" y1="${y(3)}" x2="${width - right}" y2="${y(3)}" stroke="#888" stroke-dasharray="4 3"/><text x="${width - right + 4}" y="${y(3) + 4}" fill="#555">3 s goal</text>`,
  ];
  methods.forEach((method, i) => {
    const points = stats.filter((s) => s.method === method).sort((a, b) => a.t - b.t);
    const color = colors[i % colors.length];
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="${i === 0 ? 3 : 2}" points="${points.map((p) => `${x(p.t).toFixed(1)},${y(p.p95).toFixed(1)}`).join(' ')}"/>`);
    parts.push(...points.map((p) => `<circle cx="${x(p.t).toFixed(1)}" cy="${y(p.p95).toFixed(1)}" r="3" fill="${color}"/>`));
    parts.push(`<rect x="${width - right + 10}" y="${top + 40 + i * 22}" width="12" height="12" fill="${color}"/><text x="${width - right + 28}" y="${top + 50 + i * 22}">${method.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

main().catch((error) => {
  process.stderr.write(`bench:startup failed: ${error.stack ?? error}\n`);
  process.exit(1);
});
