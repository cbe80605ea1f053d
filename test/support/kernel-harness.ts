import { ChildProcess, spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Dataplane, Mesh, MtlsMode } from '../../src/internal';
import { Manifest } from '../helpers';
import { meshWire, NatRule, ReplayMode, Wire } from './meshes';
import { policyDrops, PolicyEndpoint, routerFilterRules } from './network-policy-model';

// Replays a synthesized h2oGPT pod's startup through real Linux networking. Three network
// namespaces per replay: h2oGPT's pod, vLLM's pods, and a node between them that routes and
// enforces the manifest's NetworkPolicies as a CNI does (./network-policy-model.ts). In the pods,
// the capture rules each mesh installs (from the meshes' own sources, cited below), a client
// proxy stand-in that reads SO_ORIGINAL_DST (kernel/forwarder.pl) and dials what its mesh dials,
// an inbound proxy stand-in that refuses plaintext under STRICT (kernel/upstream.pl), and the
// exact waiter bytes from the ConfigMap, run with the UID and env the manifest gives.
// Nothing here reads the library's rule engine or policy code: the start order, the rules and the
// wire are Kubernetes' and the meshes', written out independently, so the suite can disagree.
//
// Verdicts come from evidence, never from a clock (issue #22): a waiter that exits 0 started, and
// vLLM's log names the path its 200 took; a waiter that has failed REPEATED attempts is judged by
// what the kernel and the stand-ins counted (captured and refused with no proxy yet, dropped by a
// NetworkPolicy, refused as plaintext by STRICT). A slow machine makes a replay slower, not
// different. CEILING_MS only stops a real hang, and is reported as a harness failure.

// The stand-ins are Perl (perl-base, on every Debian system): it starts in a few milliseconds.
export const PERL = '/usr/bin/perl';

/** Failed attempts a failure verdict waits for: the same evidence, twice. */
export const REPEATED = 2;
/** Per waiter: a start takes about 3 s idle; only a hang reaches this. */
const CEILING_MS = 60_000;

/** How a startup ended. */
export type KernelOutcome = 'started' | 'deadlock' | 'plaintext-rejected' | 'blocked';

/** A replay that reached no verdict: the harness, not the pod, failed. */
export class HarnessError extends Error {}

/** The mode of a replay, as the harness reads it. */
export type { ReplayMode } from './meshes';

/**
 * For a test file of the kernel suites: why this machine cannot run `what`, or undefined when it
 * can. In CI that is a failure, never a skip; elsewhere a skipped test says why, and the summary
 * jest prints lists it (test/support/skip-reporter.js).
 */
export function kernelSuiteUnavailable(what: string): string | undefined {
  const unavailable = kernelUnavailable();
  if (unavailable && process.env.CI) throw new Error(`${what} cannot run in CI: ${unavailable}`);
  if (unavailable) test.skip(`cannot run here: ${what} (${unavailable})`, () => undefined);
  return unavailable;
}

