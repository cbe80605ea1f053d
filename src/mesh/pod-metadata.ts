import { MeshMode, profileOf } from './mesh-mode';
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
