/**
 * Istio: what it does to a pod (sidecar, native sidecar, ambient), its policy objects, and how it
 * keeps a browser session on one replica. Facts: docs/mesh-facts.md; each one's source beside it.
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { ConfigurationError } from '../../common/errors';
import { PlaintextTraffic } from '../../common/startup-strategy';
import {
  Dataplane, Mesh, MeshModeView, MeshPolicyInput, MeshProfile, MtlsMode, PolicyWorkload, StickyFrontend, StickySessionOptions, StickySessions,
} from '../mesh-profiles';

export const ISTIO: MeshProfile = {
  mesh: Mesh.ISTIO,
  displayName: 'Istio',
  modeNames: {
    [Dataplane.SIDECAR]: 'istio-sidecar',
    [Dataplane.NATIVE_SIDECAR]: 'istio-native-sidecar',
    [Dataplane.AMBIENT]: 'istio-ambient',
  },
  proxyContainerName: 'istio-proxy',
  // tools/istio-iptables and cni/pkg/plugin/sidecar_redirect.go: UID and GID 1337, outbound to 15001.
  proxyUid: 1337,
  proxyGid: 1337,
  proxyOutboundPort: 15001,
  cniPluginName: 'istio-cni',
  cniInitContainerName: 'istio-validation',
  cniInitContainerPlacement: 'before-user-inits',
  iptablesInitContainerName: 'istio-init',
  injectionEnabled: { key: 'sidecar.istio.io/inject', value: 'true', on: 'label' },
  injectionDisabled: [
    { key: 'sidecar.istio.io/inject', value: 'false', on: 'label' },
    { key: 'sidecar.istio.io/inject', value: 'false', on: 'annotation' },
  ],
  nativeSidecarOptIn: [{ key: 'sidecar.istio.io/nativeSidecar', value: 'true', on: 'annotation' }],
  nativeSidecarOptOutValue: 'false',
  nativeSidecarPerPodSince: [1, 24],
  // ENABLE_NATIVE_SIDECARS=auto from 1.27.0 (pilot/pkg/features/pilot.go at 1.27.0; false in 1.26).
  nativeSidecarDefaultSince: { release: [1, 27], condition: 'when every kubelet is 1.33 or later' },
  holdUntilProxyReady: {
    key: 'proxy.istio.io/config',
    value: '{"holdApplicationUntilProxyStarts":true}',
    on: 'annotation',
  },
  holdUntilProxyReadyField: 'holdApplicationUntilProxyStarts',
  holdOnByDefault: false,
  // Not modelled for Istio: the injection template's native-sidecar startupProbe was not reread.
  nativeSidecarReadyNeedsHold: false,
  excludeOutboundPortsAnnotation: 'traffic.sidecar.istio.io/excludeOutboundPorts',
  excludeOutboundCidrsAnnotation: 'traffic.sidecar.istio.io/excludeOutboundIPRanges',
  ambientEnrolment: { key: 'istio.io/dataplane-mode', value: 'ambient', on: 'label' },
  ambientOptOutValue: 'none',
  namespaceInjectionLabel: 'istio-injection',
  controlPlaneNamespace: 'istio-system',
  // istiod's xDS and CA over mTLS (istio.io "Ports used by Istio"). Ambient pods dial nothing:
  // ztunnel, outside the pod, talks to istiod.
  controlPlanePorts: [15012],
  // istio.io/latest/docs/ambient/usage/networkpolicy: HBONE on 15008; probes SNATed to 169.254.7.127.
  hbonePort: 15008,
  // ztunnel dials the peer pod's 15008 (istio/ztunnel src/proxy/outbound.rs, 1.27.0). Sidecars dial
  // the app's port; the server's inbound capture moves it to 15006 inside the pod.
  meshedInboundPort: { [Dataplane.AMBIENT]: 15008 },
  ambientProbeSourceCidr: '169.254.7.127/32',
  identityPolicyDescription: 'the PeerAuthentication (STRICT) and AuthorizationPolicy the stack emits for vLLM, which admit only h2oGPT\'s mTLS identity',
  // Istio's metrics merging (istio.io "Prometheus": option 1): pilot-agent scrapes the app at the
  // prometheus.io annotations and serves app and Envoy metrics together, in plaintext, on 15020,
  // a port the sidecar's inbound capture leaves alone. Ambient has no agent in the pod.
  metricsScrape: {
    [Dataplane.SIDECAR]: { method: 'merged', port: 15020, path: '/stats/prometheus', annotations: { scrape: 'prometheus.io/scrape', port: 'prometheus.io/port', path: 'prometheus.io/path' } },
    [Dataplane.NATIVE_SIDECAR]: { method: 'merged', port: 15020, path: '/stats/prometheus', annotations: { scrape: 'prometheus.io/scrape', port: 'prometheus.io/port', path: 'prometheus.io/path' } },
    [Dataplane.AMBIENT]: { method: 'over-mesh' },
  },
  sessionAffinity: { mechanism: 'consistent-hash', sessions: istioStickySessions },
  groupTraffic: {
    [Dataplane.SIDECAR]: sidecarGroupTraffic(),
    [Dataplane.NATIVE_SIDECAR]: sidecarGroupTraffic(),
    [Dataplane.AMBIENT]: {
      meshed: true,
      leader: () => [],
      worker: [],
      reason: 'in ambient every pod of the group is meshed from its first packet and ztunnel carries any TCP as HBONE mTLS without reading it '
        + '(an L4 proxy), so the group joins and talks through the mesh; its AuthorizationPolicy admits the group\'s own identity on every port',
    },
  },
  // istio.io/ingress-use-waypoint (a Service label, from 1.24: pilot/pkg/xds/endpoints/endpoint_builder.go).
  waypoint: { gatewayClassName: 'istio-waypoint', useWaypointLabel: 'istio.io/use-waypoint', waypointForLabel: 'istio.io/waypoint-for', ingressUseWaypointLabel: 'istio.io/ingress-use-waypoint' },

  // The stack writes security.istio.io/v1 and networking.istio.io/v1 (docs/mesh-facts.md §11).
  oldestRelease: {
    release: [1, 22],
    why: 'The stack writes Istio\'s security.istio.io/v1 and networking.istio.io/v1 objects, which Istio serves from 1.22: upgrade Istio, or give its real release.',
  },
  // The client's PeerAuthentication (istioPolicies) holds h2oGPT to the mode's mTLS too.
  strictHoldsFrontend: true,
  // Its objects take the upstream's own name.
  policyNameSuffixes: [],
  policies: istioPolicies,
  policyWarnings: (input) => (input.client.namespace ? [] : [
    `the namespace is unknown at synthesis, so vLLM's AuthorizationPolicy admits the principal "${istioPrincipal(input.client, input.trustDomain)}": `
    + `ServiceAccount "${input.client.name}" of any namespace. `
    + `${input.networkPolicies ? 'The NetworkPolicy still admits only this namespace\'s h2oGPT pods' : 'With networkPolicies off, nothing else keeps them out'}. Set namespace for an exact principal`,
    ...(input.upstream.groupServiceAccount !== undefined ? [
      `the namespace is unknown at synthesis, so the AuthorizationPolicy admits ServiceAccount "${input.upstream.groupServiceAccount}" of any namespace to the pods of `
      + `${input.upstream.name}'s group on every port; ${input.networkPolicies ? 'only its NetworkPolicy keeps other groups\' and namespaces\' pods out' : 'with networkPolicies off, nothing else keeps them out'}. `
      + 'Set namespace for an exact principal',
    ] : []),
  ]),
};

/**
 * Classic and native sidecars: the leader's sidecar captures its serving port alone, inbound, and
 * nothing outbound; the workers, which serve no mesh client, get no sidecar. The group's traffic
 * never meets Envoy (docs/group-facts.md §4).
 */
