import { ANNOTATIONS } from '../common/labels';
import {
  holdsAppUntilProxyReady, initContainerNetwork, injectedContainers, NamespaceShape, Network, PodDataplane, podDataplane, TimelineRole, Verdict,
} from '../mesh/capture-rules';
import { MeshMode, MtlsMode, profileOf } from '../mesh/mesh-mode';
import { Dataplane, MeshProfile } from '../mesh/mesh-profiles';
import { ContainerContext, ContainerModel, ModelCall, modelContainer, RunEnd, Transport } from './container-model';
import { classifyHost, DestinationClass, mayBeInMesh } from './destinations';
import { fixFor } from './fixes';
import { declaredNetworkContainers, networkUsage, NetworkUsage } from './network-usage';
import { Exchange } from './command-knowledge';

export { Network, TimelineRole, Verdict } from '../mesh/capture-rules';
const SEVERITY: Verdict[] = [Verdict.OK, Verdict.SLOW, Verdict.UNKNOWN, Verdict.FAILS, Verdict.DEADLOCK];

/** Whether a verdict keeps the pod from ever starting: what every check reports as a failure. */
export function blocksStartup(verdict: Verdict): boolean {
  return verdict === Verdict.DEADLOCK || verdict === Verdict.FAILS;
}

/** Worst of several verdicts. */
function worstVerdict(verdicts: Verdict[]): Verdict {
  return verdicts.reduce<Verdict>((worst, v) => (SEVERITY.indexOf(v) > SEVERITY.indexOf(worst) ? v : worst), Verdict.OK);
}

export interface InitContainerFinding {
  readonly name: string;
  readonly network: Network;
  readonly verdict: Verdict;
  readonly reason: string;
  /** Whether network use was guessed from the command rather than declared. */
  readonly inferred: boolean;
  /** Index in the pod's initContainers. */
  readonly index: number;
  /** What to do about it, when it keeps the pod from starting. */
  readonly fix?: string;
}

/** One step of the modelled start order. */
export interface TimelineStep {
  readonly name: string;
  readonly role: TimelineRole;
  readonly note: string;
  readonly network?: Network;
  readonly verdict?: Verdict;
  /** Startup never gets past the steps before this one. */
  readonly reached: boolean;
}

export interface PodFinding {
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly source?: string;
  /** Path of the pod spec inside the object, e.g. `spec.template.spec`. */
  readonly specPath: string;
  readonly verdict: Verdict;
  readonly reason: string;
  /** The data plane the pod ends up with. */
  readonly dataplane: Dataplane;
  readonly initContainers: InitContainerFinding[];
  readonly timeline: TimelineStep[];
  /**
   * When the mesh's release is not given and another dataplane it could give would change a
   * verdict: what to give to settle it. Reports print each distinct caveat once.
   */
  readonly caveat?: string;
}

/** Labels and annotations of the pod's Namespace, when the input has it. */
export type NamespaceContext = NamespaceShape;

export interface PodInput {
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly source?: string;
  readonly specPath: string;
  readonly metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  readonly spec: any;
}

/** What the analyzer may read beside a pod: its input's scripts and env, per container. */
export interface PodContext {
  readonly containerContext?: (container: any) => ContainerContext;
}

/**
 * Models one pod template's startup under a mesh mode: what the mesh injects and where, the
 * kubelet's start order, and a verdict for each init container. The rules are the engine's (src/mesh/capture-rules.ts; docs/mesh-facts.md §1-§3).
 */
