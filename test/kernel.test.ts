import { mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import {
  analyzeObjects, CONCRETE_STRATEGIES, DEFAULT_KUBERNETES_VERSION, evaluateStrategy, Mesh, MeshMode, MtlsMode, RefusalCode, StartupStrategy,
} from '../src/internal';
import { parseKubernetesMinor } from '../src/startup/decide';
import { allModeVariants } from '../src/startup/decision-table';
import { Manifest } from './helpers';
import { KernelOutcome, KernelRun, kernelSuiteUnavailable, replayEach, replayStartup, sweepNamespaces } from './support/kernel-harness';
import { renderCell, SECOND_MODEL } from './support/render';

// Issues #10 and #22: the decision table proved in a real kernel. Every cell (mode x CNI x mTLS x
// strategy) is synthesized (refused ones rendered anyway) and its h2oGPT pod's startup replayed
// through network namespaces, the meshes' own capture rules and wire, the manifest's
// NetworkPolicies as a CNI enforces them, and proxy stand-ins (test/support/kernel-harness.ts).
// Each verdict names its evidence; none comes from a clock.

const describeKernel = kernelSuiteUnavailable('the kernel suite') ? describe.skip : describe;

/** Replays at once: each waits on real pauses (2-3 s), not on the CPU. */
const PARALLEL = 40;
const context = { upstreamPort: 8000, kubernetesMinor: parseKubernetesMinor(DEFAULT_KUBERNETES_VERSION), upstreamStartupBudgetSeconds: 1800 };

interface Replay { label: string; mesh: MeshMode; objects: Manifest[]; run?: KernelRun; error?: Error }
interface Cell extends Replay { strategy: StartupStrategy }
const cells: Cell[] = allModeVariants().flatMap((mesh) => CONCRETE_STRATEGIES.map((strategy) => ({
  mesh, strategy, label: `${mesh.describe()} / ${strategy}`, objects: renderCell(mesh, strategy).objects,
})));
// The cells a stack can ship, with a second vLLM server on another port: every allowed strategy
// that waits (with none there is nothing to replay). Each waiter must get through, the second one
// included. Refused two-model pods fail as the one-model ones do (test/multi-model.test.ts asks
// the analyzer), and a negative control below shows the second waiter can hang on its own.
const twoModelCells: Cell[] = allModeVariants().flatMap((mesh) => CONCRETE_STRATEGIES
  .filter((strategy) => strategy !== StartupStrategy.NONE && evaluateStrategy(mesh, strategy, context).allowed)
  .map((strategy) => ({ mesh, strategy, label: `${mesh.describe()} / ${strategy} / two models`, objects: renderCell(mesh, strategy, 2).objects })));

/** What the decision says the kernel must show. */
function expectedOutcome(mesh: MeshMode, strategy: StartupStrategy): KernelOutcome {
  const evaluation = evaluateStrategy(mesh, strategy, context);
  if (evaluation.refusal === RefusalCode.DEADLOCK) return 'deadlock';
  if (evaluation.refusal === RefusalCode.PLAINTEXT_REJECTED) return 'plaintext-rejected';
  return 'started'; // allowed, or refused by policy only (nothing to bypass)
}

/**
 * The path a started cell's health checks must take, from the meshes' wire (docs/mesh-facts.md
 * §2a), written independently of the harness. Plaintext is what leaves the pod uncaptured: the
 * bypasses, where a sidecar's capture honours them (ambient's does not), and a classic sidecar's
 * init containers without CNI, which run before the mesh's own init container adds the rules.
 * It meets the server pod's inbound proxy all the same, through that pod's inbound capture.
 */
function expectedPath(mesh: MeshMode, strategy: StartupStrategy): string {
  if (strategy === StartupStrategy.NONE) return 'no wait';
  if (mesh.mesh === Mesh.NONE) return 'plaintext direct';
  const ambient = mesh.dataplane === 'ambient';
  const inboundProxy = mesh.mesh === Mesh.LINKERD ? 4143 : 15006;
  const uncaptured = !ambient && ([StartupStrategy.PROXY_UID_BYPASS, StartupStrategy.PORT_EXCLUSION].includes(strategy)
    || (mesh.dataplane === 'sidecar' && !mesh.cni && strategy === StartupStrategy.INIT_CONTAINER));
  return uncaptured ? `plaintext at ${inboundProxy}` : `mTLS at ${ambient ? 15008 : inboundProxy}`;
}

/** The analyzer's verdict on the same pod, in the kernel's terms. */
function analyzerOutcome(cell: Cell): KernelOutcome {
  const pod = analyzeObjects(cell.objects.map((object) => ({ object, source: 'cell' })), cell.mesh).pods.find((p) => p.name === 'chat')!;
  return pod.verdict === 'deadlock' ? 'deadlock' : pod.verdict === 'fails' ? 'plaintext-rejected' : 'started';
}

const WORD: Record<KernelOutcome, string> = { 'started': 'starts', 'deadlock': 'deadlock', 'plaintext-rejected': 'rejected', 'blocked': 'blocked' };

/** The proof's table in docs/reference.md: one row per mode variant, a cell per strategy, each with its evidence. */
function kernelTable(results: Cell[]): string {
  const rows = allModeVariants().map((mesh) => {
    const cellsOf = CONCRETE_STRATEGIES.map((strategy) => {
      const cell = results.find((c) => c.mesh.describe() === mesh.describe() && c.strategy === strategy)!;
      const refused = !evaluateStrategy(mesh, strategy, context).allowed;
      return cell.run ? `${WORD[cell.run.outcome]}: ${cell.run.evidence}${refused ? ' (refused)' : ''}` : 'no verdict';
    });
    const cni = mesh.dataplane === 'sidecar' ? (mesh.cni ? 'on' : 'off') : '-';
    return `| ${mesh.name} | ${cni} | ${mesh.name === 'none' ? '-' : mesh.mtls} | ${cellsOf.join(' | ')} |`;
  });
  return [`| mode | CNI | mTLS | ${CONCRETE_STRATEGIES.join(' | ')} |`, `|---|---|---|${CONCRETE_STRATEGIES.map(() => '---').join('|')}|`, ...rows].join('\n');
}

/** The h2oGPT Deployment of a replay's objects, and the first vLLM server's NetworkPolicy. */
const frontOf = (objects: Manifest[]) => objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'chat')!;
const vllmPolicyOf = (objects: Manifest[]) => objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'chat-vllm')!;

