import { ChildProcess, spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Dataplane, Mesh, MeshMode, MtlsMode } from '../../src/internal';
import { Manifest } from '../helpers';

// Replays a synthesized h2oGPT pod's startup through real Linux networking: two network namespaces
// joined by a veth pair, the capture rules each mesh installs (transcribed from the meshes' own
// sources, cited below), a proxy stand-in that reads SO_ORIGINAL_DST (kernel/forwarder.pl), a
// STRICT or PERMISSIVE vLLM side (kernel/upstream.pl), and the exact waiter bytes from the
// ConfigMap, run with the UID and env the manifest gives.
// Nothing here reads the library's rule engine: the start order and the rules are Kubernetes' and
// the meshes', written out independently, so the suite can disagree with the engine.

// The stand-ins are Perl (perl-base, on every Debian system): it starts in a few milliseconds, where
// Python took about 90 here, and a cell starts two of them.
const PERL = '/usr/bin/perl';

/** How a startup ended. */
export type KernelOutcome = 'started' | 'deadlock' | 'plaintext-rejected';

/** Why this machine cannot run the suite, or undefined when it can. */
export function kernelUnavailable(): string | undefined {
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

const PREFIX = `k8h${process.pid}`;
const MESH_PORT = 15006; // the server side's inbound "mTLS" port in this model

let tools: { dir: string; busyboxPath: string } | undefined;
/**
 * Files every simulated UID can read: the helpers and a busybox PATH, made once per test process
 * (installing busybox's applets costs about 60 ms of system time: per cell, about 8 CPU-s over
 * the file), and the waiter script, one file per distinct content. sweepNamespaces() removes it.
 */
function sharedDir(script: string): { dir: string; busyboxPath: string; script: string } {
  if (!tools || !existsSync(tools.dir)) {
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
    tools = { dir, busyboxPath };
  }
  const path = join(tools.dir, `wait-for-upstream-${createHash('sha256').update(script).digest('hex').slice(0, 16)}.sh`);
  if (!existsSync(path)) writeFileSync(path, script, { mode: 0o644 });
  return { ...tools, script: path };
}

/**
 * Runs one setup command. Asynchronous on purpose: a cell runs about twenty of these, and a
 * blocking spawn would hold every other cell's startup (and its timers) for the duration.
 */
function run(args: string[], input?: string): Promise<string> {
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
 * The processes in a named network namespace (what a waiter left behind, its sleeps say), found
 * as `ip netns pids` finds them: /proc/<pid>/ns/net is the namespace's inode. In this process,
 * which saves two spawns per cell from a large jest worker.
 */
function pidsIn(ns: string): number[] {
  let inode: number;
  try {
    inode = statSync(`/run/netns/${ns}`).ino;
  } catch {
    return []; // already gone
  }
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).filter((pid) => {
    try {
      return statSync(`/proc/${pid}/ns/net`).ino === inode;
    } catch {
      return false; // exited meanwhile
    }
  }).map(Number);
}

/** Removes every namespace, hosts file and shared file this process made; safe to call more than once. */
export function sweepNamespaces(): void {
  if (tools) rmSync(tools.dir, { recursive: true, force: true });
  tools = undefined;
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0];
    if (name.startsWith(PREFIX)) {
      pidsIn(name).forEach((pid) => { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } });
      spawnSync('ip', ['netns', 'del', name]);
      rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
    }
  }
}

/**
 * The iptables rules a mesh installs in the pod's network namespace, with the pod's exclusions.
 * - Istio sidecar: tools/istio-iptables/pkg/capture/run.go (the CNI plugin writes the same chains,
 *   cni/pkg/plugin/testdata/*.golden): RETURN for UID and GID 1337, loopback and excluded ports,
 *   then REDIRECT to 15001. `excludeOutboundPorts` replaces the default list.
 * - Istio ambient, in-pod: cni/pkg/iptables/testdata/default.golden: what ztunnel did not mark
 *   0x539 goes to its 15001.
 * - Linkerd: linkerd2-proxy-init pkg/iptables/iptables.go addOutgoingTrafficRules: RETURN for UID
 *   2102, `-o lo` and skipped ports, then REDIRECT to 4140.
 */
