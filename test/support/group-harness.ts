import { join } from 'path';
import { Mesh, MtlsMode } from '../../src/internal';
import { Manifest } from '../helpers';
import {
  killAllIn, listening, natRestore, PERL, PREFIX, REPEATED, run, sharedDir, start, Started,
} from './kernel-harness';
import { meshWire, PodCapture, ReplayMode, UNCAPTURED } from './meshes';
import { policyDrops, PolicyEndpoint, routerFilterRules } from './network-policy-model';

// Issue #27: a multi-node group's own traffic replayed through real Linux networking. Three
// network namespaces per replay: the group's leader pod, one worker pod, and a node between them
// that routes and enforces the manifest's NetworkPolicies as a CNI does. Each pod gets the capture
// its mesh would give it, read from the pod template's own labels and annotations as the mesh
// reads them (not from the library's code), the mesh's proxy stand-ins where it has a proxy, and
// a stand-in for the group's programs that logs by which path each connection arrived
// (kernel/upstream.pl). Then each flow of the group is opened as the container's UID would.
//
// Each mesh's reading of a pod's metadata is in its own file of test/support/meshes/, with its
// sources (docs/group-facts.md §4).

/** The replay's pods: the group's leader and a worker, and h2oGPT, the mesh client of the serving port. */
type Role = 'leader' | 'worker' | 'client';

/** A pod as the replay runs it. */
interface GroupPod {
  readonly role: Role;
  readonly metadata: { labels: Record<string, string>; annotations: Record<string, string> };
  readonly uid: number;
  /** Ports its programs listen on. */
  readonly ports: number[];
}

/** What the pod's mesh does to it, read from its own metadata (test/support/meshes/). */
function podCapture(mode: ReplayMode, metadata: GroupPod['metadata']): PodCapture {
  return meshWire(mode.mesh)?.podCapture(mode, metadata) ?? UNCAPTURED;
}

/**
 * One connection: who opens it, to which port of the other pod of the group (h2oGPT's, the
 * client's, go to the leader).
 */
export interface GroupFlow {
  readonly from: Role;
  readonly port: number;
}

/** How a flow ended, with its evidence. */
export interface FlowResult {
  readonly flow: GroupFlow;
  readonly outcome: 'reached' | 'refused' | 'blocked';
  /** The path it arrived by ("plaintext direct", "mTLS at 15008"), or what stopped it ("STRICT at 15006", "chat-vllm-group-0 ingress 6379"). */
  readonly evidence: string;
}

/** Options for controls: a worker of another group. */
export interface GroupReplayOptions {
  /** The worker's group index (LWS's label); the leader's is 0. */
  readonly workerGroup?: number;
}

/**
 * Opens `flows` between the leader and a worker of the LeaderWorkerSet in `objects`, and from
 * h2oGPT's pod to the leader, under `mode`, in namespaces numbered `index` (1-250, unique among
 * replays running at once), one after another.
 */
