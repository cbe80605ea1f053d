import { H2oGptStack, Mesh, MeshMode, MtlsMode } from '../src/internal';
import { allModeVariants } from '../src/startup/decision-table';
import { Manifest, synth } from './helpers';
import { FlowResult, GroupFlow, GroupReplayOptions, replayGroupFlows } from './support/group-harness';
import { kernelSuiteUnavailable, replayEach, sweepNamespaces } from './support/kernel-harness';

// Issue #27: a multi-node group's own traffic in a real kernel, under every mesh mode. The
// stack's LeaderWorkerSet is synthesized, and its leader and a worker are replayed with the
// capture each mesh gives a pod of that metadata, the manifest's NetworkPolicies on the node
// between them, and proxy stand-ins (test/support/group-harness.ts). Verdicts come from evidence:
// what the programs logged, what STRICT refused, what a policy dropped; never from a clock.

const describeKernel = kernelSuiteUnavailable('the group kernel suite') ? describe.skip : describe;

/** Replays at once: each spends its time in real pauses, not on the CPU. */
const PARALLEL = 12;

/** The worker joins Ray's head; both ways, programs dial ports the OS picked; the worker tries the serving port. */
const FLOWS: Array<GroupFlow & { what: string }> = [
  { from: 'worker', port: 6379, what: 'the join (Ray\'s GCS)' },
  { from: 'worker', port: 43001, what: 'worker to an OS-picked port of the leader' },
  { from: 'leader', port: 43002, what: 'leader to an OS-picked port of the worker' },
  { from: 'worker', port: 8000, what: 'the worker to the serving port, which stays meshed' },
  { from: 'client', port: 8000, what: 'h2oGPT to the serving port, over the mesh' },
];

const groupObjects = (mesh: MeshMode, replicas?: number): Manifest[] => synth((chart) => new H2oGptStack(chart, 'stack', { name: 'chat', mesh, vllm: { model: 'm', nodes: 2, replicas } }));

/**
 * What each flow must show, from the meshes' wire (docs/group-facts.md §4), written apart from the
 * library and the harness: ambient carries everything as HBONE; elsewhere the group's own ports
 * meet no proxy, and only the serving port reaches the leader's inbound proxy, where STRICT
 * refuses the unmeshed worker's plaintext.
 */
function expected(mesh: MeshMode, flow: GroupFlow): string {
  if (mesh.mesh === Mesh.NONE) return 'reached: plaintext direct';
  if (mesh.dataplane === 'ambient') return 'reached: mTLS at 15008';
  const inbound = mesh.mesh === Mesh.LINKERD ? 4143 : 15006;
  // h2oGPT's proxy dials the leader's port (Istio), or its 4143 with a transport header
  // (Linkerd), which the leader's skip list leaves to the proxy listening there.
  if (flow.from === 'client') return `reached: mTLS at ${inbound}`;
  if (flow.port !== 8000) return 'reached: plaintext direct';
  return mesh.mtls === MtlsMode.STRICT ? `refused: STRICT at ${inbound}` : `reached: plaintext at ${inbound}`;
}

interface Replay { label: string; mesh: MeshMode; objects: Manifest[]; flows: GroupFlow[]; options?: GroupReplayOptions; results?: FlowResult[]; error?: Error }

const cells: Replay[] = allModeVariants().map((mesh) => ({ label: mesh.describe(), mesh, objects: groupObjects(mesh), flows: FLOWS }));

/** The group as it would be without the leader's capture settings: the mesh's default capture on the leader. */
function withoutLeaderExclusion(mesh: MeshMode, key: string): Replay {
  const objects = groupObjects(mesh);
  const leader = objects.find((o) => o.kind === 'LeaderWorkerSet')!.spec.leaderWorkerTemplate.leaderTemplate;
  delete leader.metadata.annotations[key];
  return { label: `${mesh.describe()} without ${key} on the leader`, mesh, objects, flows: [FLOWS[0]] };
}

