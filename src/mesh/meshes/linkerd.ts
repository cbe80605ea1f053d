/**
 * Linkerd: what it does to a pod (sidecar, native sidecar), its policy objects, and why it cannot
 * keep a browser session on one replica. Facts: docs/mesh-facts.md; each one's source beside it.
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { PlaintextTraffic } from '../../common/startup-strategy';
import { Dataplane, Mesh, MeshPolicyInput, MeshProfile } from '../mesh-profiles';

const LINKERD_POLICY = 'policy.linkerd.io';

/** Every TCP port but `port`, as port ranges linkerd2-proxy-init reads (docs/group-facts.md §4). */
export function everyPortBut(port: number): string {
  return [port > 1 ? `1-${port - 1}` : '', port < 65535 ? `${port + 1}-65535` : ''].filter(Boolean).join(',');
}

/**
 * The leader's proxy skips every inbound port but the serving one, and every outbound port; the
 * workers, which serve no mesh client, are not injected. Linkerd has no include list, so the
 * skip list is the serving port's complement (docs/group-facts.md §4).
 */
function linkerdGroupTraffic() {
  return {
    meshed: false,
    leader: (servingPort: number) => [
      { key: 'config.linkerd.io/skip-inbound-ports', value: everyPortBut(servingPort), on: 'annotation' as const },
      { key: 'config.linkerd.io/skip-outbound-ports', value: '1-65535', on: 'annotation' as const },
    ],
    worker: [{ key: 'linkerd.io/inject', value: 'disabled', on: 'annotation' as const }],
    reason: 'the group\'s Ray, torch.distributed and NCCL traffic is not HTTP and uses ports the OS picks: the leader\'s proxy skips every inbound '
      + 'port but its serving port, and every outbound port, and the workers, which serve no mesh client, are not injected',
  };
}

/**
 * Suffixes of the names of an upstream's Linkerd policy objects (`<upstream>-<suffix>`): another
 * upstream must not be named `<upstream>-<suffix>`, or the two would share an object name.
 */
export const LINKERD_POLICY_NAME_SUFFIXES = {
  clients: 'h2ogpt', scraper: 'prometheus', plaintext: 'plaintext', health: 'health', allPaths: 'all',
} as const;
const policyName = (upstream: { readonly name: string }, suffix: keyof typeof LINKERD_POLICY_NAME_SUFFIXES) => `${upstream.name}-${LINKERD_POLICY_NAME_SUFFIXES[suffix]}`;