/** Why this machine cannot run the suite, or undefined when it can. */
function kernelUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'it needs root (network namespaces and iptables)';
  for (const tool of ['ip', 'iptables', 'setpriv', 'busybox', 'bash', 'curl', PERL]) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed (.ci/run installs iptables, busybox, curl and perl-base from Debian)`;
  }
  const probe = `k8h-probe-${process.pid}`;
  const added = spawnSync('ip', ['netns', 'add', probe]).status === 0;
  if (!added) return '`ip netns add` is not permitted here';
  const nat = spawnSync('ip', ['netns', 'exec', probe, 'iptables', '-t', 'nat', '-L']).status === 0;
  spawnSync('ip', ['netns', 'del', probe]);
  return nat ? undefined : 'iptables cannot use the nat table in a new network namespace';
}

/** Every namespace this process makes is named `${PREFIX}-...`; the pid says whose it is. */
export const PREFIX = `k8h${process.pid}`;

let tools: { dir: string; busyboxPath: string; reaper: ChildProcess } | undefined;
/**
 * Files every simulated UID can read: the stand-ins and a busybox PATH, made once per process
 * (installing busybox's applets costs about 60 ms of system time), and the waiter script, one
 * file per distinct content. The first call also clears what crashed runs left, and starts the
 * reaper that clears this process's own leftovers if it dies without sweepNamespaces().
 */
export function sharedDir(script: string): { dir: string; busyboxPath: string; script: string } {
  if (!tools || !existsSync(tools.dir)) {
    sweepStale();
    const dir = mkdtempSync(join(tmpdir(), 'cdk8s-h2ogpt-kernel-'));
    chmodSync(dir, 0o755);
    for (const file of readdirSync(join(__dirname, 'kernel'))) {
      copyFileSync(join(__dirname, 'kernel', file), join(dir, file));
      chmodSync(join(dir, file), 0o755);
    }
    const busyboxPath = join(dir, 'busybox-bin');
    mkdirSync(busyboxPath);
    spawnSync('busybox', ['--install', '-s', busyboxPath]);
    chmodSync(busyboxPath, 0o755);
    const reaper = spawn(PERL, [join(dir, 'reaper.pl'), PREFIX, dir], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    reaper.unref();
    (reaper.stdin as unknown as { unref(): void }).unref();
    tools = { dir, busyboxPath, reaper };
  }
  const path = join(tools.dir, `wait-for-upstream-${createHash('sha256').update(script).digest('hex').slice(0, 16)}.sh`);
  if (!existsSync(path)) writeFileSync(path, script, { mode: 0o644 });
  return { dir: tools.dir, busyboxPath: tools.busyboxPath, script: path };
}

/** The reaper of this process, and the folder it clears (for the test that kills a replay). */
export function reaperOf(): { pid: number; dir: string } | undefined {
  return tools && { pid: tools.reaper.pid!, dir: tools.dir };
}

/**
 * Runs one setup command. Asynchronous on purpose: a replay runs about twenty of these, and a
 * blocking spawn would hold every other replay for the duration.
 */
export function run(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(args[0], args.slice(1), { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (input !== undefined) child.stdin!.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => { stdout += d; });
    child.stderr!.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${args.join(' ')} failed: ${stderr}`))));
  });
}

/**
 * The processes in a named network namespace, found as `ip netns pids` finds them:
 * /proc/<pid>/ns/net is the namespace's inode. In this process: two spawns fewer per replay.
 */
function pidsIn(ns: string): number[] {
  let inode: number;
  try {
    inode = statSync(`/run/netns/${ns}`).ino;
  } catch {
    return []; // already gone
  }
  return pidsWithNetns([inode]);
}

/** Processes whose network namespace is one of `inodes`. */
export function pidsWithNetns(inodes: number[]): number[] {
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).filter((pid) => {
    try {
      return inodes.includes(statSync(`/proc/${pid}/ns/net`).ino);
    } catch {
      return false; // exited meanwhile
    }
  }).map(Number);
}

/** Kills what is in namespace `ns`, until nothing is: a shell may fork as it dies. */
export function killAllIn(ns: string): void {
  for (let round = 0; round < 50; round++) {
    const pids = pidsIn(ns);
    if (pids.length === 0) break;
    pids.forEach((pid) => { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } });
  }
}

function removeNamespace(ns: string): void {
  killAllIn(ns);
  spawnSync('ip', ['netns', 'del', ns]);
  rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
}

function namespaces(): string[] {
  return (spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '').split('\n').map((line) => line.split(' ')[0]).filter(Boolean);
}

/** Namespaces of the suite's naming whose process is gone: a run that crashed before its reaper ran. */
export function sweepStale(): void {
  for (const ns of namespaces()) {
    const owner = /^k8h(\d+)-/.exec(ns)?.[1];
    if (!owner || Number(owner) === process.pid) continue;
    try {
      process.kill(Number(owner), 0);
    } catch {
      removeNamespace(ns);
    }
  }
}

/** Removes every namespace, hosts file and shared file this process made; safe to call more than once. */
export function sweepNamespaces(): void {
  if (tools) {
    rmSync(tools.dir, { recursive: true, force: true });
    tools.reaper.stdin!.end(); // its sweep now finds nothing left, and it exits
  }
  tools = undefined;
  for (const ns of namespaces()) if (ns.startsWith(`${PREFIX}-`)) removeNamespace(ns);
}

/** The mesh's outbound capture for a pod of `mode` (test/support/meshes/). */
function outboundCapture(mode: ReplayMode, annotations: Record<string, string>): NatRule[] {
  return meshWire(mode.mesh)?.outboundCapture(mode, annotations) ?? [];
}

/** The mesh's wire between the two pods (test/support/meshes/); none without a mesh. */
function wireOf(mode: ReplayMode): Wire {
  return meshWire(mode.mesh)?.wire(mode) ?? { inboundPorts: [], inboundCapture: [] };
}