function captureRules(mode: MeshMode, annotations: Record<string, string>): string[][] {
  const nat = (...rule: string[]) => ['iptables', '-t', 'nat', ...rule];
  if (mode.mesh === Mesh.ISTIO && mode.dataplane === Dataplane.AMBIENT) {
    return [
      nat('-N', 'ISTIO_OUTPUT'), nat('-A', 'OUTPUT', '-p', 'tcp', '-j', 'ISTIO_OUTPUT'),
      nat('-A', 'ISTIO_OUTPUT', '-m', 'mark', '--mark', '0x539/0xfff', '-j', 'RETURN'),
      nat('-A', 'ISTIO_OUTPUT', '-d', '127.0.0.1/32', '-j', 'RETURN'),
      nat('-A', 'ISTIO_OUTPUT', '-p', 'tcp', '-j', 'REDIRECT', '--to-ports', '15001'),
    ];
  }
  if (mode.mesh === Mesh.ISTIO) {
    const excluded = (annotations['traffic.sidecar.istio.io/excludeOutboundPorts'] ?? '15020').split(',').filter(Boolean);
    return [
      nat('-N', 'ISTIO_OUTPUT'), nat('-N', 'ISTIO_REDIRECT'),
      nat('-A', 'OUTPUT', '-p', 'tcp', '-j', 'ISTIO_OUTPUT'),
      nat('-A', 'ISTIO_REDIRECT', '-p', 'tcp', '-j', 'REDIRECT', '--to-ports', '15001'),
      ...excluded.map((port) => nat('-A', 'ISTIO_OUTPUT', '-p', 'tcp', '--dport', port.trim(), '-j', 'RETURN')),
      nat('-A', 'ISTIO_OUTPUT', '-o', 'lo', '-j', 'RETURN'),
      nat('-A', 'ISTIO_OUTPUT', '-m', 'owner', '--uid-owner', '1337', '-j', 'RETURN'),
      nat('-A', 'ISTIO_OUTPUT', '-m', 'owner', '--gid-owner', '1337', '-j', 'RETURN'),
      nat('-A', 'ISTIO_OUTPUT', '-d', '127.0.0.1/32', '-j', 'RETURN'),
      nat('-A', 'ISTIO_OUTPUT', '-j', 'ISTIO_REDIRECT'),
    ];
  }
  const skipped = annotations['config.linkerd.io/skip-outbound-ports'] ?? '4567,4568';
  return [
    nat('-N', 'PROXY_INIT_OUTPUT'), nat('-A', 'OUTPUT', '-j', 'PROXY_INIT_OUTPUT'),
    nat('-A', 'PROXY_INIT_OUTPUT', '-m', 'owner', '--uid-owner', '2102', '-j', 'RETURN'),
    nat('-A', 'PROXY_INIT_OUTPUT', '-o', 'lo', '-j', 'RETURN'),
    nat('-A', 'PROXY_INIT_OUTPUT', '-p', 'tcp', '-m', 'multiport', '--dports', skipped, '-j', 'RETURN'),
    nat('-A', 'PROXY_INIT_OUTPUT', '-p', 'tcp', '-j', 'REDIRECT', '--to-port', '4140'),
  ];
}

/** `rules` (iptables -t nat ... commands) as one iptables-restore transaction. */
function restoreInput(rules: string[][]): string {
  const lines = rules.map((rule) => {
    const [tool, flag, table, verb, ...rest] = rule;
    if (tool !== 'iptables' || flag !== '-t' || table !== 'nat' || !['-N', '-A'].includes(verb) || rule.some((word) => /\s/.test(word))) {
      throw new Error(`restoreInput handles nat -N and -A rules only: ${rule.join(' ')}`);
    }
    return verb === '-N' ? `:${rest[0]} - [0:0]` : [verb, ...rest].join(' ');
  });
  return ['*nat', ...lines, 'COMMIT', ''].join('\n');
}

