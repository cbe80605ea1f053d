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
}

/**
 * The objects that keep each browser session on one h2oGPT replica under `mode`; none for one
 * replica or no mesh. Throws, naming `h2ogpt.replicas`, where the mesh cannot keep sessions.
 */
export function stickySessions(scope: Construct, mode: MeshMode, frontend: StickyFrontend, options: StickySessionOptions = {}): ApiObject[] {
  const profile = profileOf(mode);
  if (!profile || frontend.replicas <= 1) return [];
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
  if (mode.dataplane === Dataplane.AMBIENT) {
    // ztunnel is L4 only: the hash runs in a waypoint, which the Service is routed through.
    const waypoint = profile.waypoint!;
    const waypointName = options.waypointName ?? `${frontend.name}-waypoint`;
    frontend.service.metadata.addLabel(waypoint.useWaypointLabel, waypointName);
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
  objects.push(new ApiObject(scope, 'session-affinity', {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata,
    spec: {
      host,
      trafficPolicy: {
        // Only the UI has sessions; the OpenAI-compatible API port keeps ordinary balancing.
        portLevelSettings: [{
          port: { number: frontend.uiPort },
          // A zero TTL makes the generated cookie a browser-session cookie.
          loadBalancer: { consistentHash: { httpCookie: { name: SESSION_COOKIE, path: '/', ttl: '0s' } } },
        }],
      },
    },
  }));
  return objects;
}