export function analyzePod(pod: PodInput, mode: MeshMode, ns: NamespaceContext = {}, context: PodContext = {}): PodFinding {
  const profile = profileOf(mode);
  const annotations = pod.metadata.annotations ?? {};
  const plane = podDataplane(mode, pod, ns);
  const declared = declaredNetworkContainers(annotations);
  const podSecurity = pod.spec.securityContext ?? {};
  const meshContainerNames = profile ? [profile.proxyContainerName, profile.cniInitContainerName, profile.iptablesInitContainerName] : [];
  const caveats: string[] = [];
  const findings: InitContainerFinding[] = [];
  const initContainers: any[] = pod.spec.initContainers ?? [];
  for (let index = 0; index < initContainers.length; index++) {
    const c = initContainers[index];
    if (plane.preInjected && meshContainerNames.includes(c.name)) continue;
    if (c.restartPolicy === 'Always') {
      const { network } = initContainerNetwork(mode, plane, { uid: c.securityContext?.runAsUser ?? podSecurity.runAsUser, gid: c.securityContext?.runAsGroup ?? podSecurity.runAsGroup }, annotations);
      findings.push({ name: c.name, index, network, inferred: false, verdict: Verdict.OK, reason: 'native sidecar: starts and keeps running; it does not block startup' });
      continue;
    }
    const containerContext = context.containerContext?.(c) ?? {};
    const model = declared ? declaredModel(networkUsage(c, declared), () => modelContainer(c, containerContext)) : modelContainer(c, containerContext);
    const judged = judgeContainer(model, mode, plane, pod, c, podSecurity, !declared);
    const blocks = blocksStartup(judged.verdict);
    // A pod reports one caveat: once it has it, no other container need be judged again.
    if (plane.alternative && blocks && caveats.length === 0
      && meshOutcome(model, mode, plane.alternative.plane, pod, c, podSecurity).verdict !== judged.verdict) caveats.push(plane.alternative.caveat);
    const finding: InitContainerFinding = { name: c.name, index, network: judged.network, verdict: judged.verdict, reason: judged.reason, inferred: judged.inferred };
    findings.push(blocks ? { ...finding, fix: fixLine(c.name, judged.verdict, mode) } : finding);
  }

  let verdict = worstVerdict(findings.map((f) => f.verdict));
  let reason = findings.find((f) => f.verdict === verdict && verdict !== Verdict.OK)?.reason ?? 'every init container can complete';
  if (verdict === Verdict.OK && annotations[ANNOTATIONS.startupStrategy] === 'none') {
    verdict = Verdict.SLOW;
    reason = NO_WAIT_REASON;
  }

  return {
    kind: pod.kind, name: pod.name, namespace: pod.namespace, source: pod.source, specPath: pod.specPath,
    verdict, reason, dataplane: plane.dataplane, initContainers: findings,
    ...(caveats.length > 0 ? { caveat: caveats[0] } : {}),
    timeline: timeline(pod, profile, plane, findings),
  };
}

/** What the library's own "none" strategy means at startup (h2oGPT does not crash; docs/mesh-facts.md). */
const NO_WAIT_REASON = 'startup strategy "none": h2oGPT starts without waiting; the 0.2.1 image turns Ready at once and its chats '
  + 'fail until vLLM is up (it does not crash), and newer images, told to fail on an unreachable model, restart with back-off';

/**
 * A pod that declares which init containers call out (ours, or any annotated one): a model with
 * that one call, aimed at WAIT_URL, or else where the container's own model finds its first call.
 */
function declaredModel(usage: NetworkUsage, modelled: () => ContainerModel): ContainerModel {
  const found = usage.usesNetwork && usage.host === undefined ? modelled().calls.find((call) => call.transport === Transport.TCP) : undefined;
  const host = usage.host ?? found?.host;
  const call: ModelCall | undefined = usage.usesNetwork
    ? {
      program: 'the waiter', host, port: usage.port ?? found?.port, destination: host ? classifyHost(host) : DestinationClass.IN_CLUSTER,
      exchange: Exchange.DATA, transport: Transport.TCP, evidence: usage.evidence ?? 'its declaration',
    }
    : undefined;
  return {
    calls: call ? [call] : [],
    simulate: (fate) => new Set<RunEnd>([call && fate(call) ? (usage.waits ? 'hang' : 'fail') : 'ok']),
  };
}

interface CallFate {
  readonly fails: boolean;
  readonly network: Network;
  readonly why: string;
  /** Why it fails: capture refuses it, or STRICT mTLS rejects its plaintext. */
  readonly cause?: 'captured' | 'plaintext';
}

/** What the mesh does to one call of an init container (docs/mesh-facts.md §2, §2b). */
function callFate(call: ModelCall, mode: MeshMode, plane: PodDataplane, metadata: PodInput['metadata'], uid: number | undefined, gid: number | undefined): CallFate {
  const annotations = metadata.annotations ?? {};
  if (call.transport !== Transport.TCP) {
    const what = call.transport === Transport.UDP ? 'UDP (a name lookup, or nc -u)' : 'ICMP';
    return { fails: false, network: Network.UNMESHED, why: `it is ${what}, which neither mesh redirects by default` };
  }
  if (call.destination === DestinationClass.LOOPBACK) return { fails: false, network: Network.UNMESHED, why: 'it stays in the pod, which capture leaves alone' };
  const { network, why: meshedWhy } = initContainerNetwork(mode, plane, { uid, gid, port: call.port, host: call.host }, annotations);
  // A native-sidecar proxy that is never waited for: the next init container starts once its
  // process has, and its first connections may meet no listener (docs/mesh-facts.md §3).
  const profile = profileOf(mode);
  const unready = network === Network.MESHED && plane.dataplane === Dataplane.NATIVE_SIDECAR && profile?.nativeSidecarReadyNeedsHold === true
    && !holdsAppUntilProxyReady(profile, metadata);
  const why = unready
    ? `native sidecar: ${profile!.proxyContainerName} has started, but runs without a startupProbe (${profile!.holdUntilProxyReady.key} is off), `
      + 'so it may not listen yet and the first connections can be refused'
    : meshedWhy;
  if (network === Network.CAPTURED) return { fails: true, network, why, cause: 'captured' };
  if (network === Network.UNMESHED && profileOf(mode) && mode.mtls === MtlsMode.STRICT) {
    if (!mayBeInMesh(call.destination)) {
      return { fails: false, network, why: `${why}; STRICT mTLS does not govern ${destinationName(call.destination)}, which has no proxy of the mesh` };
    }
    if (call.exchange === Exchange.CONNECT) {
      return { fails: false, network, why: `${why}; a bare TCP connect completes even against a STRICT proxy, which accepts before it reads a byte` };
    }
    return { fails: true, network, why, cause: 'plaintext' };
  }
  return { fails: false, network, why };
}