/** The historic chart's loop: an init container that polls with wget until vLLM answers. */
function historicChart(mesh: MeshMode): Replay {
  const { objects } = renderCell(mesh, StartupStrategy.IN_APP_WAIT);
  const front = frontOf(objects);
  front.spec.template.spec.containers[0].command = ['python3', '/workspace/generate.py'];
  front.spec.template.spec.initContainers = [{
    name: 'vllm-check', image: 'busybox:1.36.1', command: ['sh', '-c', 'until wget -q -O /dev/null http://chat-vllm:8000/health; do sleep 1; done'],
  }];
  return { label: `historic chart under ${mesh.describe()}`, mesh, objects };
}

/** A two-model pod whose port exclusion covers the first server's port only. */
function partialExclusion(): Replay & { exclusionAsSynthesized: string } {
  const mesh = MeshMode.istioSidecar({ mtls: MtlsMode.PERMISSIVE });
  const { objects } = renderCell(mesh, StartupStrategy.PORT_EXCLUSION, 2);
  const annotations = frontOf(objects).spec.template.metadata.annotations;
  const exclusionAsSynthesized = annotations['traffic.sidecar.istio.io/excludeOutboundPorts'];
  annotations['traffic.sidecar.istio.io/excludeOutboundPorts'] = '8000';
  return { label: 'partial port exclusion', mesh, objects, exclusionAsSynthesized };
}

/** The strategy the stack ships in a mode, as the decision picks it. */
const allowedWait = (mesh: MeshMode) => CONCRETE_STRATEGIES.find((s) => s !== StartupStrategy.NONE && evaluateStrategy(mesh, s, context).allowed)!;

