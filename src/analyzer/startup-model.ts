import { ANNOTATIONS } from '../common/labels';
import {
  holdsAppUntilProxyReady, initContainerNetwork, initContainerVerdict, injectedContainers, NamespaceShape, Network, PodDataplane, podDataplane, TimelineRole, Verdict,
} from '../mesh/capture-rules';
import { MeshMode, profileOf } from '../mesh/mesh-mode';
import { Dataplane, MeshProfile } from '../mesh/mesh-profiles';
import { declaredNetworkContainers, networkUsage, NetworkUsage } from './network-usage';

export { Network, TimelineRole, Verdict } from '../mesh/capture-rules';
const SEVERITY: Verdict[] = [Verdict.OK, Verdict.SLOW, Verdict.FAILS, Verdict.DEADLOCK];

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

const describeTarget = (u: NetworkUsage) => (u.host || u.port ? `${u.host ?? '?'}:${u.port ?? '?'}` : 'its upstream');

/**
 * Models one pod template's startup under a mesh mode: what the mesh injects and where, the
 * kubelet's start order, and a verdict for each init container. The rules are the engine's (src/mesh/capture-rules.ts; docs/mesh-facts.md §1-§3).
 */
export function analyzePod(pod: PodInput, mode: MeshMode, ns: NamespaceContext = {}): PodFinding {
  const profile = profileOf(mode);
  const annotations = pod.metadata.annotations ?? {};
  const plane = podDataplane(mode, pod, ns);
  const declared = declaredNetworkContainers(annotations);
  const podSecurity = pod.spec.securityContext ?? {};
  const meshContainerNames = profile ? [profile.proxyContainerName, profile.cniInitContainerName, profile.iptablesInitContainerName] : [];
  const userInits = (pod.spec.initContainers ?? []).map((c: any, index: number) => ({ c, index }))
    .filter(({ c }: any) => !(plane.preInjected && meshContainerNames.includes(c.name)));

  const findings: InitContainerFinding[] = userInits.map(({ c, index }: { c: any; index: number }) => {
    const usage = networkUsage(c, declared);
    const exemption = {
      uid: c.securityContext?.runAsUser ?? podSecurity.runAsUser,
      gid: c.securityContext?.runAsGroup ?? podSecurity.runAsGroup,
      port: usage.port,
      host: usage.host,
    };
    const { network, why: meshedWhy } = initContainerNetwork(mode, plane, exemption, annotations);
    // A native-sidecar proxy that is never waited for: the next init container starts once its
    // process has, and its first connections may meet no listener.
    const unready = network === Network.MESHED && plane.dataplane === Dataplane.NATIVE_SIDECAR && profile?.nativeSidecarReadyNeedsHold === true
      && !holdsAppUntilProxyReady(profile, pod.metadata);
    const networkWhy = unready
      ? `native sidecar: ${profile!.proxyContainerName} has started, but runs without a startupProbe (${profile!.holdUntilProxyReady.key} is off), `
        + 'so it may not listen yet and the first connections can be refused'
      : meshedWhy;
    const base = { name: c.name, network, inferred: usage.inferred, index };
    const how = usage.inferred ? ` (inferred from ${usage.evidence})` : '';
    if (c.restartPolicy === 'Always') {
      return { ...base, verdict: Verdict.OK, reason: 'native sidecar: starts and keeps running; it does not block startup' };
    }
    if (!usage.usesNetwork) {
      return { ...base, verdict: Verdict.OK, reason: `does not use the network${usage.inferred ? ' (no network tool or URL in its command)' : ''}` };
    }
    const target = describeTarget(usage);
    const { verdict, outcome } = initContainerVerdict(network, mode, usage.waits);
    // The verdict holds for the classic dataplane; say when the release could make it another.
    const other = plane.alternative
      && initContainerVerdict(initContainerNetwork(mode, plane.alternative.plane, exemption, annotations).network, mode, usage.waits).verdict;
    const caveat = other !== undefined && other !== verdict ? ` (${plane.alternative!.caveat})` : '';
    return { ...base, verdict, reason: findingReason(verdict, usage.waits, target, how, network, networkWhy, outcome, caveat) };
  });

  let verdict = worstVerdict(findings.map((f) => f.verdict));
  let reason = findings.find((f) => f.verdict === verdict && verdict !== Verdict.OK)?.reason ?? 'every init container can complete';
  if (verdict === Verdict.OK && annotations[ANNOTATIONS.startupStrategy] === 'none') {
    verdict = Verdict.SLOW;
    reason = NO_WAIT_REASON;
  }

  return {
    kind: pod.kind, name: pod.name, namespace: pod.namespace, source: pod.source, specPath: pod.specPath,
    verdict, reason, dataplane: plane.dataplane, initContainers: findings,
    timeline: timeline(pod, profile, plane, findings),
  };
}

