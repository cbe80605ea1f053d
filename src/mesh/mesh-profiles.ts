/**
 * What each service mesh does to a pod, in one place. Synthesis (which labels and annotations
 * to write) and the analyzer (what a given pod will look like once injected) both read this,
 * so a new mesh such as Kuma (sidecar UID 5678, `kuma.io/init-first`) or Consul (UID 5995) is
 * one new entry here plus its `Mesh` enum value.
 *
 * Facts, with their upstream sources: docs/mesh-facts.md §1 (injection and placement), §2 (capture
 * and escapes), §3 (hold until the proxy is ready) and §4 (releases).
 */

/** The service meshes this library knows. */
export enum Mesh {
  /** No service mesh. */
  NONE = 'none',
  /** Istio (sidecar, native sidecar or ambient). */
  ISTIO = 'istio',
  /** Linkerd (sidecar or native sidecar). */
  LINKERD = 'linkerd',
}

/** How the mesh's data plane reaches the pod. */
export enum Dataplane {
  /** No data plane: plain Kubernetes networking. */
  NONE = 'none',
  /** A proxy in `containers`, started only after every init container has finished. */
  SIDECAR = 'sidecar',
  /** A proxy in `initContainers` with `restartPolicy: Always`, running before user init containers. */
  NATIVE_SIDECAR = 'native-sidecar',
  /** No proxy in the pod: a node-level proxy (Istio ztunnel) carries the traffic. */
  AMBIENT = 'ambient',
}

/** A label or annotation with its value. */
export interface MetadataEntry {
  readonly key: string;
  readonly value: string;
  /** Where Kubernetes objects carry it. */
  readonly on: 'label' | 'annotation';
}

