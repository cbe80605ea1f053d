import { MeshMode, profileOf } from './mesh-mode';
import { allMeshProfiles } from './meshes';
import { Dataplane, MetadataEntry } from './mesh-profiles';

/** Labels and annotations for a pod template. */
export interface PodMetadata {
  readonly labels: { [key: string]: string };
  readonly annotations: { [key: string]: string };
}

/**
 * What a pod template needs to join the mesh in this mode: injection, the native-sidecar
 * opt-in, the ambient enrolment label, and (classic sidecars) holding the app until the proxy
 * is ready. Read from the mesh's profile, the same facts the analyzer reads.
 */
export function meshPodMetadata(mode: MeshMode): PodMetadata {
  const profile = profileOf(mode);
  const entries: MetadataEntry[] = [];
  switch (mode.dataplane) {
    case Dataplane.SIDECAR:
      // Explicitly classic: Istio 1.28 (kubelets >= 1.33) and Linkerd 2.20 inject native sidecars
      // unless told not to, and the strategy was chosen for a classic one (docs/mesh-facts.md §4).
      entries.push(profile!.injectionEnabled, profile!.holdUntilProxyReady,
        ...profile!.nativeSidecarOptIn.map((e) => ({ ...e, value: profile!.nativeSidecarOptOutValue })));
      break;
    case Dataplane.NATIVE_SIDECAR:
      // Hold-until-proxy is ignored with native sidecars: the proxy starts first by design.
      entries.push(profile!.injectionEnabled, ...profile!.nativeSidecarOptIn);
      break;
    case Dataplane.AMBIENT:
      entries.push(profile!.ambientEnrolment!);
      break;
    case Dataplane.NONE:
      break;
  }
  return toMetadata(entries);
}

/** The annotation that excludes each of `ports` from outbound capture in this mode's mesh. */
export function portExclusionMetadata(mode: MeshMode, ...ports: number[]): PodMetadata {
  const profile = profileOf(mode);
  if (!profile) return { labels: {}, annotations: {} };
  const value = [...new Set(ports)].join(',');
  return toMetadata([{ key: profile.excludeOutboundPortsAnnotation, value, on: 'annotation' }]);
}

function toMetadata(entries: MetadataEntry[]): PodMetadata {
  const labels: { [key: string]: string } = {};
  const annotations: { [key: string]: string } = {};
  for (const entry of entries) {
    (entry.on === 'label' ? labels : annotations)[entry.key] = entry.value;
  }
  return { labels, annotations };
}

/** What a multi-node group's pods carry in a mode, beyond `meshPodMetadata`. */
export interface GroupTrafficChoice {
  /** Added to the leader's metadata. */
  readonly leader: PodMetadata;
  /** Added to each worker's, after the mesh's own metadata has been taken off. */
  readonly worker: PodMetadata;
  /** Whether the mesh carries the group's traffic, so its policy must admit the group's identity. */
  readonly meshed: boolean;
  readonly reason: string;
}

/** The mode's choice for a group, or why the mode cannot carry one. */
export type GroupPodMetadata = GroupTrafficChoice | { readonly refused: string };

/**
 * How a multi-node vLLM group's own traffic (Ray, torch.distributed, NCCL: not HTTP, on ports the
 * OS picks) passes in this mode, from the mesh's profile (docs/group-facts.md §4).
 */
export function groupPodMetadata(mode: MeshMode, servingPort: number): GroupPodMetadata {
  const profile = profileOf(mode);
  if (!profile) {
    return { leader: toMetadata([]), worker: toMetadata([]), meshed: false, reason: 'no mesh: the group\'s pods reach each other directly, fenced by their NetworkPolicy' };
  }
  const traffic = profile.groupTraffic[mode.dataplane];
  if (!traffic) {
    return { refused: `${mode.describe()} has no way known to this library to keep a group's Ray and NCCL traffic out of its proxy` };
  }
  return { leader: toMetadata(traffic.leader(servingPort)), worker: toMetadata([...traffic.worker]), meshed: traffic.meshed, reason: traffic.reason };
}

/** The keys in pod labels or annotations that ask some mesh to take the pod (injection, ambient enrolment). */
export function meshKeysIn(labels: { [key: string]: string } | undefined, annotations: { [key: string]: string } | undefined): string[] {
  const keys = allMeshProfiles().flatMap((profile) => [profile.injectionEnabled, ...(profile.ambientEnrolment ? [profile.ambientEnrolment] : [])]);
  return keys.filter((entry) => (entry.on === 'label' ? labels : annotations)?.[entry.key] === entry.value).map((entry) => entry.key);
}
