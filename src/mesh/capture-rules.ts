import { CORE_SCHEMA, load as loadYaml } from 'js-yaml';
import { MeshMode, MtlsMode, profileOf } from './mesh-mode';
import { Dataplane, MeshProfile, MetadataEntry } from './mesh-profiles';

// The one model of what a mesh does to a pod's start: who captures what and when, where each
// injected container goes, what escapes capture, and what hold-until-proxy changes. Synthesis
// (startup/decide.ts) and the analyzer both ask it; the facts behind it are in docs/mesh-facts.md.

/** What an init container's outbound connections meet. */
export enum Network {
  /** Carried by a running proxy (native sidecar, ambient's ztunnel), or no mesh at all. */
  MESHED = 'meshed',
  /** Not captured: it reaches the upstream as plaintext, outside the mesh. */
  UNMESHED = 'unmeshed',
  /** Redirected to a proxy that is not running yet: every connection is refused. */
  CAPTURED = 'captured',
}

/** How a container, or a pod, fares at startup; worst last. */
export enum Verdict {
  /** Starts. */
  OK = 'ok',
  /** Starts, later than it could (it waits on something that comes up by itself). */
  SLOW = 'slow',
  /** The analyzer cannot tell: the container runs something it cannot judge, so review it. */
  UNKNOWN = 'unknown',
  /** Never starts: its plaintext call is refused by STRICT mTLS. */
  FAILS = 'fails',
  /** Never starts: it waits on a proxy that only starts after it. */
  DEADLOCK = 'deadlock',
}

/** What a container is, in a pod's modelled start order. */
export enum TimelineRole {
  /** An init container the mesh injects (iptables setup, CNI validation). */
  MESH_INIT = 'mesh-init',
  /** The mesh's proxy. */
  PROXY = 'proxy',
  /** A user init container. */
  INIT = 'init',
  /** A user init container with `restartPolicy: Always`, which keeps running. */
  NATIVE_SIDECAR = 'native-sidecar',
  /** An app container. */
  APP = 'app',
}

/** A pod's (or pod template's) metadata and spec, as far as the rules read them. */
export interface PodShape {
  readonly metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  readonly spec: any;
}