export async function replayGroupFlows(index: number, mode: ReplayMode, objects: Manifest[], flows: GroupFlow[], options: GroupReplayOptions = {}): Promise<FlowResult[]> {
  const set = objects.find((o) => o.kind === 'LeaderWorkerSet')!;
  const templates = set.spec.leaderWorkerTemplate;
  // LWS's own labels on each pod (kubernetes-sigs/lws v0.10.0; docs/group-facts.md §1).
  const lwsLabels = (group: number, worker: number) => ({
    'leaderworkerset.sigs.k8s.io/name': set.metadata.name,
    'leaderworkerset.sigs.k8s.io/group-index': String(group),
    'leaderworkerset.sigs.k8s.io/worker-index': String(worker),
  });
  const front = objects.find((o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/name'] === 'h2ogpt')!.spec.template;
  const targetOf = (from: Role): Role => (from === 'leader' ? 'worker' : 'leader');
  const podOf = (role: Role, template: any, added: Record<string, string>): GroupPod => ({
    role,
    metadata: { labels: { ...template.metadata.labels, ...added }, annotations: template.metadata.annotations ?? {} },
    uid: template.spec.containers[0].securityContext?.runAsUser ?? template.spec.securityContext?.runAsUser ?? 0,
    ports: [...new Set(flows.filter((f) => targetOf(f.from) === role).map((f) => f.port))],
  });
  const pods: Record<Role, GroupPod> = {
    leader: podOf('leader', templates.leaderTemplate, lwsLabels(0, 0)),
    worker: podOf('worker', templates.workerTemplate, lwsLabels(options.workerGroup ?? 0, 1)),
    client: podOf('client', front, {}),
  };
  const roles = Object.keys(pods) as Role[];
  const shared = sharedDir('');
  const strict = mode.mesh !== Mesh.NONE && mode.mtls === MtlsMode.STRICT;
  // Each pod on a subnet of its own, with the node as its gateway, inside 198.18.0.0/15, which is
  // reserved for benchmarking: it cannot collide with a real network.
  const subnet: Record<Role, { address: string; gateway: string; bits: number }> = {
    leader: { address: `198.18.${index}.1`, gateway: `198.18.${index}.62`, bits: 26 },
    client: { address: `198.18.${index}.65`, gateway: `198.18.${index}.126`, bits: 26 },
    worker: { address: `198.19.${index}.1`, gateway: `198.19.${index}.254`, bits: 24 },
  };
  const ns: Record<Role | 'node', string> = { leader: `${PREFIX}-${index}-gl`, worker: `${PREFIX}-${index}-gw`, client: `${PREFIX}-${index}-gc`, node: `${PREFIX}-${index}-gn` };
  const ip = (role: Role) => subnet[role].address;
  const dev = (role: Role) => `g${index}${role[0]}`;
  const processes: Started[] = [];
  try {
    await run(['ip', '-batch', '-'], [
      ...Object.values(ns).map((name) => `netns add ${name}`),
      ...roles.map((role) => `link add ${dev(role)} netns ${ns[role]} type veth peer name ${dev(role)}n netns ${ns.node}`), '',
    ].join('\n'));
    const side = (role: Role) => [`addr add ${ip(role)}/${subnet[role].bits} dev ${dev(role)}`, `link set ${dev(role)} up`, 'link set lo up',
      `route add default via ${subnet[role].gateway}`, ''].join('\n');
    await Promise.all([
      ...roles.map((role) => run(['ip', '-n', ns[role], '-batch', '-'], side(role))),
      run(['ip', '-n', ns.node, '-batch', '-'], `${roles.flatMap((role) => [`addr add ${subnet[role].gateway}/${subnet[role].bits} dev ${dev(role)}n`, `link set ${dev(role)}n up`]).join('\n')}\n`),
    ]);
    const templateOf: Record<Role, any> = { leader: templates.leaderTemplate, worker: templates.workerTemplate, client: front };
    const endpoint = (role: Role): PolicyEndpoint => ({
      name: role === 'client' ? 'h2ogpt' : `${set.metadata.name}-${role}`, ip: ip(role), namespace: set.metadata.namespace ?? 'default', labels: pods[role].metadata.labels,
      ports: templateOf[role].spec.containers.flatMap((c: any) => c.ports ?? []),
    });
    const wirePorts = [...new Set(flows.map((f) => f.port).concat([15008, 4143]))];
    const policy = routerFilterRules(objects, roles.map(endpoint), wirePorts);
    await run(['ip', 'netns', 'exec', ns.node, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward && exec iptables-restore'], policy.restore);

    // Each pod: its capture, its proxy stand-in, and its programs with its mesh's inbound side.
    const logs = {} as Record<Role, Started>;
    for (const role of roles) {
      const capture = podCapture(mode, pods[role].metadata);
      const rules = [...capture.outbound, ...capture.inbound];
      if (rules.length > 0) await run(['ip', 'netns', 'exec', ns[role], 'iptables-restore', '--noflush'], natRestore(rules));
      const meshedStrict = strict && capture.inboundPorts.length > 0;
      const programs = start(ns[role], [PERL, join(shared.dir, 'upstream.pl'), meshedStrict ? '1' : '0', capture.inboundPorts.join(',') || '-', ...pods[role].ports.map(String)]);
      processes.push(programs);
      await listening(programs);
      logs[role] = programs;
      if (capture.proxy) {
        const p = capture.proxy;
        const args = [PERL, join(shared.dir, 'forwarder.pl'), String(p.listen), String(p.dial), ...(p.mark ? [p.mark] : [])];
        const proxy = start(ns[role], p.uid === undefined ? args : ['/usr/bin/setpriv', `--reuid=${p.uid}`, `--regid=${p.uid}`, '--clear-groups', ...args]);
        processes.push(proxy);
        await listening(proxy);
      }
    }

    const results: FlowResult[] = [];
    for (const flow of flows) {
      const to = targetOf(flow.from);
      const url = `http://${ip(to)}:${flow.port}/health`;
      // Only what the target logs from now on is this flow's evidence: earlier flows may have used the port.
      const logFrom = logs[to].output.length;
      const logOfFlow = () => logs[to].output.slice(logFrom);
      const dropsNow = async () => policyDrops(await run(['ip', 'netns', 'exec', ns.node, 'iptables', '-L', '-v', '-x', '-n']), policy.chains);
      const dropsBefore = policy.chains.length > 0 ? await dropsNow() : [];
      // The stand-in answers a port's first request 503, then 200: up to four attempts. The
      // connect bound ends an attempt whose opening a policy dropped, and the overall one only a
      // hang; the verdict comes from the evidence below. curl, not busybox's wget, whose -T
      // crashes (busybox 1.36 here).
      const script = `i=0; while [ $i -lt 4 ]; do if /usr/bin/curl -sf -o /dev/null --connect-timeout 3 --max-time 30 ${url}; then echo reached; exit 0; fi; i=$((i+1)); done; exit 1`;
      const client = start(ns[flow.from], ['/usr/bin/setpriv', `--reuid=${pods[flow.from].uid}`, `--regid=${pods[flow.from].uid}`, '--clear-groups',
        join(shared.busyboxPath, 'sh'), '-c', script], { PATH: shared.busyboxPath });
      processes.push(client);
      const code = await client.exited;
      if (code === 0) {
        // The stand-in logs an answer just after sending it: wait for the line, not for time.
        const path = await logs[to].until('the programs logging their answer', () => new RegExp(`^served 200 GET /health on ${flow.port} via (.+)$`, 'm').exec(logOfFlow())?.[1]);
        results.push({ flow, outcome: 'reached', evidence: path });
        continue;
      }
      const refusals = logOfFlow().match(new RegExp(`^refused plaintext for ${flow.port} at \\d+$`, 'gm')) ?? [];
      if (refusals.length >= REPEATED) {
        results.push({ flow, outcome: 'refused', evidence: `STRICT at ${/at (\d+)$/.exec(refusals[0]!)![1]}` });
        continue;
      }
      // This flow's drops: the counters' growth since it began.
      const drops = (policy.chains.length > 0 ? await dropsNow() : []).map((d) => ({
        ...d, packets: d.packets - (dropsBefore.find((b) => b.pod === d.pod && b.direction === d.direction && b.port === d.port)?.packets ?? 0),
      })).filter((d) => d.packets >= REPEATED);
      if (drops.length > 0) {
        results.push({ flow, outcome: 'blocked', evidence: drops.map((d) => `${d.pod} ${d.direction} ${d.port}`).join(', ') });
        continue;
      }
      throw new Error(`flow ${flow.from} -> ${to}:${flow.port} under ${JSON.stringify(mode)}: no verdict (exit ${code}): ${client.output} | ${logs[to].output}`);
    }
    return results;
  } finally {
    for (const p of processes) p.child.kill('SIGKILL');
    for (const name of Object.values(ns)) killAllIn(name);
    await Promise.all(processes.map((p) => p.exited));
    await run(['ip', '-force', '-batch', '-'], Object.values(ns).map((name) => `netns del ${name}\n`).join('')).catch(() => undefined);
  }
}