function destinationName(d: DestinationClass): string {
  return { 'kubernetes-api': 'the Kubernetes API server', 'external': 'a host outside the cluster', 'metadata': 'the cloud\'s metadata address', 'dns': 'DNS', 'loopback': 'the pod itself', 'in-cluster': 'a service in the cluster', 'unknown': 'an unknown host' }[d];
}

/** How a call reads in a reason: host:port, or what the model assumed. */
function callTarget(call: ModelCall): string {
  if (call.destination === DestinationClass.DNS) return call.host ? `a lookup of ${call.host}` : 'a name lookup';
  if (call.destination === DestinationClass.KUBERNETES_API && (!call.host || call.host === 'kubernetes.default.svc')) return `the Kubernetes API${call.assumed ? ` (${call.assumed})` : ''}`;
  const where = call.host || call.port ? `${call.host ?? '?'}:${call.port ?? '?'}` : 'its upstream';
  return call.assumed && !call.host ? `${where} (${call.assumed})` : where;
}

/** One init container's verdict under one dataplane: the model run as the mesh treats each call. */
/** How the mesh treats one init container's calls under one dataplane, and whether that keeps it from finishing. */
function meshOutcome(model: ContainerModel, mode: MeshMode, plane: PodDataplane, pod: PodInput, c: any, podSecurity: any) {
  const uid = c.securityContext?.runAsUser ?? podSecurity.runAsUser;
  const gid = c.securityContext?.runAsGroup ?? podSecurity.runAsGroup;
  const fates = new Map<ModelCall, CallFate>();
  const fateOf = (call: ModelCall): CallFate => {
    let fate = fates.get(call);
    if (!fate) { fate = callFate(call, mode, plane, pod.metadata, uid, gid); fates.set(call, fate); }
    return fate;
  };
  const baseline = model.simulate(() => false);
  const meshed = model.simulate((call) => fateOf(call).fails);
  const baselineBad = [...baseline].some((e) => e !== 'ok');
  const meshBad = [...meshed].some((e) => e !== 'ok');
  const failing = model.calls.filter((call) => fateOf(call).fails);
  const blocked = failing.length > 0 && ((meshBad && !baselineBad) || (!meshed.has('ok') && baseline.has('ok')));
  const decisive = blocked ? failing.find((call) => fateOf(call).cause === 'captured') ?? failing[0] : undefined;
  const verdict = decisive === undefined ? undefined : fateOf(decisive).cause === 'captured' ? Verdict.DEADLOCK : Verdict.FAILS;
  return { uid, gid, fateOf, meshed, baselineBad, failing, decisive, verdict };
}