/** The reason for one init container's verdict; only the verdict's own sentence is built. */
function findingReason(verdict: Verdict, waits: boolean, target: string, how: string, network: Network, networkWhy: string, outcome: string, caveat: string): string {
  switch (verdict) {
    case Verdict.DEADLOCK:
      return `${waits ? 'waits on' : 'calls'} ${target}${how}, but ${networkWhy}: ${outcome}${caveat}`;
    case Verdict.FAILS:
      return `calls ${target}${how} in plaintext (${networkWhy}), and ${outcome}${caveat}`;
    case Verdict.SLOW:
      return `calls ${target} once${how} without retrying; ${outcome}`;
    case Verdict.OK:
      return `waits on ${target}${how}; ${network} (${networkWhy})`;
  }
}

/** What the library's own "none" strategy means at startup (h2oGPT does not crash; docs/mesh-facts.md). */
const NO_WAIT_REASON = 'startup strategy "none": h2oGPT starts without waiting; the 0.2.1 image turns Ready at once and its chats '
  + 'fail until vLLM is up (it does not crash), and newer images, told to fail on an unreachable model, restart with back-off';

function timeline(pod: PodInput, profile: MeshProfile | undefined, plane: PodDataplane, findings: InitContainerFinding[]): TimelineStep[] {
  const steps: Array<Omit<TimelineStep, 'reached'>> = [];
  const byIndex = new Map(findings.map((f) => [f.index, f]));
  const initStep = (f: InitContainerFinding) => ({
    name: f.name, role: pod.spec.initContainers[f.index].restartPolicy === 'Always' ? TimelineRole.NATIVE_SIDECAR : TimelineRole.INIT,
    note: f.reason, network: f.network, verdict: f.verdict,
  });
  const apps = (pod.spec.containers ?? []).filter((c: any) => !(profile && c.name === profile.proxyContainerName));
  const appSteps = apps.map((c: any) => ({ name: c.name, role: TimelineRole.APP, note: 'app container' }));

  if (plane.preInjected) {
    for (const [index, c] of (pod.spec.initContainers ?? []).entries()) {
      const f = byIndex.get(index);
      if (f) steps.push(initStep(f));
      else steps.push({ name: c.name, role: c.name === profile!.proxyContainerName ? TimelineRole.PROXY : TimelineRole.MESH_INIT, note: 'injected by the mesh (already in the manifest)' });
    }
    for (const c of pod.spec.containers ?? []) {
      steps.push(profile && c.name === profile.proxyContainerName
        ? { name: c.name, role: TimelineRole.PROXY, note: 'proxy, starts once every init container has finished' }
        : { name: c.name, role: TimelineRole.APP, note: 'app container' });
    }
  } else {
    const injected = profile ? injectedContainers(profile, plane, holdsAppUntilProxyReady(profile, pod.metadata)) : [];
    const at = (placement: string) => injected.filter((c) => c.placement === placement).map(({ name, role, note }) => ({ name, role, note }));
    steps.push(...at('before-user-inits'), ...findings.map(initStep), ...at('after-user-inits'), ...at('with-apps'), ...appSteps);
  }

  // Startup stops at the first init container that can never complete.
  let reached = true;
  return steps.map((step) => {
    const result = { ...step, reached };
    if (step.verdict && blocksStartup(step.verdict)) reached = false;
    return result;
  });
}