/** Internal: the facts about one mesh. Not part of the jsii surface. */
export interface MeshProfile {
  readonly mesh: Mesh;
  readonly displayName: string;
  /** The data planes this mesh offers, with the mode name the CLI accepts for each. */
  readonly modeNames: Partial<Record<Dataplane, string>>;
  /** Name of the injected proxy container. */
  readonly proxyContainerName: string;
  /** UID the proxy runs as; traffic from this UID is not captured. */
  readonly proxyUid: number;
  /** GID whose traffic is not captured either, if the mesh exempts one by default. */
  readonly proxyGid?: number;
  /** Port captured outbound traffic is redirected to (the proxy's outbound listener). */
  readonly proxyOutboundPort: number;
  /** Name of the CNI plugin, for messages. */
  readonly cniPluginName: string;
  /** Init container the mesh injects when its CNI plugin is on (it only validates). */
  readonly cniInitContainerName: string;
  /** Where that container goes among the init containers; capture is set up by the plugin either way. */
  readonly cniInitContainerPlacement: 'before-user-inits' | 'after-user-inits';
  /** Init container the mesh injects without CNI; it is appended after user init containers. */
  readonly iptablesInitContainerName: string;
  /** Metadata that asks for injection. */
  readonly injectionEnabled: MetadataEntry;
  /** Keys and values that turn injection off for a pod. */
  readonly injectionDisabled: ReadonlyArray<MetadataEntry>;
  /**
   * Metadata that opts one pod into a native sidecar, newest form first: all are written, and a
   * release reads the newest it knows. The same keys with `nativeSidecarOptOutValue` opt out.
   */
  readonly nativeSidecarOptIn: ReadonlyArray<MetadataEntry>;
  readonly nativeSidecarOptOutValue: string;
  /** The release from which one pod can opt into a native sidecar by annotation. */
  readonly nativeSidecarPerPodSince: ReadonlyArray<number>;
  /** The release from which pods get native sidecars unless they opt out, and the condition. */
  readonly nativeSidecarDefaultSince: { readonly release: ReadonlyArray<number>; readonly condition?: string };
  /** Metadata that keeps app containers from starting before the proxy is ready. */
  readonly holdUntilProxyReady: MetadataEntry;
  /** When that metadata is a proxy-config document (JSON or YAML), the boolean field inside it. */
  readonly holdUntilProxyReadyField?: string;
  /** Whether that hold is on unless a pod turns it off. */
  readonly holdOnByDefault: boolean;
  /**
   * Whether a native-sidecar proxy gets its startupProbe from that hold only: without it, the next
   * init container starts once the proxy's process has started, before it listens.
   */
  readonly nativeSidecarReadyNeedsHold: boolean;
  /** Annotation that excludes outbound ports from capture (comma-separated). */
  readonly excludeOutboundPortsAnnotation: string;
  /** Annotation that excludes outbound CIDRs from capture (comma-separated), if the mesh has one. */
  readonly excludeOutboundCidrsAnnotation?: string;
  /** Ambient enrolment label (pod or namespace), if the mesh has an ambient mode. */
  readonly ambientEnrolment?: MetadataEntry;
  /** The value of the ambient label that takes a pod out of ambient. */
  readonly ambientOptOutValue?: string;
  /** Namespace label that turns injection on or off for every pod in it. */
  readonly namespaceInjectionLabel?: string;
  /** Namespace the control plane usually runs in, for egress rules. */
  readonly controlPlaneNamespace: string;
  /** Ports a pod's proxy dials on the control plane (certificates, discovery, policy). */
  readonly controlPlanePorts: ReadonlyArray<number>;
  /** Ambient only: the HBONE port that carries mTLS between pods (the waypoint's listener too). */
  readonly hbonePort?: number;
  /**
   * Per dataplane: the port a meshed peer's proxy dials on this pod instead of the app's own port
   * (docs/mesh-facts.md §2a). NetworkPolicy sees this port on the wire, so it must admit it
   * wherever it admits the app's port to a meshed client.
   */
  readonly meshedInboundPort: Partial<Record<Dataplane, number>>;
  /** Ambient only: the address kubelet probes are SNATed to before they reach the pod. */
  readonly ambientProbeSourceCidr?: string;
  /** The policy objects that hold vLLM to h2oGPT's mesh identity, for messages. */
  readonly identityPolicyDescription: string;
  /**
   * How the mesh can pin a client's requests to one replica (docs/mesh-facts.md §9): a
   * consistent-hash DestinationRule, or nothing, with the reason.
   */
  readonly sessionAffinity: { readonly mechanism: 'consistent-hash' } | { readonly mechanism: 'none'; readonly why: string };
  /**
   * How a Prometheus outside the mesh reads an app's /metrics when the pod takes mTLS only, per
   * dataplane: `merged`, the sidecar's agent scrapes the app in the pod and serves the result in
   * plaintext on its own port (annotations say what to scrape); `over-mesh`, Prometheus joins the
   * mesh and the app's policy admits its identity (docs/mesh-facts.md §10).
   */
  readonly metricsScrape: Partial<Record<Dataplane, MetricsScrape>>;
  /** Ambient only: the waypoint's GatewayClass and the Service label that routes through one. */
  readonly waypoint?: { readonly gatewayClassName: string; readonly useWaypointLabel: string; readonly waypointForLabel: string; readonly ingressUseWaypointLabel: string };
}

const ISTIO: MeshProfile = {
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
  sessionAffinity: { mechanism: 'consistent-hash' },
  // istio.io/ingress-use-waypoint (a Service label, from 1.24: pilot/pkg/xds/endpoints/endpoint_builder.go).
  waypoint: { gatewayClassName: 'istio-waypoint', useWaypointLabel: 'istio.io/use-waypoint', waypointForLabel: 'istio.io/waypoint-for', ingressUseWaypointLabel: 'istio.io/ingress-use-waypoint' },
};

const LINKERD: MeshProfile = {
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
};

const PROFILES: Partial<Record<Mesh, MeshProfile>> = {
  [Mesh.ISTIO]: ISTIO,
  [Mesh.LINKERD]: LINKERD,
};

/** How Prometheus reaches an app's metrics under a mesh dataplane; see `MeshProfile.metricsScrape`. */
export type MetricsScrape =
  | { readonly method: 'merged'; readonly port: number; readonly path: string; readonly annotations: { readonly scrape: string; readonly port: string; readonly path: string } }
  | { readonly method: 'over-mesh' };

/** The profile of a mesh; undefined for `Mesh.NONE`. */
export function meshProfile(mesh: Mesh): MeshProfile | undefined {
  return PROFILES[mesh];
}

/** Every mesh with a profile, for the CLI's mode list and the analyzer. */
export function allMeshProfiles(): MeshProfile[] {
  return Object.values(PROFILES) as MeshProfile[];
}