function sidecarGroupTraffic() {
  return {
    meshed: false,
    leader: (servingPort: number) => [
      { key: 'traffic.sidecar.istio.io/includeInboundPorts', value: String(servingPort), on: 'annotation' as const },
      { key: 'traffic.sidecar.istio.io/includeOutboundIPRanges', value: '', on: 'annotation' as const },
    ],
    worker: [{ key: 'sidecar.istio.io/inject', value: 'false', on: 'label' as const }],
    reason: 'the group\'s Ray, torch.distributed and NCCL traffic is not HTTP and uses ports the OS picks, so no list of ports can exclude it: '
      + 'the leader\'s sidecar captures only its serving port, inbound, and nothing outbound, and the workers, which serve no mesh client, '
      + 'run without a sidecar',
  };
}

/**
 * The principal Istio gives the client's ServiceAccount. With the namespace unknown at synthesis
 * (applied with `kubectl -n`, or a Helm release), a suffix match admits that ServiceAccount name
 * in any namespace; the NetworkPolicy still limits callers to this namespace's h2oGPT pods.
 */
export function istioPrincipal(client: PolicyWorkload, trustDomain: string): string {
  return client.namespace ? `${trustDomain}/ns/${client.namespace}/sa/${client.name}` : `*/sa/${client.name}`;
}