/** nat rules as one iptables-restore transaction, as istio-iptables and linkerd2-proxy-init apply theirs. */
export function natRestore(rules: NatRule[]): string {
  const lines = rules.map(([verb, ...rest]) => {
    if (!['-N', '-A'].includes(verb) || rest.some((word) => /\s/.test(word))) throw new Error(`natRestore handles -N and -A rules only: ${verb} ${rest.join(' ')}`);
    return verb === '-N' ? `:${rest[0]} - [0:0]` : [verb, ...rest].join(' ');
  });
  return ['*nat', ...lines, 'COMMIT', ''].join('\n');
}

/** When the mesh's pieces arrive, in Kubernetes' start order for the mode (docs/mesh-facts.md §1). */
function schedule(mode: ReplayMode): { rules: 'before-inits' | 'after-inits' | 'never'; proxy: 'before-inits' | 'after-inits' | 'never' } {
  if (mode.mesh === Mesh.NONE) return { rules: 'never', proxy: 'never' };
  switch (mode.dataplane) {
    case Dataplane.AMBIENT:
      return { rules: 'before-inits', proxy: 'before-inits' }; // istio-cni holds the pod until ztunnel has it
    case Dataplane.NATIVE_SIDECAR:
      return { rules: 'before-inits', proxy: 'before-inits' };
    default:
      // Classic: the proxy is a regular container, after every init container. With CNI the rules
      // exist from pod network setup; without, the mesh's init container, appended last, adds them.
      return { rules: mode.cni ? 'before-inits' : 'after-inits', proxy: 'after-inits' };
  }
}

/** A process of the replay, with its output so far and a way to wait on it. */
export class Started {
  public output = '';
  public readonly exited: Promise<number | null>;
  private readonly listeners = new Set<() => void>();

  public constructor(public readonly child: ChildProcess) {
    const heard = (d: Buffer) => {
      this.output += d;
      this.listeners.forEach((l) => l());
    };
    child.stdout!.on('data', heard);
    child.stderr!.on('data', heard);
    this.exited = new Promise((resolve) => child.on('close', (code) => {
      resolve(code);
      this.listeners.forEach((l) => l());
    }));
  }

  /** Calls `check` on every output and on exit, until it returns a value. Bounded by CEILING_MS, which only a hang reaches. */
  public until<T>(what: string, check: (exited: boolean) => T | undefined | Promise<T | undefined>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let done = false;
      let exited = false;
      let running = false;
      let again = false;
      const finish = (error: Error | undefined, value?: T) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.listeners.delete(listener);
        if (error) reject(error);
        else resolve(value as T);
      };
      // One check at a time; output that arrives meanwhile is checked once the first ends.
      const listener = async () => {
        if (running) {
          again = true;
          return;
        }
        running = true;
        try {
          do {
            again = false;
            const value = await check(exited);
            if (value !== undefined) return finish(undefined, value);
          } while (again && !done);
        } catch (error) {
          return finish(error as Error);
        } finally {
          running = false;
        }
      };
      const timer = setTimeout(() => finish(new HarnessError(`no verdict within ${CEILING_MS / 1000} s (${what}): ${this.output}`)), CEILING_MS);
      this.listeners.add(listener);
      void this.exited.then(() => { exited = true; void listener(); });
      void listener();
    });
  }
}

