import { ChildProcess, spawn, spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'http';
import { Socket } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { App, Chart } from 'cdk8s';
import { H2oGptStack } from '../../src/stack/h2ogpt-stack';

// Runs the waiter as the real process it is: the exact bytes synthesis writes into the ConfigMap,
// under the shell and tools each target image has, against servers on 127.0.0.1.

// This process's helpers, script copies and the waiters' TMPDIR; a test file removes it at its end
// (bench/startup.ts, which has no afterAll, leaves it in the OS's temporary folder).
const scratch = mkdtempSync(join(tmpdir(), 'cdk8s-h2ogpt-waiter-'));
const jestAfterAll = (globalThis as { afterAll?: (fn: () => void) => void }).afterAll;
if (jestAfterAll) jestAfterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The waiter script as synthesized (ConfigMap data), written to a file once per process. */
export function synthesizedWaiterScript(): string {
  const file = join(scratch, 'wait-for-upstream.sh');
  if (existsSync(file)) return file;
  const app = new App({ outdir: join(scratch, 'dist') });
  const chart = new Chart(app, 'waiter', { disableResourceNameHashes: true });
  new H2oGptStack(chart, 'stack', { vllm: { model: 'm' } });
  const configMap = chart.toJson().find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'h2ogpt-startup-waiter');
  const script = configMap?.data?.['wait-for-upstream.sh'];
  if (typeof script !== 'string') throw new Error('the synthesized stack has no waiter ConfigMap');
  writeFileSync(file, script);
  return file;
}

/** A shell and tool set matching one target image. */
export interface WaiterForm {
  readonly name: string;
  /** The command that runs the script: the script path and arguments follow. */
  readonly shell: string[];
  /** PATH inside the "image". */
  readonly path: string;
  /** Why it cannot run here, if it cannot. */
  readonly missing?: string;
}