/** When the mesh's pieces arrive, in Kubernetes' start order for the mode (docs/mesh-facts.md §1). */
function schedule(mode: MeshMode): { rules: 'before-inits' | 'after-inits' | 'never'; proxy: 'before-inits' | 'after-inits' | 'never' } {
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

interface Started { child: ChildProcess; output: () => string; exited: Promise<number | null> }

function start(ns: string, args: string[], env: Record<string, string> = {}): Started {
  // Absolute paths: the env's PATH is the container's (busybox applets), not the host's.
  const child = spawn('/usr/sbin/ip', ['netns', 'exec', ns, ...args], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => { output += d; });
  child.stderr!.on('data', (d) => { output += d; });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function listening(process_: Started, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!process_.output().includes('listening')) {
    if (Date.now() > until) throw new Error(`a helper did not start: ${process_.output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The result of one replayed startup. */
export interface KernelRun {
  readonly outcome: KernelOutcome;
  /** What the waiter printed, for failures. */
  readonly log: string;
}

/**
 * Replays the startup of the h2oGPT Deployment in `objects` under `mode`. Bounded: a waiter still
 * waiting after `boundMs` (per wait, in a chain of in-app waiters) did not start, and the vLLM
 * side's counters tell a refused plaintext connection from one that never left the pod.
 */
export async function replayStartup(index: number, mode: MeshMode, objects: Manifest[], boundMs: number): Promise<KernelRun> {
  const front = objects.find((o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/name'] === 'h2ogpt')!;
  // Every vLLM server of the manifest, each on an address of its own in the upstream namespace.
  const servers = objects.filter((o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/name'] === 'vllm')
    .map((d, k) => ({ name: d.metadata.name, port: d.spec.template.spec.containers[0].ports.find((p: any) => p.name === 'http').containerPort as number, ip: `198.18.${index}.${2 + k}` }));
  const configMap = objects.find((o) => o.kind === 'ConfigMap');
  const template = front.spec.template;
  const annotations: Record<string, string> = template.metadata.annotations ?? {};
  const spec = template.spec;
  const shared = sharedDir(configMap?.data?.['wait-for-upstream.sh'] ?? '');
  // The pod's own /tmp (an emptyDir in the manifest): a waiter killed at the bound leaves its
  // mktemp folder there, not in the host's /tmp.
  const podTmp = mkdtempSync(join(shared.dir, 'tmp-'));
  chmodSync(podTmp, 0o1777);
  const pod = `${PREFIX}-${index}-p`;
  const vllm = `${PREFIX}-${index}-v`;
  const processes: Started[] = [];
  try {
    // One `ip -batch` per step rather than a process per command: spawning from a loaded Node.js
    // process is most of a cell's setup time.
    await run(['ip', '-batch', '-'], [
      `netns add ${pod}`, `netns add ${vllm}`, `link add k${index}p netns ${pod} type veth peer name k${index}v netns ${vllm}`, '',
    ].join('\n'));
    // 198.18.0.0/15 is reserved for benchmarking: it cannot collide with a real network.
    const podIp = `198.18.${index}.1`;
    await Promise.all(([[pod, `k${index}p`, [podIp]], [vllm, `k${index}v`, servers.map((v) => v.ip)]] as const).map(([ns, dev, ips]) =>
      run(['ip', '-n', ns, '-batch', '-'], [...ips.map((ip) => `addr add ${ip}/24 dev ${dev}`), `link set ${dev} up`, 'link set lo up', ''].join('\n'))));
    // `ip netns exec` mounts /etc/netns/<ns>/hosts over /etc/hosts: the Service names resolve.
    mkdirSync(`/etc/netns/${pod}`, { recursive: true });
    writeFileSync(`/etc/netns/${pod}/hosts`, `127.0.0.1 localhost\n${servers.map((v) => `${v.ip} ${v.name}\n`).join('')}`);

    // vLLM's side: a server per port, the inbound mesh port, and STRICT mTLS as a refusal of plaintext.
    const ports = [...new Set(servers.map((v) => v.port))];
    const upstream = start(vllm, [PERL, join(shared.dir, 'upstream.pl'), String(MESH_PORT), ...ports.map(String)]);
    processes.push(upstream);
    await listening(upstream);
    const strict = mode.mesh !== Mesh.NONE && mode.mtls === MtlsMode.STRICT;
    if (strict) {
      for (const port of ports) {
        await run(['ip', 'netns', 'exec', vllm, 'iptables', '-A', 'INPUT', '-p', 'tcp', '--dport', String(port), '!', '-i', 'lo', '-j', 'REJECT', '--reject-with', 'tcp-reset']);
      }
    }

    const plan = schedule(mode);
    // One iptables-restore, as istio-iptables and linkerd2-proxy-init apply their rules too.
    const installRules = () => run(['ip', 'netns', 'exec', pod, 'iptables-restore', '--noflush'], restoreInput(captureRules(mode, annotations)));
    const startProxy = async () => {
      const ambient = mode.dataplane === Dataplane.AMBIENT;
      const listenPort = mode.mesh === Mesh.LINKERD ? '4140' : '15001';
      const uid = mode.mesh === Mesh.LINKERD ? '2102' : '1337';
      const proxy = ambient
        ? start(pod, [PERL, join(shared.dir, 'forwarder.pl'), listenPort, String(MESH_PORT), '0x539'])
        : start(pod, ['/usr/bin/setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', PERL, join(shared.dir, 'forwarder.pl'), listenPort, String(MESH_PORT)]);
      processes.push(proxy);
      await listening(proxy);
    };
    if (plan.rules === 'before-inits') await installRules();
    if (plan.proxy === 'before-inits') await startProxy();

    const podUid = spec.securityContext?.runAsUser ?? 0;
    const podGid = spec.securityContext?.runAsGroup ?? podUid;
    const as = (c: any) => ['/usr/bin/setpriv', `--reuid=${c.securityContext?.runAsUser ?? podUid}`, `--regid=${podGid}`, '--clear-groups'];
    const envOf = (c: any) => Object.fromEntries((c.env ?? []).filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
    let log = '';
    // `waits`: how many waits the process runs one after another (a chain of in-app waiters).
    const waitBounded = async (process_: Started, waits = 1) => {
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([process_.exited, new Promise<'bound'>((r) => { timer = setTimeout(() => r('bound'), boundMs * waits); })]);
      clearTimeout(timer);
      log += process_.output();
      return code;
    };
    const notStarted = async (): Promise<KernelRun> => {
      const counters = await run(['ip', 'netns', 'exec', vllm, 'iptables', '-L', 'INPUT', '-v', '-x', '-n']);
      const rejected = counters.split('\n').filter((l) => l.includes('REJECT')).some((l) => Number(l.trim().split(/\s+/)[0]) > 0);
      return { outcome: rejected ? 'plaintext-rejected' : 'deadlock', log };
    };

    for (const init of spec.initContainers ?? []) {
      // The library's waiter runs from the ConfigMap's bytes; any other init container runs its own
      // command, with busybox's applets as its image's tools.
      const ours = init.command?.[1]?.endsWith('wait-for-upstream.sh');
      const command = ours ? [join(shared.busyboxPath, 'sh'), shared.script]
        : [...(init.command ?? []), ...(init.args ?? [])].map((word: string, i: number) => (i === 0 && !word.startsWith('/') ? join(shared.busyboxPath, word) : word));
      const waiter = start(pod, [...as(init), ...command], { ...envOf(init), PATH: shared.busyboxPath, TMPDIR: podTmp });
      processes.push(waiter);
      if (await waitBounded(waiter) !== 0) return await notStarted();
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
      processes.push(waiter);
      const waits = command.filter((word) => word === shared.script).length;
      if (await waitBounded(waiter, waits) !== 0 || !waiter.output().includes('started')) return await notStarted();
    }
    return { outcome: 'started', log };
  } finally {
    for (const p of processes) p.child.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    for (const pid of [...pidsIn(pod), ...pidsIn(vllm)]) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    // -force: go on past a namespace that is already gone; sweepNamespaces() retries at the end.
    await run(['ip', '-force', '-batch', '-'], `netns del ${pod}\nnetns del ${vllm}\n`).catch(() => undefined);
    rmSync(`/etc/netns/${pod}`, { recursive: true, force: true });
    rmSync(podTmp, { recursive: true, force: true });
    if (existsSync(`/etc/netns/${vllm}`)) rmSync(`/etc/netns/${vllm}`, { recursive: true, force: true });
  }
}
