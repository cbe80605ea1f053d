import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { ConfigurationError } from '../common/errors';
import { MeshMode, profileOf } from './mesh-mode';
import { Dataplane } from './mesh-profiles';

// Sticky sessions for h2oGPT's UI (docs/mesh-facts.md §9): Gradio keeps each session in one
// process. Without a mesh the Service's ClientIP affinity does it; a mesh's proxies ignore that,
// so each mesh needs its own way, or the stack refuses more than one replica.

/** The cookie the caller's proxy sets to pin a browser session to one h2oGPT replica. */
export const SESSION_COOKIE = 'h2ogpt-session';

/** The UI a mesh must keep sessions on. Internal. */
export interface StickyFrontend {
  readonly name: string;
  readonly namespace?: string;
  readonly labels: { [key: string]: string };
  readonly uiPort: number;
  readonly replicas: number;
  /** The h2oGPT Service, which ambient mode labels to route through a waypoint. */
  readonly service: ApiObject;
}

/** Options for sticky sessions in ambient mode. Internal. */
export interface StickySessionOptions {
  /** An existing waypoint to route h2oGPT's Service through, instead of the stack's own. */
  readonly waypointName?: string;
  /** The UI is exposed through an ingress gateway, which must send through the waypoint too. */
  readonly exposed?: boolean;
}

/** What a caller should know about sessions in this mode, or nothing. Internal. */
export interface StickySessions {
  readonly objects: ApiObject[];
  readonly warnings: string[];
}

/**
 * The objects that keep each browser session on one h2oGPT replica under `mode`; none for one
 * replica or no mesh. Throws, naming `h2ogpt.replicas`, where the mesh cannot keep sessions.
 */
export function stickySessions(scope: Construct, mode: MeshMode, frontend: StickyFrontend, options: StickySessionOptions = {}): StickySessions {
  const profile = profileOf(mode);
  const warnings: string[] = [];
  if (!profile || frontend.replicas <= 1) return { objects: [], warnings };
  const affinity = profile.sessionAffinity;
  switch (affinity.mechanism) {
    case 'none':
      throw new ConfigurationError('h2ogpt.replicas', frontend.replicas,
        `Under ${profile.displayName}, ${affinity.why}. Use one h2oGPT replica (vLLM may still have several), or Istio or no mesh for several.`);
    case 'consistent-hash':
      break;
  }
  const metadata = { name: frontend.name, namespace: frontend.namespace, labels: frontend.labels };
  const objects: ApiObject[] = [];
  const ambient = mode.dataplane === Dataplane.AMBIENT;
  // A ring hash that does not follow scaling: Envoy 1.38's coalesced load-balancer rebuilds
  // (istio/istio#60312), fixed in 1.30.1; a release is known here as major.minor only.
  if (mode.releaseAtLeast(1, 30) === true && mode.releaseAtLeast(1, 31) === false) {
    warnings.push('Istio 1.30.0 sends no traffic to h2oGPT replicas added after start under a consistent hash (istio/istio#60312): run 1.30.1 or later');
  }
  if (ambient) {
    // Before 1.26 a waypoint's routes carry no hash policy at all (docs/mesh-facts.md §9).
    if (mode.releaseAtLeast(1, 26) === false) {
      throw new ConfigurationError('h2ogpt.replicas', frontend.replicas,
        `Istio ${mode.version}'s waypoints apply no consistent hash (1.26 added it to routes), so sessions would break: use one h2oGPT replica, or Istio 1.26 or later.`);
    }
    if (mode.releaseAtLeast(1, 26) === undefined) {
      warnings.push('sticky sessions in ambient need Istio 1.26 or later, whose waypoints apply the hash on a route; give the mesh version to check it');
    }
    // ztunnel is L4 only: the hash runs in a waypoint, which the Service is routed through.
    const waypoint = profile.waypoint!;
    const waypointName = options.waypointName ?? `${frontend.name}-waypoint`;
    frontend.service.metadata.addLabel(waypoint.useWaypointLabel, waypointName);
    // An ingress gateway picks the pod itself unless told to go through the Service's waypoint.
    if (options.exposed) frontend.service.metadata.addLabel(waypoint.ingressUseWaypointLabel, 'true');
    if (options.waypointName === undefined) {
      objects.push(new ApiObject(scope, 'waypoint', {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'Gateway',
        metadata: { ...metadata, name: waypointName, labels: { ...frontend.labels, [waypoint.waypointForLabel]: 'service' } },
        spec: {
          gatewayClassName: waypoint.gatewayClassName,
          listeners: [{ name: 'mesh', port: profile.hbonePort!, protocol: 'HBONE' }],
        },
      }));
    }
  }
  const host = frontend.namespace ? `${frontend.name}.${frontend.namespace}.svc.cluster.local` : frontend.name;
  // A zero TTL makes the generated cookie a browser-session cookie.
  const loadBalancer = { consistentHash: { httpCookie: { name: SESSION_COOKIE, path: '/', ttl: '0s' } } };
  objects.push(new ApiObject(scope, 'session-affinity', {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata,
    spec: {
      host,
      // Sidecars: only the UI has sessions; the OpenAI-compatible API port keeps ordinary
      // balancing. Ambient: the waypoint's default route reads the top-level policy only (1.31),
      // so the whole Service is hashed there.
      trafficPolicy: ambient ? { loadBalancer } : { portLevelSettings: [{ port: { number: frontend.uiPort }, loadBalancer }] },
    },
  }));
  if (ambient) {
    // Istio 1.26-1.30 build the waypoint's hash policy on routes only (istio/istio#61045): a route
    // to the Service, bound to it (Gateway API for meshes), gives the waypoint one.
    objects.push(new ApiObject(scope, 'session-route', {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { ...metadata, name: `${frontend.name}-sessions` },
      spec: {
        parentRefs: [{ group: '', kind: 'Service', name: frontend.name, port: frontend.uiPort }],
        rules: [{ backendRefs: [{ name: frontend.name, port: frontend.uiPort }] }],
      },
    }));
  }
  return { objects, warnings };
}