/** vLLM's NetworkPolicy as it was before issue #22: h2oGPT admitted on 8000 only, not on Linkerd's 4143. */
function linkerdOldPolicy(): Replay & { portsAsSynthesized: number[] } {
  const mesh = MeshMode.linkerdSidecar();
  const { objects } = renderCell(mesh, allowedWait(mesh));
  const rule = vllmPolicyOf(objects).spec.ingress[0];
  const portsAsSynthesized = rule.ports.map((p: any) => p.port);
  rule.ports = [{ port: 8000, protocol: 'TCP' }];
  return { label: 'Linkerd, vLLM admitting 8000 only', mesh, objects, portsAsSynthesized };
}

/** vLLM's NetworkPolicy admitting another client, not h2oGPT: blocked in every mode. */
function otherClientOnly(mesh: MeshMode): Replay {
  const { objects } = renderCell(mesh, allowedWait(mesh));
  for (const rule of vllmPolicyOf(objects).spec.ingress) {
    if (rule.from?.some((peer: any) => peer.podSelector)) rule.from = [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'another-client' } } }];
  }
  return { label: `${mesh.describe()}, vLLM admitting another client`, mesh, objects };
}

const controls = {
  // Without the CNI plugin the same loop runs before capture exists: plaintext, which STRICT refuses.
  historicWithCni: historicChart(MeshMode.istioSidecar()),
  historicWithoutCni: historicChart(MeshMode.istioSidecar({ cni: false })),
  partialExclusion: partialExclusion(),
  linkerdOldPolicy: linkerdOldPolicy(),
};
const otherClientControls = allModeVariants().map(otherClientOnly);

let replayed: Promise<void> | undefined;
/**
 * Replays every cell and control once, side by side, each in namespaces of its own, for
 * whichever describe block asks first. A replay that reaches no verdict keeps its error for its
 * own test to report, and the others go on.
 */
function replayAll(): Promise<void> {
  replayed ??= (async () => {
    const all: Replay[] = [...Object.values(controls), ...otherClientControls, ...cells, ...twoModelCells];
    await replayEach(all, PARALLEL, async (replay, index) => {
      replay.run = await replayStartup(index, replay.mesh, replay.objects);
    });
    mkdirSync(join(__dirname, '..', '.tmp'), { recursive: true });
    writeFileSync(join(__dirname, '..', '.tmp', 'kernel-table.md'), `${kernelTable(cells)}\n`);
  })();
  return replayed;
}

/** A replay's verdict and evidence, failing with the harness's reason where it reached none. */
function verdictOf(replay: Replay): KernelRun {
  if (replay.error) throw new Error(`${replay.label}: ${replay.error.message}`);
  return replay.run!;
}

describeKernel('startup in a real kernel, every cell of the decision table', () => {
  beforeAll(replayAll, 600_000);
  afterAll(() => sweepNamespaces());

  test.each(cells.map((c) => [c.label, c] as const))('%s', (_label, cell) => {
    const run = verdictOf(cell);
    const expected = expectedOutcome(cell.mesh, cell.strategy);
    expect(`${cell.label}: ${run.outcome}`).toBe(`${cell.label}: ${expected}`);
    expect(`${cell.label}: analyzer ${analyzerOutcome(cell)}`).toBe(`${cell.label}: analyzer ${run.outcome}`);
    if (run.outcome === 'started') expect(`${cell.label}: ${run.evidence}`).toBe(`${cell.label}: ${expectedPath(cell.mesh, cell.strategy)}`);
  });

  test.each(twoModelCells.map((c) => [c.label, c] as const))('%s', (_label, cell) => {
    const run = verdictOf(cell);
    expect(`${cell.label}: ${run.outcome}`).toBe(`${cell.label}: ${expectedOutcome(cell.mesh, cell.strategy)}`);
    expect(`${cell.label}: analyzer ${analyzerOutcome(cell)}`).toBe(`${cell.label}: analyzer ${run.outcome}`);
    expect(`${cell.label}: ${run.evidence}`).toBe(`${cell.label}: ${expectedPath(cell.mesh, cell.strategy)}`);
    // The second server was waited for and answered, by the same path, not skipped.
    expect(run.log).toContain(`http://chat-vllm-${SECOND_MODEL.id}:${SECOND_MODEL.port}/health is ready`);
    expect(run.upstreamLog).toMatch(new RegExp(`^served 200 GET /health on ${SECOND_MODEL.port} via ${expectedPath(cell.mesh, cell.strategy)}$`, 'm'));
  });

  test('every failure verdict rests on its evidence, seen twice', () => {
    for (const cell of cells.filter((c) => c.run && c.run.outcome !== 'started')) {
      const { outcome, log, upstreamLog } = cell.run!;
      expect(`${cell.label}: ${(log.match(/not ready/g) ?? []).length >= 2}`).toBe(`${cell.label}: true`);
      if (outcome === 'deadlock') expect(`${cell.label}: ${log}`).toMatch(/not ready \(connection refused\)/);
      if (outcome === 'plaintext-rejected') expect(`${cell.label}: ${(upstreamLog.match(/^refused plaintext for 8000 at \d+$/gm) ?? []).length >= 2}`).toBe(`${cell.label}: true`);
      expect(`${cell.label}: ${upstreamLog}`).not.toMatch(/^served 200/m);
    }
  });

  test('every kind of outcome occurred, so the simulator can tell them apart', () => {
    expect(new Set(cells.map((c) => c.run?.outcome))).toEqual(new Set(['started', 'deadlock', 'plaintext-rejected']));
    expect(new Set([...cells, ...twoModelCells].map((c) => c.run?.evidence).filter((e) => e?.startsWith('mTLS'))))
      .toEqual(new Set(['mTLS at 15006', 'mTLS at 15008', 'mTLS at 4143']));
  });

  test('docs/reference.md shows the table this run produced', () => {
    const reference = readFileSync(join(__dirname, '..', 'docs', 'reference.md'), 'utf8');
    const section = /<!-- kernel-table:start[^>]*-->\n([\s\S]*?)\n<!-- kernel-table:end -->/.exec(reference)?.[1];
    expect(section).toBe(kernelTable(cells));
  });
});

