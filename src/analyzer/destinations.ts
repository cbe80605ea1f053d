/**
 * Where a call goes, in the classes the meshes treat differently (docs/mesh-facts.md §2, §2b):
 * capture skips loopback and UDP, and STRICT mTLS is enforced by the destination's proxy, so it
 * governs only destinations in the mesh.
 */
export enum DestinationClass {
  /** A Service or pod of the cluster, which the mesh may hold to STRICT mTLS. */
  IN_CLUSTER = 'in-cluster',
  /** The Kubernetes API server: no proxy in front of it. */
  KUBERNETES_API = 'kubernetes-api',
  /** A host outside the cluster. */
  EXTERNAL = 'external',
  /** The cloud's instance metadata address (link-local). */
  METADATA = 'metadata',
  /** The pod itself: neither mesh captures it. */
  LOOPBACK = 'loopback',
  /** A name lookup over UDP: neither mesh redirects it by default. */
  DNS = 'dns',
  /** A host the spec does not name (a Secret, or an unresolved variable). */
  UNKNOWN = 'unknown',
}

const METADATA_HOSTS = new Set(['169.254.169.254', 'metadata.google.internal', 'metadata', '100.100.100.200', 'fd00:ec2::254', '169.254.170.2']);
const KUBERNETES_API_HOSTS = /^kubernetes(\.default(\.svc(\.cluster\.local)?)?)?\.?$/;

/** The class of a host as written (a name or an address), or UNKNOWN for none. */
export function classifyHost(host: string | undefined): DestinationClass {
  if (host === undefined || host === '') return DestinationClass.UNKNOWN;
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost') || /^127\./.test(h) || h === '::1' || h === '0.0.0.0') return DestinationClass.LOOPBACK;
  if (METADATA_HOSTS.has(h) || /^169\.254\./.test(h)) return DestinationClass.METADATA;
  if (KUBERNETES_API_HOSTS.test(h)) return DestinationClass.KUBERNETES_API;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(h) || h.includes(':')) {
    // An address: private ranges may be the cluster's or a VPC's; either way capture applies.
    return /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|fd)/.test(h) ? DestinationClass.UNKNOWN : DestinationClass.EXTERNAL;
  }
  // Cluster DNS: a bare Service name, name.namespace, name.namespace.svc[.cluster.local], and
  // pod or headless names under them.
  if (!h.includes('.') || /\.svc(\.[a-z0-9-]+)*\.?$/.test(h) || /\.cluster\.local\.?$/.test(h)) return DestinationClass.IN_CLUSTER;
  const labels = h.replace(/\.$/, '').split('.');
  // name.namespace: two labels whose last is no public suffix a pod would call out to.
  if (labels.length === 2 && !PUBLIC_SUFFIX.test(labels[1])) return DestinationClass.IN_CLUSTER;
  if (/\.(internal|local|lan|home|corp)$/.test(h)) return DestinationClass.UNKNOWN;
  return DestinationClass.EXTERNAL;
}

// Top-level domains seen in init containers' calls; a two-label name ending in one is a public host.
const PUBLIC_SUFFIX = /^(com|org|net|io|ai|co|dev|app|cloud|sh|so|me|info|biz|us|uk|de|fr|eu|cn|jp|in|ru|xyz|tech|run|gg|to|ly|tv|cc|gov|edu)$/;

/** Whether capture redirects a call to this class (TCP to anything but the pod itself). */
export function isCapturedClass(c: DestinationClass): boolean {
  return c !== DestinationClass.LOOPBACK && c !== DestinationClass.DNS;
}

/** Whether STRICT mTLS can refuse a plaintext call to this class: only a destination in the mesh. */
export function mayBeInMesh(c: DestinationClass): boolean {
  return c === DestinationClass.IN_CLUSTER;
}
