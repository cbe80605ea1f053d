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

/** A pod of the group as the replay runs it. */
interface GroupPod {
  readonly role: 'leader' | 'worker';
  readonly metadata: { labels: Record<string, string>; annotations: Record<string, string> };
  readonly uid: number;
  /** Ports its programs listen on. */
  readonly ports: number[];
}

/** What the pod's mesh does to it, read from its own metadata (test/support/meshes/). */
function podCapture(mode: ReplayMode, metadata: GroupPod['metadata']): PodCapture {
  return meshWire(mode.mesh)?.podCapture(mode, metadata) ?? UNCAPTURED;
}

/** One connection of the group: who opens it, to which of the other pod's ports. */
export interface GroupFlow {
  readonly from: 'leader' | 'worker';
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
 * Opens `flows` between the leader and a worker of the LeaderWorkerSet in `objects` under `mode`,
 * in namespaces numbered `index` (1-250, unique among replays running at once), one after another.
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
  const podOf = (role: 'leader' | 'worker', template: any, group: number, worker: number): GroupPod => ({
    role,
    metadata: { labels: { ...template.metadata.labels, ...lwsLabels(group, worker) }, annotations: template.metadata.annotations ?? {} },
    uid: template.spec.containers[0].securityContext?.runAsUser ?? template.spec.securityContext?.runAsUser ?? 0,
    ports: [...new Set(flows.filter((f) => f.from !== role).map((f) => f.port))],
  });
  const pods = { leader: podOf('leader', templates.leaderTemplate, 0, 0), worker: podOf('worker', templates.workerTemplate, options.workerGroup ?? 0, 1) };
  const shared = sharedDir('');
  const strict = mode.mesh !== Mesh.NONE && mode.mtls === MtlsMode.STRICT;
  const ns = { leader: `${PREFIX}-${index}-gl`, worker: `${PREFIX}-${index}-gw`, node: `${PREFIX}-${index}-gn` };
  const ip = { leader: `198.18.${index}.1`, worker: `198.19.${index}.1` };
  const processes: Started[] = [];
  try {
    await run(['ip', '-batch', '-'], [
      `netns add ${ns.leader}`, `netns add ${ns.worker}`, `netns add ${ns.node}`,
      `link add g${index}l netns ${ns.leader} type veth peer name g${index}nl netns ${ns.node}`,
      `link add g${index}w netns ${ns.worker} type veth peer name g${index}nw netns ${ns.node}`, '',
    ].join('\n'));
    const side = (dev: string, address: string, gateway: string) => [`addr add ${address}/24 dev ${dev}`, `link set ${dev} up`, 'link set lo up', `route add default via ${gateway}`, ''].join('\n');
    await Promise.all([
      run(['ip', '-n', ns.leader, '-batch', '-'], side(`g${index}l`, ip.leader, `198.18.${index}.254`)),
      run(['ip', '-n', ns.worker, '-batch', '-'], side(`g${index}w`, ip.worker, `198.19.${index}.254`)),
      run(['ip', '-n', ns.node, '-batch', '-'], [`addr add 198.18.${index}.254/24 dev g${index}nl`, `addr add 198.19.${index}.254/24 dev g${index}nw`,
        `link set g${index}nl up`, `link set g${index}nw up`, ''].join('\n')),
    ]);
    const endpoint = (role: 'leader' | 'worker'): PolicyEndpoint => ({
      name: `${set.metadata.name}-${role}`, ip: ip[role], namespace: set.metadata.namespace ?? 'default', labels: pods[role].metadata.labels,
      ports: (role === 'leader' ? templates.leaderTemplate : templates.workerTemplate).spec.containers.flatMap((c: any) => c.ports ?? []),
    });
    const wirePorts = [...new Set(flows.map((f) => f.port).concat([15008, 4143]))];
    const policy = routerFilterRules(objects, [endpoint('leader'), endpoint('worker')], wirePorts);
    await run(['ip', 'netns', 'exec', ns.node, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward && exec iptables-restore'], policy.restore);

    // Each pod: its capture, its proxy stand-in, and its programs with its mesh's inbound side.
    const logs: Record<'leader' | 'worker', Started> = {} as any;
    for (const role of ['leader', 'worker'] as const) {
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
      const to = flow.from === 'leader' ? 'worker' : 'leader';
      const url = `http://${ip[to]}:${flow.port}/health`;
      // The stand-in answers a port's first request 503, then 200: up to four attempts, each
      // bounded only so a dropped connection ends (the verdict comes from the evidence below).
      // curl, not busybox's wget, whose -T crashes (busybox 1.36 here).
      const script = `i=0; while [ $i -lt 4 ]; do if /usr/bin/curl -sf -o /dev/null --max-time 3 ${url}; then echo reached; exit 0; fi; i=$((i+1)); done; exit 1`;
      const client = start(ns[flow.from], ['/usr/bin/setpriv', `--reuid=${pods[flow.from].uid}`, `--regid=${pods[flow.from].uid}`, '--clear-groups',
        join(shared.busyboxPath, 'sh'), '-c', script], { PATH: shared.busyboxPath });
      processes.push(client);
      const code = await client.exited;
      if (code === 0) {
        // The stand-in logs an answer just after sending it: wait for the line, not for time.
        const path = await logs[to].until('the programs logging their answer', () => new RegExp(`^served 200 GET /health on ${flow.port} via (.+)$`, 'm').exec(logs[to].output)?.[1]);
        results.push({ flow, outcome: 'reached', evidence: path });
        continue;
      }
      const refusals = logs[to].output.match(new RegExp(`^refused plaintext for ${flow.port} at \\d+$`, 'gm')) ?? [];
      if (refusals.length >= REPEATED) {
        results.push({ flow, outcome: 'refused', evidence: `STRICT at ${/at (\d+)$/.exec(refusals[0]!)![1]}` });
        continue;
      }
      const drops = policyDrops(await run(['ip', 'netns', 'exec', ns.node, 'iptables', '-L', '-v', '-x', '-n']), policy.chains)
        .filter((d) => d.packets >= REPEATED);
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