describeKernel('negative controls: the simulator itself must be able to fail', () => {
  beforeAll(replayAll, 600_000);
  afterAll(() => sweepNamespaces());

  test('a hand-built init container that loops on wget (the historic chart) deadlocks under istio-cni, and is rejected as plaintext without it', () => {
    expect(verdictOf(controls.historicWithCni)).toMatchObject({ outcome: 'deadlock', evidence: 'refused at 15001' });
    expect(verdictOf(controls.historicWithoutCni)).toMatchObject({ outcome: 'plaintext-rejected', evidence: 'STRICT at 15006' });
  });

  test('two models: a port exclusion that leaves out the second server\'s port gets the first waiter through and hangs the second', () => {
    const { exclusionAsSynthesized } = controls.partialExclusion;
    const run = verdictOf(controls.partialExclusion);
    expect(exclusionAsSynthesized).toBe(`8000,${SECOND_MODEL.port}`);
    expect(run).toMatchObject({ outcome: 'deadlock', evidence: 'refused at 15001' });
    expect(run.log).toContain('http://chat-vllm:8000/health is ready');
    expect(run.log).not.toContain(`chat-vllm-${SECOND_MODEL.id}:${SECOND_MODEL.port}/health is ready`);
  });

  test('Linkerd: vLLM\'s NetworkPolicy as it was (8000 only) blocks h2oGPT at 4143; as synthesized (8000 and 4143) it starts', () => {
    const { portsAsSynthesized } = controls.linkerdOldPolicy;
    expect(portsAsSynthesized).toEqual([8000, 4143]);
    expect(verdictOf(controls.linkerdOldPolicy)).toMatchObject({ outcome: 'blocked', evidence: 'chat-vllm ingress 4143' });
    const synthesized = cells.find((c) => c.mesh.describe() === controls.linkerdOldPolicy.mesh.describe() && c.strategy === allowedWait(c.mesh))!;
    expect(verdictOf(synthesized)).toMatchObject({ outcome: 'started', evidence: 'mTLS at 4143' });
  });

  test.each(otherClientControls.map((c) => [c.label, c] as const))('%s: blocked', (_label, control) => {
    const run = verdictOf(control);
    expect(`${control.label}: ${run.outcome}`).toBe(`${control.label}: blocked`);
    expect(run.evidence).toMatch(/^chat-vllm ingress (8000|4143|15008)$/);
    expect(run.upstreamLog).not.toMatch(/^served/m);
  });
});