const ISTIO_SECURITY = 'security.istio.io/v1';

/**
 * Istio, every dataplane. PeerAuthentication on both workloads makes `mtls` a fact of the cluster.
 * The AuthorizationPolicy admits h2oGPT's principal on vLLM's port, plus exactly the plaintext the
 * strategy sends. Only L4 fields (principals, ports) unless plaintext needs a path, which happens
 * only under classic sidecars: ztunnel enforces L4 alone, and ambient never has plaintext here.
 * Kubelet probes pass untouched: sidecars rewrite them to the agent's port 15020, which no policy
 * covers, and ambient exempts the SNATed probe address.
 */
function istioPolicies(scope: Construct, input: MeshPolicyInput): ApiObject[] {
  const { mode, upstream, client, plaintext } = input;
  if (mode.dataplane === Dataplane.AMBIENT && plaintext !== PlaintextTraffic.NONE) {
    throw new Error(`internal: no strategy sends plaintext under ambient (got ${plaintext})`);
  }
  const mtlsMode = mode.mtls === MtlsMode.STRICT ? 'STRICT' : 'PERMISSIVE';
  const peerAuthentication = (id: string, workload: PolicyWorkload) => new ApiObject(scope, id, {
    apiVersion: ISTIO_SECURITY,
    kind: 'PeerAuthentication',
    metadata: { name: workload.name, namespace: workload.namespace, labels: workload.labels },
    spec: { selector: { matchLabels: workload.selector }, mtls: { mode: mtlsMode } },
  });
  const port = String(upstream.port);
  // notPrincipals ["*"]: a request with no mTLS identity, i.e. plaintext.
  const plaintextRule = {
    [PlaintextTraffic.NONE]: [],
    [PlaintextTraffic.HEALTH_CHECK]: [{
      from: [{ source: { notPrincipals: ['*'] } }],
      to: [{ operation: { ports: [port], methods: ['GET'], paths: [upstream.healthPath] } }],
    }],
    [PlaintextTraffic.ALL]: [{ from: [{ source: { notPrincipals: ['*'] } }], to: [{ operation: { ports: [port] } }] }],
  }[plaintext];
  return [
    peerAuthentication('upstream-peer-authentication', upstream),
    ...(input.withClientObjects ? [peerAuthentication('client-peer-authentication', client)] : []),
    new ApiObject(scope, 'upstream-authorization-policy', {
      apiVersion: ISTIO_SECURITY,
      kind: 'AuthorizationPolicy',
      metadata: { name: upstream.name, namespace: upstream.namespace, labels: upstream.labels },
      spec: {
        selector: { matchLabels: upstream.selector },
        action: 'ALLOW',
        rules: [
          { from: [{ source: { principals: [istioPrincipal(client, input.trustDomain)] } }], to: [{ operation: { ports: [port] } }] },
          ...(input.scraper
            ? [{ from: [{ source: { principals: [`${input.trustDomain}/ns/${input.scraper.namespace}/sa/${input.scraper.serviceAccount}`] } }], to: [{ operation: { ports: [port] } }] }]
            : []),
          ...plaintextRule,
          // A multi-node group the mesh carries: its pods reach each other on any port.
          ...(upstream.groupServiceAccount !== undefined
            ? [{ from: [{ source: { principals: [istioPrincipal({ ...upstream, name: upstream.groupServiceAccount }, input.trustDomain)] } }] }]
            : []),
        ],
      },
    }),
  ];
}

/** The cookie the caller's proxy sets to pin a browser session to one h2oGPT replica. */
export const SESSION_COOKIE = 'h2ogpt-session';

/**
 * A consistent hash on a session cookie (docs/mesh-facts.md §9): a DestinationRule, which ambient
 * applies in a waypoint the h2oGPT Service is routed through.
 */
function istioStickySessions(scope: Construct, mode: MeshModeView, frontend: StickyFrontend, options: StickySessionOptions): StickySessions {
  const profile = ISTIO;
  const warnings: string[] = [];
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