/** One init container's verdict under one dataplane: the model run as the mesh treats each call. */
function judgeContainer(model: ContainerModel, mode: MeshMode, plane: PodDataplane, pod: PodInput, c: any, podSecurity: any, inferred: boolean):
{ network: Network; verdict: Verdict; reason: string; inferred: boolean } {
  const annotations = pod.metadata.annotations ?? {};
  const { uid, gid, fateOf, meshed, baselineBad, failing, decisive, verdict } = meshOutcome(model, mode, plane, pod, c, podSecurity);
  const how = (call: ModelCall) => (inferred ? ` (inferred from ${call.evidence})` : '');
  if (decisive && verdict) {
    const fate = fateOf(decisive);
    const waits = meshed.has('hang');
    if (verdict === Verdict.DEADLOCK) {
      return {
        network: fate.network, verdict, inferred,
        reason: `${waits ? 'waits on' : 'calls'} ${callTarget(decisive)}${how(decisive)}, but ${fate.why}: ${
          !waits ? 'it fails and restarts, forever' : meshed.has('fail') ? 'it retries until it gives up, then restarts, forever' : 'its retry loop never ends'}`,
      };
    }
    return {
      network: fate.network, verdict, inferred,
      reason: `calls ${callTarget(decisive)}${how(decisive)} in plaintext (${fate.why}), and STRICT mTLS rejects it`,
    };
  }
  const containerNetwork = initContainerNetwork(mode, plane, { uid, gid }, annotations);
  if (model.unknown) {
    return { network: containerNetwork.network, verdict: Verdict.UNKNOWN, inferred, reason: `unknown: ${model.unknown}; review what it calls` };
  }
  const tcp = model.calls.filter((call) => call.transport === Transport.TCP && call.destination !== DestinationClass.LOOPBACK);
  if (tcp.length === 0) {
    const quiet = model.calls[0];
    return quiet
      ? { network: fateOf(quiet).network, verdict: Verdict.OK, inferred, reason: `calls ${callTarget(quiet)}${how(quiet)}, but ${fateOf(quiet).why}` }
      : { network: containerNetwork.network, verdict: Verdict.OK, inferred, reason: `does not use the network${inferred ? ' (no network tool or URL in its command)' : ''}` };
  }
  // Calls that fail here, but the script goes on without them (`|| true`, no `set -e`).
  const swallowed = failing[0];
  if (swallowed) {
    return {
      network: fateOf(swallowed).network, verdict: Verdict.OK, inferred,
      reason: `calls ${callTarget(swallowed)}${how(swallowed)}, which fails here (${fateOf(swallowed).why}), but the script goes on without it`,
    };
  }
  // Its upstream in the cluster not up yet: a container that fails rather than waits restarts with back-off.
  const first = tcp[0];
  const upstreamDown = model.simulate((call) => call.transport === Transport.TCP && call.destination === DestinationClass.IN_CLUSTER);
  if (upstreamDown.has('fail') && !baselineBad) {
    return {
      network: fateOf(first).network, verdict: Verdict.SLOW, inferred,
      reason: `calls ${callTarget(first)}${how(first)} without waiting for it: while it is not up the container fails, and the pod restarts with back-off (10 s doubling to 300 s)`,
    };
  }
  return { network: fateOf(first).network, verdict: Verdict.OK, inferred, reason: `waits on ${callTarget(first)}${how(first)}; ${fateOf(first).network} (${fateOf(first).why})` };
}

/** The fix a blocking verdict calls for, as the synth-time check words it; kept per mode, since charts repeat names. */
function fixLine(name: string, verdict: Verdict, mode: MeshMode): string {
  let lines = FIX_LINES.get(mode);
  if (!lines) FIX_LINES.set(mode, lines = new Map());
  const key = `${verdict}|${name}`;
  let line = lines.get(key);
  if (line === undefined) {
    line = fixFor({ name, verdict }, mode);
    if (lines.size < 10_000) lines.set(key, line);
  }
  return line;
}
const FIX_LINES = new WeakMap<MeshMode, Map<string, string>>();

type MutableStep = { -readonly [K in keyof TimelineStep]: TimelineStep[K] };

function timeline(pod: PodInput, profile: MeshProfile | undefined, plane: PodDataplane, findings: InitContainerFinding[]): TimelineStep[] {
  const steps: MutableStep[] = [];
  const initStep = (f: InitContainerFinding): MutableStep => ({
    name: f.name, role: pod.spec.initContainers[f.index].restartPolicy === 'Always' ? TimelineRole.NATIVE_SIDECAR : TimelineRole.INIT,
    note: f.reason, network: f.network, verdict: f.verdict, reached: true,
  });
  const appStep = (c: any): MutableStep => ({ name: c.name, role: TimelineRole.APP, note: 'app container', reached: true });

  if (plane.preInjected) {
    const byIndex = new Map(findings.map((f) => [f.index, f]));
    for (const [index, c] of (pod.spec.initContainers ?? []).entries()) {
      const f = byIndex.get(index);
      if (f) steps.push(initStep(f));
      else steps.push({ name: c.name, role: c.name === profile!.proxyContainerName ? TimelineRole.PROXY : TimelineRole.MESH_INIT, note: 'injected by the mesh (already in the manifest)', reached: true });
    }
    for (const c of pod.spec.containers ?? []) {
      steps.push(profile && c.name === profile.proxyContainerName
        ? { name: c.name, role: TimelineRole.PROXY, note: 'proxy, starts once every init container has finished', reached: true }
        : appStep(c));
    }
  } else {
    const injected = profile ? injectedContainers(profile, plane, holdsAppUntilProxyReady(profile, pod.metadata)) : [];
    const at = (placement: string) => {
      for (const c of injected) if (c.placement === placement) steps.push({ name: c.name, role: c.role, note: c.note, reached: true });
    };
    at('before-user-inits');
    for (const f of findings) steps.push(initStep(f));
    at('after-user-inits');
    at('with-apps');
    for (const c of pod.spec.containers ?? []) if (!(profile && c.name === profile.proxyContainerName)) steps.push(appStep(c));
  }

  // Startup stops at the first init container that can never complete.
  let reached = true;
  for (const step of steps) {
    step.reached = reached;
    if (step.verdict && blocksStartup(step.verdict)) reached = false;
  }
  return steps;
}