export function start(ns: string, args: string[], env: Record<string, string> = {}): Started {
  // Absolute paths: the env's PATH is the container's (busybox applets), not the host's.
  return new Started(spawn('/usr/sbin/ip', ['netns', 'exec', ns, ...args], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
}

export async function listening(helper: Started): Promise<void> {
  await helper.until('a stand-in starting', (exited) => {
    if (helper.output.includes('listening')) return true;
    if (exited) throw new HarnessError(`a stand-in exited before listening: ${helper.output}`);
    return undefined;
  });
}

/**
 * Runs `replay` on every item, `parallel` at a time, each with an index of its own (1-250, as
 * the replays number their addresses). An item that reaches no verdict keeps its error for its
 * own test to report, and the others go on.
 */
export async function replayEach<T extends { error?: Error }>(items: T[], parallel: number, replay: (item: T, index: number) => Promise<void>): Promise<void> {
  if (items.length > 250) throw new Error(`${items.length} replays: the harness numbers its addresses 1-250`);
  process.once('SIGINT', () => { sweepNamespaces(); process.exit(130); });
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      try {
        await replay(items[index], index + 1);
      } catch (error) {
        items[index].error = error as Error;
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

/** The result of one replayed startup. */
export interface KernelRun {
  readonly outcome: KernelOutcome;
  /** What the verdict rests on, as the kernel table prints it: the path of vLLM's 200s, or what refused or dropped. */
  readonly evidence: string;
  /** What the waiters printed. */
  readonly log: string;
  /** What vLLM's side printed (answers, refusals). */
  readonly upstreamLog: string;
}

/** Hooks for tests of the harness itself. */
export interface ReplayHooks {
  /** Called once the first waiter runs, with the namespaces' inodes. */
  readonly onWaiting?: (inodes: number[]) => void;
}

/** A failure verdict, once its evidence has been seen. */
type Failure = { outcome: Exclude<KernelOutcome, 'started'>; evidence: string };

/**
 * Replays the startup of the h2oGPT Deployment in `objects` under `mode`, in namespaces numbered
 * `index` (1-250, unique among replays running at once).
 */
export async function replayStartup(index: number, mode: ReplayMode, objects: Manifest[], hooks: ReplayHooks = {}): Promise<KernelRun> {
  const front = objects.find((o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/name'] === 'h2ogpt')!;
  // Every vLLM server of the manifest, each on an address of its own in the vLLM namespace.
  const servers = objects.filter((o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/name'] === 'vllm')
    .map((d, k) => ({ deployment: d, name: d.metadata.name, port: d.spec.template.spec.containers[0].ports.find((p: any) => p.name === 'http').containerPort as number, ip: `198.19.${index}.${2 + k}` }));
  const configMap = objects.find((o) => o.kind === 'ConfigMap');
  const template = front.spec.template;
  const annotations: Record<string, string> = template.metadata.annotations ?? {};
  const spec = template.spec;
  const shared = sharedDir(configMap?.data?.['wait-for-upstream.sh'] ?? '');
  const wire = wireOf(mode);
  const strict = mode.mesh !== Mesh.NONE && mode.mtls === MtlsMode.STRICT;
  // The pod's own /tmp (an emptyDir in the manifest): a killed waiter leaves its mktemp folder there.
  const podTmp = mkdtempSync(join(shared.dir, 'tmp-'));
  chmodSync(podTmp, 0o1777);
  const [pod, vllm, node] = ['p', 'v', 'n'].map((role) => `${PREFIX}-${index}-${role}`);
  const podIp = `198.18.${index}.1`;
  const processes: Started[] = [];
  try {
    // One `ip -batch` per step rather than a process per command: spawning from a loaded Node.js
    // process is most of a replay's setup time. 198.18.0.0/15 is reserved for benchmarking: it
    // cannot collide with a real network.
    await run(['ip', '-batch', '-'], [
      `netns add ${pod}`, `netns add ${vllm}`, `netns add ${node}`,
      `link add k${index}p netns ${pod} type veth peer name k${index}np netns ${node}`,
      `link add k${index}v netns ${vllm} type veth peer name k${index}nv netns ${node}`, '',
    ].join('\n'));
    const side = (dev: string, ips: string[], gateway: string) => [...ips.map((ip) => `addr add ${ip}/24 dev ${dev}`), `link set ${dev} up`, 'link set lo up', `route add default via ${gateway}`, ''].join('\n');
    await Promise.all([
      run(['ip', '-n', pod, '-batch', '-'], side(`k${index}p`, [podIp], `198.18.${index}.254`)),
      run(['ip', '-n', vllm, '-batch', '-'], side(`k${index}v`, servers.map((s) => s.ip), `198.19.${index}.254`)),
      run(['ip', '-n', node, '-batch', '-'], [`addr add 198.18.${index}.254/24 dev k${index}np`, `addr add 198.19.${index}.254/24 dev k${index}nv`,
        `link set k${index}np up`, `link set k${index}nv up`, ''].join('\n')),
    ]);
    // The node: forwards between the pods, through the manifest's NetworkPolicies.
    const endpoint = (name: string, ip: string, deployment: Manifest): PolicyEndpoint => ({
      name, ip, namespace: deployment.metadata.namespace ?? 'default', labels: deployment.spec.template.metadata.labels ?? {},
      ports: deployment.spec.template.spec.containers.flatMap((c: any) => c.ports ?? []),
    });
    const endpoints = [endpoint(front.metadata.name, podIp, front), ...servers.map((s) => endpoint(s.name, s.ip, s.deployment))];
    const wirePorts = [...new Set([...servers.map((s) => s.port), ...(wire.proxy?.dial ? [wire.proxy.dial] : [])])];
    const policy = routerFilterRules(objects, endpoints, wirePorts);
    await run(['ip', 'netns', 'exec', node, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward && exec iptables-restore'], policy.restore);
    // `ip netns exec` mounts /etc/netns/<ns>/hosts over /etc/hosts: the Service names resolve.
    mkdirSync(`/etc/netns/${pod}`, { recursive: true });
    writeFileSync(`/etc/netns/${pod}/hosts`, `127.0.0.1 localhost\n${servers.map((s) => `${s.ip} ${s.name}\n`).join('')}`);

    // vLLM's side: its pods' inbound capture, a server per port and the mesh's inbound proxy.
    if (wire.inboundCapture.length > 0) await run(['ip', 'netns', 'exec', vllm, 'iptables-restore', '--noflush'], natRestore(wire.inboundCapture));
    const ports = [...new Set(servers.map((s) => s.port))];
    const upstream = start(vllm, [PERL, join(shared.dir, 'upstream.pl'), strict ? '1' : '0', wire.inboundPorts.join(',') || '-', ...ports.map(String)]);
    processes.push(upstream);
    await listening(upstream);

    const plan = schedule(mode);
    const installRules = () => run(['ip', 'netns', 'exec', pod, 'iptables-restore', '--noflush'], natRestore(outboundCapture(mode, annotations)));
    let proxyUp = false;
    const startProxy = async () => {
      const p = wire.proxy!;
      const args = [PERL, join(shared.dir, 'forwarder.pl'), String(p.listen), String(p.dial), ...(p.mark ? [p.mark] : [])];
      const proxy = start(pod, p.uid === undefined ? args : ['/usr/bin/setpriv', `--reuid=${p.uid}`, `--regid=${p.uid}`, '--clear-groups', ...args]);
      processes.push(proxy);
      await listening(proxy);
      proxyUp = true;
    };
    if (plan.rules === 'before-inits') await installRules();
    if (plan.proxy === 'before-inits') await startProxy();

    /** What refused, dropped or captured the waiter's attempts, in the order a packet meets them. */
    const failureEvidence = async (): Promise<Failure | undefined> => {
      if (!proxyUp && plan.rules !== 'never') {
        const counters = await run(['ip', 'netns', 'exec', pod, 'iptables', '-t', 'nat', '-L', '-v', '-x', '-n']);
        const redirect = counters.split('\n').find((l) => / REDIRECT /.test(l) && new RegExp(`redir ports ${wire.proxy!.listen}\\b`).test(l));
        if (redirect && Number(redirect.trim().split(/\s+/)[0]) >= REPEATED) return { outcome: 'deadlock', evidence: `refused at ${wire.proxy!.listen}` };
      }
      if (policy.chains.length > 0) {
        const drops = policyDrops(await run(['ip', 'netns', 'exec', node, 'iptables', '-L', '-v', '-x', '-n']), policy.chains);
        if (drops.length > 0) return { outcome: 'blocked', evidence: drops.map((d) => `${d.pod} ${d.direction} ${d.port}`).join(', ') };
      }
      const refusals = upstream.output.match(/^refused plaintext for \d+ at \d+$/gm) ?? [];
      if (refusals.length >= REPEATED) return { outcome: 'plaintext-rejected', evidence: `STRICT at ${/at (\d+)$/.exec(refusals[0]!)![1]}` };
      return undefined;
    };

    /**
     * Waits until `waiter` exits 0, or its attempts failed REPEATED times with evidence. Ours logs
     * each failed attempt of its current URL; a foreign loop (busybox wget) prints a line per failure.
     */
    const settle = (waiter: Started, ours: boolean, exitedWell: () => boolean) => waiter.until<Failure | 'ok'>('a waiter', async (exited) => {
      if (exited) return exitedWell() ? 'ok' : (await failureEvidence()) ?? failedWithout(waiter);
      const failed = ours ? (waiter.output.slice(waiter.output.lastIndexOf('waiting for ')).match(/attempt \d+: \S+ not ready/g) ?? []).length
        : waiter.output.split('\n').filter(Boolean).length;
      return failed >= REPEATED ? failureEvidence() : undefined;
    });
    const failedWithout = (waiter: Started): never => {
      throw new HarnessError(`a waiter exited without starting, and nothing refused, dropped or captured it: ${waiter.output}`);
    };

    let log = '';
    const podUid = spec.securityContext?.runAsUser ?? 0;
    const podGid = spec.securityContext?.runAsGroup ?? podUid;
    const as = (c: any) => ['/usr/bin/setpriv', `--reuid=${c.securityContext?.runAsUser ?? podUid}`, `--regid=${podGid}`, '--clear-groups'];
    const envOf = (c: any) => Object.fromEntries((c.env ?? []).filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
    let waiters = 0;
    const waited = async (waiter: Started, ours: boolean, exitedWell: () => boolean): Promise<Failure | undefined> => {
      processes.push(waiter);
      if (waiters++ === 0 && hooks.onWaiting) {
        // Once it has printed, it runs inside the pod's namespace (`ip netns exec` has switched).
        const inodes = [pod, vllm, node].map((ns) => statSync(`/run/netns/${ns}`).ino);
        void waiter.until('the waiter starting', (exited) => (waiter.output !== '' || exited ? true : undefined)).then(() => hooks.onWaiting!(inodes), () => undefined);
      }
      const result = await settle(waiter, ours, exitedWell);
      log += waiter.output;
      return result === 'ok' ? undefined : result;
    };
    const notStarted = (failure: Failure): KernelRun => ({ ...failure, log, upstreamLog: upstream.output });

    for (const init of spec.initContainers ?? []) {
      // The library's waiter runs from the ConfigMap's bytes; any other init container runs its own
      // command, with busybox's applets as its image's tools.
      const ours = init.command?.[1]?.endsWith('wait-for-upstream.sh');
      const command = ours ? [join(shared.busyboxPath, 'sh'), shared.script]
        : [...(init.command ?? []), ...(init.args ?? [])].map((word: string, i: number) => (i === 0 && !word.startsWith('/') ? join(shared.busyboxPath, word) : word));
      const waiter = start(pod, [...as(init), ...command], { ...envOf(init), PATH: shared.busyboxPath, TMPDIR: podTmp });
      const failure = await waited(waiter, ours, () => waiter.child.exitCode === 0);
      if (failure) return notStarted(failure);
    }
    if (plan.rules === 'after-inits') await installRules();
    if (plan.proxy === 'after-inits') await startProxy(); // with hold-until-proxy: ready before the app

    const app = spec.containers[0];
    if (app.command?.[1]?.endsWith('wait-for-upstream.sh')) {
      // In-app form: bash + curl, the command as written (a chain of waiters with several
      // servers), its waiter path pointed at the script's bytes and generate.py replaced by a stand-in.
      const command: string[] = app.command.map((word: string) => (word.endsWith('/wait-for-upstream.sh') ? shared.script : word));
      const generate = command.lastIndexOf('python3');
      if (generate < 0) throw new Error(`the in-app command does not end in generate.py: ${app.command.join(' ')}`);
      const waiter = start(pod, [...as(app), ...command.slice(0, generate), 'sh', '-c', 'echo started'], { ...envOf(app), PATH: '/usr/bin:/bin', TMPDIR: podTmp });
      const failure = await waited(waiter, true, () => waiter.child.exitCode === 0 && waiter.output.includes('started'));
      if (failure) return notStarted(failure);
    }

    // Started: each URL the waiters called ready got its 200 from vLLM, and vLLM says by which path.
    const readyPorts = [...log.matchAll(/attempt \d+: http:\/\/[^:/]+:(\d+)\/\S* is ready/g)].map((m) => Number(m[1]));
    const paths = await upstream.until('vLLM logging its answers', () => {
      const found = readyPorts.map((port) => new RegExp(`^served 200 GET /health on ${port} via (.+)$`, 'm').exec(upstream.output)?.[1]);
      return found.every((path) => path !== undefined) ? found as string[] : undefined;
    });
    return { outcome: 'started', evidence: [...new Set(paths)].join(', ') || 'no wait', log, upstreamLog: upstream.output };
  } finally {
    // Everything in the namespaces first: a stand-in's child (a connect the policy drops) holds
    // its parent's output pipe open, and the parent's 'close' waits for it.
    for (const p of processes) p.child.kill('SIGKILL');
    for (const ns of [pod, vllm, node]) killAllIn(ns);
    await Promise.all(processes.map((p) => p.exited));
    // -force: go on past a namespace that is already gone; sweepNamespaces() and the reaper retry.
    await run(['ip', '-force', '-batch', '-'], `netns del ${pod}\nnetns del ${vllm}\nnetns del ${node}\n`).catch(() => undefined);
    rmSync(`/etc/netns/${pod}`, { recursive: true, force: true });
    rmSync(podTmp, { recursive: true, force: true });
  }
}