function which(tool: string): string | undefined {
  const result = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** A PATH with every tool of /usr/bin and /bin except `hidden`. */
function pathWithout(hidden: string[]): string {
  const dir = join(scratch, `path-without-${hidden.join('-')}`);
  if (!existsSync(dir)) {
    mkdirSync(dir);
    for (const source of ['/usr/bin', '/bin']) {
      for (const entry of readdirSync(source)) {
        if (hidden.includes(entry) || existsSync(join(dir, entry))) continue;
        symlinkSync(join(source, entry), join(dir, entry));
      }
    }
  }
  return dir;
}

/** A PATH holding only busybox applets, like the busybox image. */
function busyboxPath(busybox: string): string {
  const dir = join(scratch, 'busybox-bin');
  if (!existsSync(dir)) {
    mkdirSync(dir);
    spawnSync(busybox, ['--install', '-s', dir]);
  }
  return dir;
}

/**
 * The forms, each PATH folder made when a test first reads it: a folder is a symlink per tool of
 * /usr/bin (about 3 s of system time for the three, when every waiter file made them all).
 */
export function waiterForms(): WaiterForm[] {
  const busybox = which('busybox');
  const wget = which('wget');
  return [
    { name: 'in-app: bash + curl (h2oGPT image)', shell: ['bash'], get path() { return pathWithout(['wget']); }, missing: which('curl') ? undefined : 'curl is not installed' },
    { name: 'in-app: bash + GNU wget (h2oGPT image without curl)', shell: ['bash'], get path() { return pathWithout(['curl']); }, missing: wget ? undefined : 'wget is not installed' },
    {
      name: 'init container: busybox sh + wget (busybox image)',
      shell: busybox ? [busybox, 'sh'] : ['false'],
      get path() { return busybox ? busyboxPath(busybox) : ''; },
      missing: busybox ? undefined : 'busybox is not installed (.ci/run installs Debian\'s busybox)',
    },
  ];
}

/** Forms that can run here. In CI a missing form is a failure, never a skip. */
export function runnableForms(): WaiterForm[] {
  const forms = waiterForms();
  for (const form of forms.filter((f) => f.missing)) {
    if (process.env.CI) throw new Error(`waiter form "${form.name}" cannot run in CI: ${form.missing}`);
    // eslint-disable-next-line no-console
    console.warn(`skipping waiter form "${form.name}": ${form.missing}`);
  }
  return forms.filter((f) => !f.missing);
}

export interface WaiterExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Milliseconds from spawn to exit. */
  readonly elapsedMs: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunningWaiter {
  readonly child: ChildProcess;
  readonly startedAt: number;
  readonly exited: Promise<WaiterExit>;
  stderrSoFar(): string;
  /** Resolves once stderr matches, or rejects after `timeoutMs`. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

export interface StartOptions {
  readonly env: Record<string, string>;
  readonly args?: string[];
  /** Run inside a fresh network namespace with no route anywhere (needs `unshare -n`). */
  readonly isolatedNetwork?: boolean;
  /** Kill it after this long, whatever happens (a test must never hang). */
  readonly killAfterMs?: number;
  /** Run this script instead of the synthesized waiter (the benchmark's historic loop). */
  readonly scriptPath?: string;
  /** Pin it to these CPUs (`taskset -c`), e.g. "0". */
  readonly cpus?: string;
  /** Start it inside this cgroup (a cgroup v1 or v2 folder): see `CpuThrottle`. */
  readonly cgroup?: string;
}

export function startWaiter(form: WaiterForm, options: StartOptions): RunningWaiter {
  const command = [...form.shell, options.scriptPath ?? synthesizedWaiterScript(), ...(options.args ?? [])];
  const pinned = options.cpus !== undefined ? ['taskset', '-c', options.cpus, ...command] : command;
  // The shell joins the cgroup, then execs the waiter: every process the waiter forks stays in it.
  const grouped = options.cgroup !== undefined ? ['/bin/sh', '-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', options.cgroup, ...pinned] : pinned;
  const full = options.isolatedNetwork ? ['unshare', '-n', ...grouped] : grouped;
  const startedAt = Date.now();
  const child = spawn(full[0], full.slice(1), {
    env: { PATH: form.path, HOME: scratch, TMPDIR: scratch, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const listeners: Array<() => void> = [];
  child.stdout!.on('data', (d) => { stdout += d; });
  child.stderr!.on('data', (d) => { stderr += d; listeners.forEach((l) => l()); });
  const guard = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 30_000);
  const exited = new Promise<WaiterExit>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, elapsedMs: Date.now() - startedAt, stdout, stderr });
    });
  });
  return {
    child,
    startedAt,
    exited,
    stderrSoFar: () => stderr,
    waitForLog: (pattern, timeoutMs = 15_000) => new Promise<void>((resolve, reject) => {
      if (pattern.test(stderr)) return resolve();
      const timer = setTimeout(() => reject(new Error(`no log line matching ${pattern} within ${timeoutMs} ms; got:\n${stderr}`)), timeoutMs);
      listeners.push(() => {
        if (pattern.test(stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
    }),
  };
}

/**
 * A CPU bandwidth limit for a group of processes: CPU contention without burning a CPU. The
 * kernel runs the group for `quotaPercent` of each 100 ms period and stops all of it for the rest,
 * so a waiter's forked subshell can be frozen at any point of its start, as on a busy node.
 */
export class CpuThrottle {
  /** A fresh cgroup with this limit, or undefined where cgroups cannot be written (not root). */
  public static create(quotaPercent: number): CpuThrottle | undefined {
    const name = `cdk8s-h2ogpt-throttle-${process.pid}-${CpuThrottle.count++}`;
    for (const [root, limit] of [
      ['/sys/fs/cgroup/cpu', (dir: string) => {
        writeFileSync(join(dir, 'cpu.cfs_period_us'), '100000');
        writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quotaPercent * 1000));
      }],
      ['/sys/fs/cgroup', (dir: string) => writeFileSync(join(dir, 'cpu.max'), `${quotaPercent * 1000} 100000`)],
    ] as const) {
      const dir = join(root, name);
      try {
        if (!existsSync(join(root, root.endsWith('cpu') ? 'cpu.cfs_quota_us' : 'cgroup.controllers'))) continue;
        mkdirSync(dir);
        limit(dir);
        return new CpuThrottle(dir);
      } catch {
        try { rmdirSync(dir); } catch { /* never made */ }
      }
    }
    return undefined;
  }

  private static count = 0;

  private constructor(public readonly dir: string) {}

  /**
   * Kills what is left in the group (a watchdog's `sleep` can outlive its waiter by a moment, as
   * it would in a container until the runtime stops it), then removes the group.
   */
  public async remove(): Promise<void> {
    for (let tries = 0; ; tries++) {
      for (const pid of readFileSync(join(this.dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        try { process.kill(Number(pid), 'SIGKILL'); } catch { /* already gone */ }
      }
      try {
        rmdirSync(this.dir);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EBUSY' || tries >= 50) throw error;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
}

export type Behaviour = (req: IncomingMessage, res: ServerResponse) => void;

/** Ports 20000-31999, walked from an offset of this process's own. */
const BELOW_EPHEMERAL = { first: 20000, size: 12000, next: (process.pid * 37) % 12000 };

/** An HTTP server on 127.0.0.1 whose behaviour a test changes as it goes. */
export class TestServer {
  public static async start(behaviour: Behaviour = TestServer.status(200)): Promise<TestServer> {
    const server = new TestServer(behaviour);
    await server.listen(0);
    return server;
  }

  /**
   * A port nothing listens on, and no other test will bind: it is taken below the kernel's
   * ephemeral range (ip_local_port_range starts at 32768), where listen(0) never hands out a
   * port. A port released from that range was given again at once to a server of a concurrent
   * test, whose 200 then answered a waiter that was meant to be refused (seen in CI's first run).
   * Each process starts at its own offset; a port in use is skipped.
   */
  public static async unusedPort(): Promise<TestServer> {
    for (let tries = 0; tries < 2000; tries++) {
      const port = BELOW_EPHEMERAL.first + ((BELOW_EPHEMERAL.next++) % BELOW_EPHEMERAL.size);
      const server = new TestServer(TestServer.status(200));
      try {
        await server.listen(port);
      } catch {
        continue; // in use: another process's
      }
      await server.close();
      return server;
    }
    throw new Error('no unused port below the ephemeral range');
  }

  /** Answers with this status. */
  public static status(code: number): Behaviour {
    return (_req, res) => { res.writeHead(code, { 'content-type': 'text/plain' }); res.end(`${code}\n`); };
  }

  /** Accepts the request and never answers. */
  public static hang(): Behaviour {
    return () => undefined;
  }

  /** Starts a response, then resets the connection. */
  public static resetMidResponse(): Behaviour {
    return (req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('partial');
      setTimeout(() => (req.socket as Socket).resetAndDestroy(), 20);
    };
  }

  /** Answers the request with these raw bytes, then closes: no HTTP status line unless they hold one. */
  public static raw(bytes: string): Behaviour {
    return (req) => { (req.socket as Socket).end(bytes); };
  }

  public behaviour: Behaviour;
  /** When each request arrived (ms since epoch). */
  public readonly requests: number[] = [];
  public port = 0;
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  private constructor(behaviour: Behaviour) {
    this.behaviour = behaviour;
  }

  public get url(): string {
    return `http://127.0.0.1:${this.port}/health`;
  }

  /** Listens on `port` (0: any free port). */
  public listen(port: number): Promise<void> {
    const server = createServer((req, res) => {
      this.requests.push(Date.now());
      this.behaviour(req, res);
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        this.port = (server.address() as { port: number }).port;
        resolve();
      });
    });
  }

  /** Stops listening and drops every open connection. */
  public close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

/**
 * The first `count` pauses (milliseconds) the synthesized script would take with these pause
 * settings, printed by the script itself (WAIT_PRINT_SCHEDULE) under `form`'s shell.
 */
export function printedSchedule(form: WaiterForm, pauses: { initial: number; max: number }, count: number): number[] {
  const result = spawnSync(form.shell[0], [...form.shell.slice(1), synthesizedWaiterScript()], {
    env: {
      PATH: form.path, TMPDIR: scratch, WAIT_URL: 'http://127.0.0.1:1/', WAIT_PRINT_SCHEDULE: String(count),
      WAIT_INITIAL_DELAY_SECONDS: String(pauses.initial), WAIT_MAX_DELAY_SECONDS: String(pauses.max),
    },
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`WAIT_PRINT_SCHEDULE failed (exit ${result.status}): ${result.stderr}`);
  return result.stdout.trim().split('\n').map(Number);
}

/** Environment for a quick test: short pauses, a short attempt limit. */
export function fastSettings(url: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    WAIT_URL: url,
    WAIT_DEADLINE_SECONDS: '20',
    WAIT_INITIAL_DELAY_SECONDS: '1',
    WAIT_MAX_DELAY_SECONDS: '1',
    WAIT_ATTEMPT_TIMEOUT_SECONDS: '2',
    ...overrides,
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