export const LINKERD: MeshProfile = {
  mesh: Mesh.LINKERD,
  displayName: 'Linkerd',
  modeNames: {
    [Dataplane.SIDECAR]: 'linkerd',
    [Dataplane.NATIVE_SIDECAR]: 'linkerd-native-sidecar',
  },
  proxyContainerName: 'linkerd-proxy',
  // linkerd2-proxy-init iptables.go and the control-plane chart: UID 2102 (a GID only with
  // --proxy-gid), outbound to 4140.
  proxyUid: 2102,
  proxyOutboundPort: 4140,
  cniPluginName: 'linkerd-cni',
  cniInitContainerName: 'linkerd-network-validator',
  // Appended after the user's init containers (first only with native sidecars); linkerd-cni has
  // set up capture at pod network setup regardless (linkerd2 pkg/inject).
  cniInitContainerPlacement: 'after-user-inits',
  iptablesInitContainerName: 'linkerd-init',
  injectionEnabled: { key: 'linkerd.io/inject', value: 'enabled', on: 'annotation' },
  injectionDisabled: [{ key: 'linkerd.io/inject', value: 'disabled', on: 'annotation' }],
  // GA from 2.20, beta from 2.19, alpha from 2.15: all written so any release honours it.
  nativeSidecarOptIn: [
    { key: 'config.linkerd.io/proxy-enable-native-sidecar', value: 'true', on: 'annotation' },
    { key: 'config.beta.linkerd.io/proxy-enable-native-sidecar', value: 'true', on: 'annotation' },
    { key: 'config.alpha.linkerd.io/proxy-enable-native-sidecar', value: 'true', on: 'annotation' },
  ],
  nativeSidecarOptOutValue: 'false',
  nativeSidecarPerPodSince: [2, 15],
  nativeSidecarDefaultSince: { release: [2, 20] },
  holdUntilProxyReady: { key: 'config.linkerd.io/proxy-await', value: 'enabled', on: 'annotation' },
  holdOnByDefault: true,
  // _proxy.tpl: `if and .Values.proxy.nativeSidecar .Values.proxy.await` gives the startupProbe
  // (linkerd2 charts/partials/templates/_proxy.tpl, edge-26.8.3; docs/mesh-facts.md §3).
  nativeSidecarReadyNeedsHold: true,
  excludeOutboundPortsAnnotation: 'config.linkerd.io/skip-outbound-ports',
  // No outbound CIDR exclusion: `config.linkerd.io/skip-subnets` adds RETURN rules for inbound
  // sources only (linkerd2-proxy-init addIncomingTrafficRules; docs/mesh-facts.md §2).
  controlPlaneNamespace: 'linkerd',
  // linkerd-identity 8080, linkerd-destination 8086, its policy controller 8090
  // (linkerd2 charts/linkerd-control-plane/values.yaml).
  controlPlanePorts: [8080, 8086, 8090],
  // From 2.18 (edge-25.3.2, outboundTransportMode: transport-header) a client proxy dials a meshed
  // peer's inbound port 4143 with a transport header naming the app's port; before, it dialled the
  // app's port, which the peer's iptables redirect to 4143. Admitting both covers every release.
  meshedInboundPort: { [Dataplane.SIDECAR]: 4143, [Dataplane.NATIVE_SIDECAR]: 4143 },
  identityPolicyDescription: 'the Server and AuthorizationPolicy the stack emits for vLLM, which require h2oGPT\'s MeshTLSAuthentication',
  // Linkerd's proxy does not merge app metrics (its own are on 4191); a meshed Prometheus, as
  // linkerd-viz runs it, scrapes over mTLS, and the Server's policy must admit its identity.
  metricsScrape: { [Dataplane.SIDECAR]: { method: 'over-mesh' }, [Dataplane.NATIVE_SIDECAR]: { method: 'over-mesh' } },
  sessionAffinity: {
    mechanism: 'none',
    why: 'its proxies balance every request across replicas by latency, and only an ingress that picks pods itself (which the stack does not set up) keeps a session on one (docs/mesh-facts.md §9), while Gradio keeps each session in one h2oGPT process: sessions would break',
  },
  groupTraffic: {
    [Dataplane.SIDECAR]: linkerdGroupTraffic(),
    [Dataplane.NATIVE_SIDECAR]: linkerdGroupTraffic(),
  },

  // The stack holds only vLLM to an identity (Server, AuthorizationPolicy): h2oGPT takes what reaches it.
  strictHoldsFrontend: false,
  policyNameSuffixes: Object.values(LINKERD_POLICY_NAME_SUFFIXES),
  policies: linkerdPolicies,
  policyWarnings: () => [],
};


/**
 * Linkerd (2.16+ CRD versions): a Server for vLLM's port, which denies by default; an
 * AuthorizationPolicy on it that requires a MeshTLSAuthentication naming h2oGPT's ServiceAccount.
 * Probes: with no HTTPRoute on the Server, Linkerd's policy controller authorizes the pod's probe
 * paths itself (linkerd/linkerd2 #9008). A health-check-only plaintext strategy needs routes, and
 * routes end that default, so the /health route is authorized for any network, which covers both
 * the waiter and the kubelet; every other path routes through "/" under the mTLS requirement.
 */