/** Labels and annotations of the pod's Namespace, when known. */
export interface NamespaceShape {
  readonly name?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

/** The data plane a pod ends up with under a mode, and why. */
export interface PodDataplane {
  readonly dataplane: Dataplane;
  /** Whether the mesh's CNI plugin sets up capture (classic sidecars; assumed with native ones). */
  readonly cni: boolean;
  readonly why: string;
  /** The mesh's containers are already in the manifest (e.g. `istioctl kube-inject` output). */
  readonly preInjected: boolean;
  /** When the release could give the pod another dataplane: that one, and why, said plainly. */
  readonly alternative?: { readonly plane: PodDataplane; readonly caveat: string };
}

/** What an init container's traffic may escape capture by. */
export interface CaptureExemption {
  readonly uid?: number;
  readonly gid?: number;
  /** The port it calls. */
  readonly port?: number;
  /** The host it calls. */
  readonly host?: string;
}

/** The network one init container meets, and why. */
export interface InitNetwork {
  readonly network: Network;
  readonly why: string;
}

function has(entry: MetadataEntry, labels: Record<string, string>, annotations: Record<string, string>): boolean {
  return (entry.on === 'label' ? labels : annotations)[entry.key] === entry.value;
}

/** The data plane a pod gets under `mode`, from its metadata, its namespace's and its containers. */
export function podDataplane(mode: MeshMode, pod: PodShape, ns: NamespaceShape = {}): PodDataplane {
  const profile = profileOf(mode);
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

  if (mode.dataplane === Dataplane.AMBIENT) {
    return podAmbient === profile.ambientOptOutValue
      ? { dataplane: Dataplane.NONE, cni: false, why: `${ambientLabel}: ${podAmbient} takes it out of ambient`, preInjected: false }
      // The istio-cni plugin holds the pod's start until ztunnel has it: meshed from the first packet.
      : { dataplane: Dataplane.AMBIENT, cni: true, why: 'ambient', preInjected: false };
  }
  if (podDisabled || namespaceDisabled) {
    const why = podDisabled
      ? `sidecar injection is turned off for this pod (${podDisabled.key}: ${podDisabled.value})`
      : `its namespace${ns.name ? ` "${ns.name}"` : ''} turns sidecar injection off (${namespaceDisabled})`;
    return profile.ambientEnrolment && podAmbient === profile.ambientEnrolment.value
      ? { dataplane: Dataplane.AMBIENT, cni: true, why: `${why}, and the pod is enrolled in ambient`, preInjected: false }
      : { dataplane: Dataplane.NONE, cni: false, why, preInjected: false };
  }
  const nativeValue = profile.nativeSidecarOptIn.map((e) => annotations[e.key]).find((v) => v !== undefined);
  if (mode.dataplane === Dataplane.SIDECAR) {
    if (nativeValue === 'true') return { dataplane: Dataplane.NATIVE_SIDECAR, cni: mode.cni, why: 'the pod opts into a native sidecar', preInjected: false };
    if (nativeValue === profile.nativeSidecarOptOutValue) return { dataplane: Dataplane.SIDECAR, cni: mode.cni, why: 'the pod opts out of native sidecars', preInjected: false };
    // No word from the pod: the release decides (docs/mesh-facts.md §4). The same for every such
    // pod of the mode, so built once per mode.
    let byRelease = RELEASE_DECIDED.get(mode);
    if (!byRelease) RELEASE_DECIDED.set(mode, byRelease = releaseDecidedPlane(mode, profile));
    return byRelease;
  }
  return nativeValue === profile.nativeSidecarOptOutValue
    ? { dataplane: Dataplane.SIDECAR, cni: true, why: 'the pod opts out of native sidecars (CNI assumed)', preInjected: false }
    : { dataplane: Dataplane.NATIVE_SIDECAR, cni: mode.cni, why: 'native sidecar', preInjected: false };
}

const RELEASE_DECIDED = new WeakMap<MeshMode, PodDataplane>();

/** A sidecar-mode pod that says nothing about native sidecars: what the mesh's release gives it. */
function releaseDecidedPlane(mode: MeshMode, profile: MeshProfile): PodDataplane {
  const byDefault = profile.nativeSidecarDefaultSince;
  const release = `${profile.displayName} ${byDefault.release.join('.')}`;
  const newer = mode.releaseAtLeast(byDefault.release[0], byDefault.release[1]);
  if (newer === true && !byDefault.condition) {
    return { dataplane: Dataplane.NATIVE_SIDECAR, cni: mode.cni, why: `${release} and later inject a native sidecar unless the pod opts out`, preInjected: false };
  }
  const classic = { dataplane: Dataplane.SIDECAR, cni: mode.cni, why: 'classic sidecar', preInjected: false };
  if (newer === false) return classic;
  const caveat = newer === true
    ? `${release} and later inject native sidecars ${byDefault.condition}; if yours are, the pod gets one and this changes`
    : `the mesh release is unknown: from ${release} pods get native sidecars${byDefault.condition ? ` ${byDefault.condition}` : ''} unless they opt out, `
      + 'and then this changes; give the mesh version to settle it';
  const native = { dataplane: Dataplane.NATIVE_SIDECAR, cni: mode.cni, why: `${release} injects a native sidecar`, preInjected: false };
  return { ...classic, alternative: { plane: native, caveat } };
}

/** Port lists such as "8000,9000-9100" or "*". */
export function portListCovers(list: string | undefined, port: number | undefined): boolean {
  if (!list || port === undefined) return false;
  return portRanges(list).some(([low, high]) => port >= low && port <= high);
}

// Charts write the same few port lists on every pod: each is read once.
const PORT_RANGES = new Map<string, Array<[number, number]>>();

function portRanges(list: string): Array<[number, number]> {
  let ranges = PORT_RANGES.get(list);
  if (ranges) return ranges;
  ranges = [];
  for (const item of list.split(',').map((s) => s.trim())) {
    const range = /^(\d+)-(\d+)$/.exec(item);
    if (item === '*') ranges.push([-Infinity, Infinity]);
    else if (range) ranges.push([Number(range[1]), Number(range[2])]);
    else if (item !== '' && !Number.isNaN(Number(item))) ranges.push([Number(item), Number(item)]);
  }
  if (PORT_RANGES.size >= 1024) PORT_RANGES.clear();
  PORT_RANGES.set(list, ranges);
  return ranges;
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

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|::1)$/;

/**
 * What lets an init container's traffic past capture, as the meshes' iptables rules do it: the
 * proxy's UID (and Istio's GID), an excluded port or CIDR, and a loopback destination.
 */
export function captureEscape(profile: MeshProfile, exemption: CaptureExemption, annotations: Record<string, string>): string | undefined {
  if (exemption.uid !== undefined && exemption.uid === profile.proxyUid) return `it runs as the proxy UID ${exemption.uid}, which capture skips`;
  if (exemption.gid !== undefined && profile.proxyGid !== undefined && exemption.gid === profile.proxyGid) {
    return `it runs with the proxy GID ${exemption.gid}, which capture skips`;
  }
  if (exemption.host !== undefined && LOOPBACK.test(exemption.host)) return `${exemption.host} is loopback, which capture leaves alone`;
  if (portListCovers(annotations[profile.excludeOutboundPortsAnnotation], exemption.port)) {
    return `port ${exemption.port} is excluded from capture (${profile.excludeOutboundPortsAnnotation})`;
  }
  if (profile.excludeOutboundCidrsAnnotation && cidrListCovers(annotations[profile.excludeOutboundCidrsAnnotation], exemption.host)) {
    return `${exemption.host} is excluded from capture (${profile.excludeOutboundCidrsAnnotation})`;
  }
  return undefined;
}

/** The network a user init container meets in a pod with this data plane. */
export function initContainerNetwork(mode: MeshMode, plane: PodDataplane, exemption: CaptureExemption,
  annotations: Record<string, string>): InitNetwork {
  const profile = profileOf(mode);
  if (!profile || plane.dataplane === Dataplane.NONE) return { network: Network.UNMESHED, why: plane.why };
  if (plane.dataplane === Dataplane.AMBIENT) {
    return { network: Network.MESHED, why: 'ambient: istio-cni holds the pod\'s start until ztunnel has it, so ztunnel carries it from the first packet' };
  }
  const escape = captureEscape(profile, exemption, annotations);
  if (plane.dataplane === Dataplane.NATIVE_SIDECAR) {
    return escape ? { network: Network.UNMESHED, why: escape } : { network: Network.MESHED, why: `native sidecar: ${profile.proxyContainerName} is already running` };
  }
  if (!plane.cni) {
    return { network: Network.UNMESHED, why: `without ${profile.cniPluginName} it runs before ${profile.iptablesInitContainerName} sets up capture, so nothing captures it` };
  }
  return escape
    ? { network: Network.UNMESHED, why: escape }
    : {
      network: Network.CAPTURED,
      why: `${profile.cniPluginName} redirects it to ${profile.proxyContainerName}'s port ${profile.proxyOutboundPort}, where nothing listens until `
        + `${profile.proxyContainerName} starts after every init container has finished, so each connection is refused at once`,
    };
}

/**
 * Whether app containers wait for the classic sidecar to be ready. Reads every form the mesh
 * accepts: Istio's proxy config as JSON or YAML, Linkerd's annotation (on unless disabled).
 */
export function holdsAppUntilProxyReady(profile: MeshProfile, metadata: PodShape['metadata']): boolean {
  const entry = profile.holdUntilProxyReady;
  const value = (entry.on === 'label' ? metadata.labels : metadata.annotations)?.[entry.key];
  if (value === undefined) return profile.holdOnByDefault;
  if (profile.holdUntilProxyReadyField) {
    // A proxy config document: JSON is YAML, so one parser reads both.
    try {
      const config = loadYaml(value, { schema: CORE_SCHEMA }) as { [field: string]: unknown } | null;
      return config?.[profile.holdUntilProxyReadyField] === true;
    } catch {
      return false;
    }
  }
  return value === entry.value || (profile.holdOnByDefault && value !== 'disabled');
}

/** A container the mesh adds, and where it runs relative to the user's init containers. */
export interface MeshContainer {
  readonly name: string;
  readonly role: TimelineRole;
  readonly placement: 'before-user-inits' | 'after-user-inits' | 'with-apps';
  readonly note: string;
}

/** The containers the mesh injects into a pod with this data plane, in the kubelet's start order. */
export function injectedContainers(profile: MeshProfile, plane: PodDataplane, hold: boolean): MeshContainer[] {
  switch (plane.dataplane) {
    case Dataplane.NONE:
    case Dataplane.AMBIENT:
      return [];
    case Dataplane.NATIVE_SIDECAR:
      return [
        {
          name: plane.cni ? profile.cniInitContainerName : profile.iptablesInitContainerName,
          role: TimelineRole.MESH_INIT, placement: 'before-user-inits', note: 'injected first: sets up or validates capture',
        },
        {
          name: profile.proxyContainerName, role: TimelineRole.PROXY, placement: 'before-user-inits',
          note: 'native sidecar (restartPolicy: Always): starts before user init containers and keeps running',
        },
      ];
    case Dataplane.SIDECAR: {
      const proxy: MeshContainer = {
        name: profile.proxyContainerName, role: TimelineRole.PROXY, placement: 'with-apps',
        note: hold ? 'starts first among containers; app containers wait until it is ready' : 'starts alongside the app containers (no hold: the app may start before it is ready)',
      };
      if (!plane.cni) {
        return [{ name: profile.iptablesInitContainerName, role: TimelineRole.MESH_INIT, placement: 'after-user-inits', note: 'injected after user init containers: sets up capture' }, proxy];
      }
      return [{
        name: profile.cniInitContainerName, role: TimelineRole.MESH_INIT, placement: profile.cniInitContainerPlacement,
        note: `injected by ${profile.cniPluginName}, which set up capture at pod network setup, before any init container ran`,
      }, proxy];
    }
  }
}

/**
 * The verdict for an init container that uses the network, with the outcome it leads to: the one
 * place a network becomes a verdict, for the analyzer and for the refusals alike.
 */
export function initContainerVerdict(network: Network, mode: MeshMode, waits: boolean): { verdict: Verdict; outcome: string } {
  if (network === Network.CAPTURED) {
    return { verdict: Verdict.DEADLOCK, outcome: waits ? 'its retry loop never ends' : 'it fails and restarts, forever' };
  }
  if (network === Network.UNMESHED && profileOf(mode) && mode.mtls === MtlsMode.STRICT) {
    return { verdict: Verdict.FAILS, outcome: 'STRICT mTLS rejects it' };
  }
  if (!waits) return { verdict: Verdict.SLOW, outcome: 'until it answers, the pod restarts with back-off (10 s doubling to 300 s)' };
  return { verdict: Verdict.OK, outcome: 'it completes once its upstream answers' };
}