/** The group with one of its policies taken away. */
function withoutGroupPolicy(): Replay {
  const objects = groupObjects(MeshMode.none()).filter((o) => !(o.kind === 'NetworkPolicy' && o.metadata.name === 'chat-vllm-group-0'));
  return { label: 'no mesh, without the group\'s NetworkPolicy', mesh: MeshMode.none(), objects, flows: [FLOWS[0]] };
}

const controls = {
  istio: withoutLeaderExclusion(MeshMode.istioSidecar(), 'traffic.sidecar.istio.io/includeInboundPorts'),
  linkerd: withoutLeaderExclusion(MeshMode.linkerdSidecar(), 'config.linkerd.io/skip-inbound-ports'),
  // Two groups, each with its policy: a worker of group 1 dials group 0's leader.
  otherGroup: { label: 'no mesh, a worker of group 1', mesh: MeshMode.none(), objects: groupObjects(MeshMode.none(), 2), flows: [FLOWS[0]], options: { workerGroup: 1 } } as Replay,
  noGroupPolicy: withoutGroupPolicy(),
};

let replayed: Promise<void> | undefined;
function replayAll(): Promise<void> {
  replayed ??= replayEach([...cells, ...Object.values(controls)], PARALLEL, async (replay, index) => {
    replay.results = await replayGroupFlows(index, replay.mesh, replay.objects, replay.flows, replay.options);
  });
  return replayed;
}

const outcomesOf = (replay: Replay): string[] => {
  if (replay.error) throw new Error(`${replay.label}: ${replay.error.message}`);
  return replay.results!.map((r) => `${r.outcome}: ${r.evidence}`);
};

describeKernel('a multi-node group in a real kernel, every mesh mode', () => {
  beforeAll(replayAll, 600_000);
  afterAll(() => sweepNamespaces());

  test.each(cells.map((c) => [c.label, c] as const))('%s: the worker joins, the group talks on any port, the serving port stays meshed for h2oGPT', (_label, cell) => {
    const outcomes = outcomesOf(cell);
    expect(FLOWS.map((f, i) => `${f.what}: ${outcomes[i]}`)).toEqual(FLOWS.map((f) => `${f.what}: ${expected(cell.mesh, f)}`));
  });

  test('every kind of path occurred, so the replay can tell them apart', () => {
    const seen = new Set(cells.flatMap((c) => c.results?.map((r) => `${r.outcome}: ${r.evidence}`) ?? []));
    expect([...seen].sort()).toEqual([
      'reached: mTLS at 15006', 'reached: mTLS at 15008', 'reached: mTLS at 4143', 'reached: plaintext at 15006', 'reached: plaintext at 4143', 'reached: plaintext direct',
      'refused: STRICT at 15006', 'refused: STRICT at 4143',
    ]);
  });
});

describeKernel('negative controls: what the group\'s settings prevent', () => {
  beforeAll(replayAll, 600_000);
  afterAll(() => sweepNamespaces());

  test('Istio sidecar, STRICT: with the leader capturing every port, the unmeshed worker\'s join is refused as plaintext', () => {
    expect(outcomesOf(controls.istio)).toEqual(['refused: STRICT at 15006']);
  });

  test('Linkerd, STRICT: with the leader skipping no port, the unmeshed worker\'s join is refused as plaintext', () => {
    expect(outcomesOf(controls.linkerd)).toEqual(['refused: STRICT at 4143']);
  });

  test('a worker of another group cannot reach this group\'s leader: each group admits its own pods only', () => {
    expect(controls.otherGroup.objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name)).toEqual(['chat-vllm', 'chat-vllm-group-0', 'chat-vllm-group-1', 'chat']);
    expect(outcomesOf(controls.otherGroup)).toEqual(['blocked: chat-vllm-group-leader ingress 6379']);
  });

  test('without the group\'s NetworkPolicy, vLLM\'s own policy (h2oGPT on the serving port) drops the join', () => {
    expect(outcomesOf(controls.noGroupPolicy)).toEqual(['blocked: chat-vllm-group-leader ingress 6379']);
  });
});
