import { ANNOTATIONS } from '../common/labels';
import { MeshMode, MtlsMode, profileOf } from '../mesh/mesh-mode';
import { Dataplane, MeshProfile, MetadataEntry } from '../mesh/mesh-profiles';
import { declaredNetworkContainers, networkUsage, NetworkUsage } from './network-usage';

/** What an init container's traffic meets. */
export type Network = 'meshed' | 'unmeshed' | 'blackholed';
/** How a container, or a pod, fares at startup; worst last. */
export type Verdict = 'ok' | 'slow' | 'fails' | 'deadlock';
const SEVERITY: Verdict[] = ['ok', 'slow', 'fails', 'deadlock'];

/** Whether a verdict keeps the pod from ever starting: what every check reports as a failure. */
export function blocksStartup(verdict: Verdict): boolean {
  return verdict === 'deadlock' || verdict === 'fails';
}

/** Worst of several verdicts. */
function worstVerdict(verdicts: Verdict[]): Verdict {
  return verdicts.reduce<Verdict>((worst, v) => (SEVERITY.indexOf(v) > SEVERITY.indexOf(worst) ? v : worst), 'ok');
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
  readonly role: 'mesh-init' | 'proxy' | 'init' | 'native-sidecar' | 'app';
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
export interface NamespaceContext {
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

export interface PodInput {
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly source?: string;
  readonly specPath: string;
  readonly metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  readonly spec: any;
}

function has(entry: MetadataEntry, labels: Record<string, string>, annotations: Record<string, string>): boolean {
  return (entry.on === 'label' ? labels : annotations)[entry.key] === entry.value;
}

interface EffectiveDataplane {
  readonly dataplane: Dataplane;
  readonly cni: boolean;
  readonly why: string;
  /** The mesh's containers are already in the manifest (e.g. `istioctl kube-inject` output). */
  readonly preInjected: boolean;
}

function effectiveDataplane(mode: MeshMode, profile: MeshProfile | undefined, pod: PodInput, ns: NamespaceContext): EffectiveDataplane {
  const labels = pod.metadata.labels ?? {};
  const annotations = pod.metadata.annotations ?? {};
  if (!profile) return { dataplane: Dataplane.NONE, cni: false, why: 'no mesh', preInjected: false };
  // Meshes do not inject or capture host-network pods: their traffic is the node's.
  if (pod.spec.hostNetwork === true) return { dataplane: Dataplane.NONE, cni: false, why: 'hostNetwork pods are left out of the mesh', preInjected: false };

  const inits: any[] = pod.spec.initContainers ?? [];
  const proxyAsInit = inits.find((c) => c.name === profile.proxyContainerName);
  const proxyAsApp = (pod.spec.containers ?? []).some((c: any) => c.name === profile.proxyContainerName);
  if (proxyAsInit || proxyAsApp) {
    const cni = inits.some((c) => c.name === profile.cniInitContainerName) || !inits.some((c) => c.name === profile.iptablesInitContainerName);
    const native = proxyAsInit?.restartPolicy === 'Always';
    return { dataplane: native ? Dataplane.NATIVE_SIDECAR : Dataplane.SIDECAR, cni, why: `${profile.proxyContainerName} is already in the manifest`, preInjected: true };
  }

  const ambientLabel = profile.ambientEnrolment?.key;
  const podAmbient = ambientLabel ? labels[ambientLabel] ?? ns.labels?.[ambientLabel] : undefined;
  const podDisabled = profile.injectionDisabled.find((e) => has(e, labels, annotations));
  const namespaceDisabled = profile.namespaceInjectionLabel !== undefined && ns.labels?.[profile.namespaceInjectionLabel] === 'disabled'
    ? `${profile.namespaceInjectionLabel}=disabled`
    : profile.injectionDisabled.filter((e) => (e.on === 'annotation' ? ns.annotations : ns.labels)?.[e.key] === e.value).map((e) => `${e.key}: ${e.value}`)[0];
  const disabled = podDisabled !== undefined || namespaceDisabled !== undefined;
  const disabledWhy = podDisabled
    ? `sidecar injection is turned off for this pod (${podDisabled.key}: ${podDisabled.value})`
    : `its namespace${pod.namespace ? ` "${pod.namespace}"` : ''} turns sidecar injection off (${namespaceDisabled})`;

  if (mode.dataplane === Dataplane.AMBIENT) {
    return podAmbient === profile.ambientOptOutValue
      ? { dataplane: Dataplane.NONE, cni: false, why: `${ambientLabel}: ${podAmbient} takes it out of ambient`, preInjected: false }
      : { dataplane: Dataplane.AMBIENT, cni: false, why: 'ambient', preInjected: false };
  }
  if (disabled) {
    return profile.ambientEnrolment && podAmbient === profile.ambientEnrolment.value
      ? { dataplane: Dataplane.AMBIENT, cni: false, why: 'sidecar injection is off and the pod is enrolled in ambient', preInjected: false }
      : { dataplane: Dataplane.NONE, cni: false, why: disabledWhy, preInjected: false };
  }
  const nativeValue = profile.nativeSidecarOptIn.map((e) => annotations[e.key]).find((v) => v !== undefined);
  if (mode.dataplane === Dataplane.SIDECAR) {
    return nativeValue === 'true'
      ? { dataplane: Dataplane.NATIVE_SIDECAR, cni: mode.cni, why: 'the pod opts into a native sidecar', preInjected: false }
      : { dataplane: Dataplane.SIDECAR, cni: mode.cni, why: 'classic sidecar', preInjected: false };
  }
  return nativeValue === profile.nativeSidecarOptOutValue
    ? { dataplane: Dataplane.SIDECAR, cni: true, why: 'the pod opts out of native sidecars (CNI assumed)', preInjected: false }
    : { dataplane: Dataplane.NATIVE_SIDECAR, cni: mode.cni, why: 'native sidecar', preInjected: false };
}

/** Port lists such as "8000,9000-9100" or "*". */
function portListCovers(list: string | undefined, port: number | undefined): boolean {
  if (!list || port === undefined) return false;
  return list.split(',').map((s) => s.trim()).some((item) => {
    if (item === '*') return true;
    const range = /^(\d+)-(\d+)$/.exec(item);
    if (range) return port >= Number(range[1]) && port <= Number(range[2]);
    return Number(item) === port;
  });
}

function ipv4ToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

function cidrListCovers(list: string | undefined, host: string | undefined): boolean {
  if (!list || !host) return false;
  const ip = ipv4ToInt(host);
  return list.split(',').map((s) => s.trim()).some((cidr) => {
    if (cidr === '*') return true;
    const [base, bits] = cidr.split('/');
    const baseInt = ipv4ToInt(base);
    if (ip === undefined || baseInt === undefined) return false;
    const size = 2 ** (32 - Number(bits ?? 32));
    return Math.floor(ip / size) === Math.floor(baseInt / size);
  });
}

const describeTarget = (u: NetworkUsage) => (u.host || u.port ? `${u.host ?? '?'}:${u.port ?? '?'}` : 'its upstream');

/**
 * Models one pod template's startup under a mesh mode: what the mesh injects and where, the
 * kubelet's start order, and a verdict for each init container. REFERENCE §1-§2.
 */
export function analyzePod(pod: PodInput, mode: MeshMode, ns: NamespaceContext = {}): PodFinding {
  const profile = profileOf(mode);
  const annotations = pod.metadata.annotations ?? {};
  const plane = effectiveDataplane(mode, profile, pod, ns);
  const declared = declaredNetworkContainers(annotations);
  const podRunAsUser: number | undefined = pod.spec.securityContext?.runAsUser;
  const meshContainerNames = profile ? [profile.proxyContainerName, profile.cniInitContainerName, profile.iptablesInitContainerName] : [];
  const userInits = (pod.spec.initContainers ?? []).map((c: any, index: number) => ({ c, index }))
    .filter(({ c }: any) => !(plane.preInjected && meshContainerNames.includes(c.name)));

  const findings: InitContainerFinding[] = userInits.map(({ c, index }: { c: any; index: number }) => {
    const usage = networkUsage(c, declared);
    const uid: number | undefined = c.securityContext?.runAsUser ?? podRunAsUser;
    const bypassUid = profile !== undefined && uid === profile.proxyUid;
    const excludedPort = profile !== undefined && portListCovers(annotations[profile.excludeOutboundPortsAnnotation], usage.port);
    const excludedCidr = profile !== undefined && cidrListCovers(annotations[profile.excludeOutboundCidrsAnnotation], usage.host);
    const escapes = bypassUid ? `runs as the proxy UID ${uid}, which capture skips`
      : excludedPort ? `port ${usage.port} is excluded from capture (${profile!.excludeOutboundPortsAnnotation})`
        : excludedCidr ? `${usage.host} is excluded from capture (${profile!.excludeOutboundCidrsAnnotation})` : undefined;

    let network: Network;
    let networkWhy: string;
    switch (plane.dataplane) {
      case Dataplane.NONE:
        network = 'unmeshed';
        networkWhy = plane.why;
        break;
      case Dataplane.AMBIENT:
        network = 'meshed';
        networkWhy = 'ambient: the node\'s ztunnel carries it';
        break;
      case Dataplane.NATIVE_SIDECAR:
        network = escapes ? 'unmeshed' : 'meshed';
        networkWhy = escapes ?? `native sidecar: ${profile!.proxyContainerName} is already running`;
        break;
      default:
        if (!plane.cni) {
          network = 'unmeshed';
          networkWhy = `without ${profile!.cniPluginName} it runs before ${profile!.iptablesInitContainerName}, so nothing captures it`;
        } else {
          network = escapes ? 'unmeshed' : 'blackholed';
          networkWhy = escapes ?? `${profile!.cniPluginName} redirects it to ${profile!.proxyContainerName}, which starts only after every init container has finished`;
        }
    }

    const base = { name: c.name, network, inferred: usage.inferred, index };
    const how = usage.inferred ? ` (inferred from ${usage.evidence})` : '';
    if (c.restartPolicy === 'Always') {
      return { ...base, verdict: 'ok' as Verdict, reason: 'native sidecar: starts and keeps running; it does not block startup' };
    }
    if (!usage.usesNetwork) {
      return { ...base, verdict: 'ok' as Verdict, reason: `does not use the network${usage.inferred ? ' (no network tool or URL in its command)' : ''}` };
    }
    const target = describeTarget(usage);
    if (network === 'blackholed') {
      return { ...base, verdict: 'deadlock' as Verdict, reason: `${usage.waits ? 'waits on' : 'calls'} ${target}${how}, but ${networkWhy}: it never completes` };
    }
    if (network === 'unmeshed' && profile && mode.mtls === MtlsMode.STRICT) {
      return { ...base, verdict: 'fails' as Verdict, reason: `calls ${target}${how} in plaintext (${networkWhy}), and strict mTLS rejects it` };
    }
    if (!usage.waits) {
      return { ...base, verdict: 'slow' as Verdict, reason: `calls ${target} once${how} without retrying; until it answers, the pod restarts with back-off (10 s doubling to 300 s)` };
    }
    return { ...base, verdict: 'ok' as Verdict, reason: `waits on ${target}${how}; ${network} (${networkWhy})` };
  });

  let verdict = worstVerdict(findings.map((f) => f.verdict));
  let reason = findings.find((f) => f.verdict === verdict && verdict !== 'ok')?.reason ?? 'every init container can complete';
  if (verdict === 'ok' && annotations[ANNOTATIONS.startupStrategy] === 'none') {
    verdict = 'slow';
    reason = 'startup strategy "none": it does not wait for its upstream and relies on restart back-off';
  }

  return {
    kind: pod.kind, name: pod.name, namespace: pod.namespace, source: pod.source, specPath: pod.specPath,
    verdict, reason, dataplane: plane.dataplane, initContainers: findings,
    timeline: timeline(pod, profile, plane, findings),
  };
}

function timeline(pod: PodInput, profile: MeshProfile | undefined, plane: EffectiveDataplane, findings: InitContainerFinding[]): TimelineStep[] {
  const steps: Array<Omit<TimelineStep, 'reached'>> = [];
  const byIndex = new Map(findings.map((f) => [f.index, f]));
  const initStep = (f: InitContainerFinding) => ({
    name: f.name, role: (pod.spec.initContainers[f.index].restartPolicy === 'Always' ? 'native-sidecar' : 'init') as TimelineStep['role'],
    note: f.reason, network: f.network, verdict: f.verdict,
  });
  const userInitSteps = () => findings.map(initStep);
  const annotations = pod.metadata.annotations ?? {};
  const apps = (pod.spec.containers ?? []).filter((c: any) => !(profile && c.name === profile.proxyContainerName));
  const appSteps = () => apps.map((c: any) => ({ name: c.name, role: 'app' as const, note: 'app container' }));

  if (plane.preInjected) {
    for (const [index, c] of (pod.spec.initContainers ?? []).entries()) {
      const f = byIndex.get(index);
      if (f) steps.push(initStep(f));
      else steps.push({ name: c.name, role: c.name === profile!.proxyContainerName ? 'proxy' : 'mesh-init', note: 'injected by the mesh (already in the manifest)' });
    }
    for (const c of pod.spec.containers ?? []) {
      steps.push(profile && c.name === profile.proxyContainerName
        ? { name: c.name, role: 'proxy', note: 'proxy, starts once every init container has finished' }
        : { name: c.name, role: 'app', note: 'app container' });
    }
  } else if (!profile || plane.dataplane === Dataplane.NONE || plane.dataplane === Dataplane.AMBIENT) {
    steps.push(...userInitSteps(), ...appSteps());
  } else if (plane.dataplane === Dataplane.NATIVE_SIDECAR) {
    steps.push({ name: plane.cni ? profile.cniInitContainerName : profile.iptablesInitContainerName, role: 'mesh-init', note: 'injected first: sets up or validates capture' });
    steps.push({ name: profile.proxyContainerName, role: 'proxy', note: 'native sidecar (restartPolicy: Always): starts before user init containers and keeps running' });
    steps.push(...userInitSteps(), ...appSteps());
  } else {
    if (plane.cni) steps.push({ name: profile.cniInitContainerName, role: 'mesh-init', note: `injected first by ${profile.cniPluginName}: capture is already in place` });
    steps.push(...userInitSteps());
    if (!plane.cni) steps.push({ name: profile.iptablesInitContainerName, role: 'mesh-init', note: 'injected after user init containers: sets up capture' });
    const hold = has(profile.holdUntilProxyReady, pod.metadata.labels ?? {}, annotations)
      || (profile.holdOnByDefault && annotations[profile.holdUntilProxyReady.key] !== 'disabled');
    steps.push({
      name: profile.proxyContainerName, role: 'proxy',
      note: hold ? 'starts first among containers; app containers wait until it is ready' : 'starts alongside the app containers (no hold: the app may start before it is ready)',
    });
    steps.push(...appSteps());
  }

  // Startup stops at the first init container that can never complete.
  let reached = true;
  return steps.map((step) => {
    const result = { ...step, reached };
    if (step.verdict && blocksStartup(step.verdict)) reached = false;
    return result;
  });
}
