/**
 * What a service mesh is to this library: the facts about what it does to a pod, and the objects
 * and rules that only it has. Each mesh implements `MeshProfile` in one file of `meshes/`
 * (docs/adding-a-mesh.md); synthesis, the decision table, the analyzer and the test supports ask
 * the profile and never test for a mesh by name.
 *
 * Facts, with their upstream sources: docs/mesh-facts.md §1 (injection and placement), §2 (capture
 * and escapes), §3 (hold until the proxy is ready) and §4 (releases).
 */
import type { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import type { PlaintextTraffic } from '../common/startup-strategy';

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

/** How the mesh treats plaintext traffic to the vLLM upstream. */
export enum MtlsMode {
  /** Only mTLS from the mesh is accepted: plaintext is refused. */
  STRICT = 'strict',
  /** Plaintext is accepted alongside mTLS. */
  PERMISSIVE = 'permissive',
}

/** What a mesh's own code reads of a mesh mode; `MeshMode` is one. Internal. */
export interface MeshModeView {
  readonly mesh: Mesh;
  readonly dataplane: Dataplane;
  readonly cni: boolean;
  readonly mtls: MtlsMode;
  readonly version?: string;
  releaseAtLeast(major: number, minor: number): boolean | undefined;
  describe(): string;
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
  readonly sessionAffinity:
  | {
    readonly mechanism: 'consistent-hash';
    /** The objects that keep each browser session on one of several h2oGPT replicas (session-affinity.ts). */
    sessions(scope: Construct, mode: MeshModeView, frontend: StickyFrontend, options: StickySessionOptions): StickySessions;
  }
  | { readonly mechanism: 'none'; readonly why: string };
  /**
   * How a Prometheus outside the mesh reads an app's /metrics when the pod takes mTLS only, per
   * dataplane: `merged`, the sidecar's agent scrapes the app in the pod and serves the result in
   * plaintext on its own port (annotations say what to scrape); `over-mesh`, Prometheus joins the
   * mesh and the app's policy admits its identity (docs/mesh-facts.md §10).
   */
  readonly metricsScrape: Partial<Record<Dataplane, MetricsScrape>>;
  /** Ambient only: the waypoint's GatewayClass and the Service label that routes through one. */
  readonly waypoint?: { readonly gatewayClassName: string; readonly useWaypointLabel: string; readonly waypointForLabel: string; readonly ingressUseWaypointLabel: string };
  /** The oldest release whose objects the stack writes, and why; older releases are refused. */
  readonly oldestRelease?: { readonly release: readonly [number, number]; readonly why: string };
  /**
   * Whether, under STRICT mTLS, the stack's policy holds h2oGPT to mTLS too: an ingress
   * controller outside the mesh is then refused, which exposure warns of.
   */
  readonly strictHoldsFrontend: boolean;
  /**
   * Suffixes the mesh's policy objects add to an upstream's name (`<upstream>-<suffix>`): no other
   * upstream may be named so, or two objects would share a name.
   */
  readonly policyNameSuffixes: readonly string[];
  /**
   * Per dataplane: how a multi-node vLLM group's own traffic keeps out of the proxy, or why it
   * cannot (docs/group-facts.md §4). A dataplane without an entry refuses multi-node servers.
   */
  readonly groupTraffic: Partial<Record<Dataplane, GroupTraffic>>;
  /** The mesh's policy objects for one upstream and its client (mesh-policy.ts). */
  policies(scope: Construct, input: MeshPolicyInput): ApiObject[];
  /** Warnings about those objects, e.g. an identity that cannot name its namespace. */
  policyWarnings(input: MeshPolicyInput): string[];
}

/**
 * What a mesh does with the traffic inside a multi-node vLLM group: Ray's control and object
 * transfer, torch.distributed and NCCL, over TCP on ports the OS picks, none of it HTTP. Either
 * the pods' metadata keeps it out of capture (the leader's serving port alone stays meshed), or
 * the mesh carries it as plain L4 and the group's identity must be admitted. Internal.
 */
export interface GroupTraffic {
  /** Whether the mesh carries the group's traffic (then its policy must admit the group's own identity on every port). */
  readonly meshed: boolean;
  /** Metadata of the leader pod, which serves `servingPort` to mesh clients. */
  leader(servingPort: number): MetadataEntry[];
  /** Metadata of each worker pod, which serves no mesh client. */
  readonly worker: ReadonlyArray<MetadataEntry>;
  /** Why, for the pod annotation and the docs. */
  readonly reason: string;
}

/** A workload as its mesh policy sees it. Internal. */
export interface PolicyWorkload {
  /** Name of its Deployment, Service and ServiceAccount. */
  readonly name: string;
  readonly namespace?: string;
  readonly labels: { [key: string]: string };
  readonly selector: { [key: string]: string };
}

/** What the mesh policy for one upstream and its one client needs to know. Internal. */
export interface MeshPolicyInput {
  readonly mode: MeshModeView;
  /** vLLM: the workload whose inbound traffic is restricted. */
  readonly upstream: PolicyWorkload & {
    readonly port: number;
    /** The container port's name (Linkerd's Server selects it by name). */
    readonly portName: string;
    /** The path the waiter and the kubelet probe. */
    readonly healthPath: string;
    /**
     * A multi-node server whose group traffic the mesh carries: its pods' ServiceAccount, which the
     * policy admits on every port of the group's pods.
     */
    readonly groupServiceAccount?: string;
  };
  /** h2oGPT: the only client admitted. Its ServiceAccount is its identity. */
  readonly client: PolicyWorkload;
  /**
   * Emit the client's own objects too (Istio's PeerAuthentication on h2oGPT): once per stack,
   * however many upstreams it has.
   */
  readonly withClientObjects: boolean;
  /** What the startup strategy sends to vLLM outside the mesh; admitted and nothing more. */
  readonly plaintext: PlaintextTraffic;
  /** Istio trust domain of the client's principal. */
  readonly trustDomain: string;
  /**
   * A Prometheus that scrapes vLLM over the mesh (Istio ambient, Linkerd): its ServiceAccount is
   * admitted on vLLM's port beside h2oGPT. Absent where the mesh merges metrics, or unmonitored.
   */
  readonly scraper?: { readonly namespace: string; readonly serviceAccount: string };
  /** Whether the stack's NetworkPolicies fence the workloads too, which a warning may lean on. */
  readonly networkPolicies: boolean;
}

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

/** How Prometheus reaches an app's metrics under a mesh dataplane; see `MeshProfile.metricsScrape`. */
export type MetricsScrape =
  | { readonly method: 'merged'; readonly port: number; readonly path: string; readonly annotations: { readonly scrape: string; readonly port: string; readonly path: string } }
  | { readonly method: 'over-mesh' };