function linkerdPolicies(scope: Construct, input: MeshPolicyInput): ApiObject[] {
  const { upstream, client, plaintext } = input;
  const metadata = (name: string) => ({ name, namespace: upstream.namespace, labels: upstream.labels });
  const ref = (kind: string, name: string) => ({ group: LINKERD_POLICY, kind, name });
  const server = ref('Server', upstream.name);
  const clients = policyName(upstream, 'clients');
  const plaintextNetworks = policyName(upstream, 'plaintext');
  const objects = [
    new ApiObject(scope, 'upstream-server', {
      apiVersion: `${LINKERD_POLICY}/v1beta3`,
      kind: 'Server',
      metadata: metadata(upstream.name),
      spec: { podSelector: { matchLabels: upstream.selector }, port: upstream.portName, proxyProtocol: 'HTTP/1' },
    }),
    new ApiObject(scope, 'client-authentication', {
      apiVersion: `${LINKERD_POLICY}/v1alpha1`,
      kind: 'MeshTLSAuthentication',
      metadata: metadata(clients),
      // The ServiceAccount's namespace defaults to this object's: the stack's.
      spec: { identityRefs: [{ kind: 'ServiceAccount', name: client.name }] },
    }),
    new ApiObject(scope, 'upstream-authorization-policy', {
      apiVersion: `${LINKERD_POLICY}/v1alpha1`,
      kind: 'AuthorizationPolicy',
      metadata: metadata(upstream.name),
      spec: { targetRef: server, requiredAuthenticationRefs: [ref('MeshTLSAuthentication', clients)] },
    }),
  ];
  if (input.scraper) {
    // Prometheus, meshed as linkerd-viz runs it, scrapes over mTLS: its identity on the Server.
    const scraper = policyName(upstream, 'scraper');
    objects.push(
      new ApiObject(scope, 'scraper-authentication', {
        apiVersion: `${LINKERD_POLICY}/v1alpha1`,
        kind: 'MeshTLSAuthentication',
        metadata: metadata(scraper),
        spec: { identityRefs: [{ kind: 'ServiceAccount', name: input.scraper.serviceAccount, namespace: input.scraper.namespace }] },
      }),
      new ApiObject(scope, 'scraper-authorization-policy', {
        apiVersion: `${LINKERD_POLICY}/v1alpha1`,
        kind: 'AuthorizationPolicy',
        metadata: metadata(scraper),
        spec: { targetRef: server, requiredAuthenticationRefs: [ref('MeshTLSAuthentication', scraper)] },
      }),
    );
  }
  if (plaintext === PlaintextTraffic.NONE) return objects;

  // Plaintext carries no identity, so only its network can be named: any. The NetworkPolicy is
  // what limits it to this stack's h2oGPT pods.
  objects.push(new ApiObject(scope, 'plaintext-authentication', {
    apiVersion: `${LINKERD_POLICY}/v1alpha1`,
    kind: 'NetworkAuthentication',
    metadata: metadata(plaintextNetworks),
    spec: { networks: [{ cidr: '0.0.0.0/0' }, { cidr: '::/0' }] },
  }));
  const authorize = (id: string, name: string, targetRef: object) => new ApiObject(scope, id, {
    apiVersion: `${LINKERD_POLICY}/v1alpha1`,
    kind: 'AuthorizationPolicy',
    metadata: metadata(name),
    spec: { targetRef, requiredAuthenticationRefs: [ref('NetworkAuthentication', plaintextNetworks)] },
  });
  if (plaintext === PlaintextTraffic.ALL) {
    objects.push(authorize('plaintext-authorization-policy', plaintextNetworks, server));
    return objects;
  }
  const route = (id: string, name: string, match: object) => new ApiObject(scope, id, {
    apiVersion: `${LINKERD_POLICY}/v1beta3`,
    kind: 'HTTPRoute',
    metadata: metadata(name),
    spec: { parentRefs: [server], rules: [{ matches: [match] }] },
  });
  const healthRoute = policyName(upstream, 'health');
  objects.push(
    route('health-route', healthRoute, { path: { type: 'Exact', value: upstream.healthPath }, method: 'GET' }),
    route('api-route', policyName(upstream, 'allPaths'), { path: { type: 'PathPrefix', value: '/' } }),
    authorize('health-authorization-policy', healthRoute, ref('HTTPRoute', healthRoute)),
  );
  return objects;
}
