import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { checkBoolean, checkDnsLabel, checkDnsSubdomain } from '../common/checks';
import { ConfigurationError } from '../common/errors';
import { MeshMode, profileOf } from '../mesh/mesh-mode';
import { MeshPolicyInput, meshPolicies, meshPolicyWarnings } from '../mesh/mesh-policy';
import { PlaintextTraffic } from '../common/startup-strategy';
import { IH2oGptWorkload, IVllmWorkload } from '../workloads/pod-workload';
import { VLLM_HEALTH_PATH, VLLM_PORT_NAME } from '../workloads/vllm-server';
import { stackNetworkPolicies } from './network-policy';

/** Who may talk to whom, for a stack. Every field loosens or tightens one documented default. */
export interface TrafficPolicyOptions {
  /**
   * Emit a NetworkPolicy per workload: vLLM admits only h2oGPT's pods on its port; h2oGPT admits
   * its UI (and API) port. Turn off only where another layer does the same.
   * @default true
   */
  readonly networkPolicies?: boolean;
  /**
   * Restrict egress too: DNS, h2oGPT to vLLM, HTTPS to the internet for Hugging Face downloads
   * (unless vLLM is offline) and the mesh control plane. Off by default because clusters differ
   * in what else their pods must reach (proxies, private registries of models).
   * @default false
   */
  readonly restrictEgress?: boolean;
  /**
   * Emit the mesh's own policy objects (Istio PeerAuthentication and AuthorizationPolicy; Linkerd
   * Server, MeshTLSAuthentication and AuthorizationPolicy), so `mtls` is enforced, not assumed.
   * @default true
   */
  readonly meshPolicies?: boolean;
  /**
   * Namespace of the mesh control plane, for the egress rule to it.
   * @default "istio-system" (Istio) or "linkerd" (Linkerd)
   */
  readonly meshControlPlaneNamespace?: string;
  /**
   * Istio trust domain in h2oGPT's principal.
   * @default "cluster.local"
   */
  readonly trustDomain?: string;
}

/** Props of `TrafficPolicy`. */
export interface TrafficPolicyProps extends TrafficPolicyOptions {
  /** The vLLM server to fence (a `VllmServer`, or any workload of this app that serves vLLM). */
  readonly vllm: IVllmWorkload;
  /**
   * More vLLM servers h2oGPT calls (`H2oGpt`'s `additionalVllm`): each is fenced like `vllm`, and
   * h2oGPT may reach them all.
   * @default none
   */
  readonly additionalVllm?: IVllmWorkload[];
  /** The h2oGPT whose identity alone may call vLLM (an `H2oGpt`, or any such workload of this app). */
  readonly h2ogpt: IH2oGptWorkload;
  readonly mesh: MeshMode;
  /**
   * What h2oGPT's startup strategy sends to vLLM as plaintext; the mesh policy admits exactly that.
   * @default PlaintextTraffic.NONE
   */
  readonly plaintextToVllm?: PlaintextTraffic;
  /**
   * The Prometheus that scrapes vLLM, and how: its namespace gets through the NetworkPolicy on
   * `port`; with `overMesh`, vLLM's mesh policy also admits its ServiceAccount.
   * @default no scraper
   */
  readonly metricsScraper?: MetricsScraper;
  /**
   * The pods that carry an exposed UI's traffic (a Gateway's or an ingress controller's): h2oGPT's
   * UI port admits them only. `namespace` undefined: the stack's own.
   * @default every pod may reach the UI port
   */
  readonly uiClients?: UiClients;
}

/** The pods that reach h2oGPT's UI port. */
export interface UiClients {
  /** @default the stack's namespace */
  readonly namespace?: string;
  /** @default every pod of the namespace */
  readonly podLabels?: { [key: string]: string };
}

/** Who scrapes vLLM's metrics, and over which port. */
export interface MetricsScraper {
  readonly namespace: string;
  /**
   * Labels of the scraper's pods: only those pods of `namespace` are admitted.
   * @default every pod of the namespace
   */
  readonly podLabels?: { [key: string]: string };
  readonly serviceAccount: string;
  /**
   * The port scrapes arrive on where it is not vLLM's own: the mesh agent's, where metrics are merged.
   * @default each vLLM server's own port
   */
  readonly port?: number;
  /** The scrape comes over the mesh, with Prometheus's identity. */
  readonly overMesh: boolean;
}

/**
 * The traffic policy of h2oGPT and its vLLM servers in one mesh mode: NetworkPolicies, and the
 * mesh's mTLS and authorization objects, so that only h2oGPT can call vLLM. `H2oGptStack` adds one.
 */
export class TrafficPolicy extends Construct {
  /** The NetworkPolicies (empty when turned off). */
  public readonly networkPolicies: k8s.KubeNetworkPolicy[];
  /** The mesh's policy objects (empty without a mesh, or when turned off). */
  public readonly meshPolicies: ApiObject[];
  /** Costs of the configuration worth a reviewer's attention. */
  public readonly warnings: string[] = [];

  public constructor(scope: Construct, id: string, props: TrafficPolicyProps) {
    super(scope, id);
    const { vllm, h2ogpt, mesh } = props;
    const plaintext = props.plaintextToVllm ?? PlaintextTraffic.NONE;
    if (!Object.values(PlaintextTraffic).includes(plaintext)) {
      throw new ConfigurationError('plaintextToVllm', plaintext, `Use one of: ${Object.values(PlaintextTraffic).join(', ')}.`);
    }
    const withNetworkPolicies = checkBoolean('networkPolicies', props.networkPolicies, true);
    const withMeshPolicies = checkBoolean('meshPolicies', props.meshPolicies, true);
    const restrictEgress = checkBoolean('restrictEgress', props.restrictEgress);
    if (props.meshControlPlaneNamespace !== undefined) checkDnsLabel('meshControlPlaneNamespace', props.meshControlPlaneNamespace);
    const trustDomain = props.trustDomain === undefined ? 'cluster.local' : checkDnsSubdomain('trustDomain', props.trustDomain);
    if (restrictEgress && !withNetworkPolicies) {
      throw new ConfigurationError('restrictEgress', true, 'Egress is restricted by the NetworkPolicies: turn networkPolicies on, or restrictEgress off.');
    }

    const namespace = vllm.namespace;
    if (h2ogpt.namespace !== namespace) {
      throw new ConfigurationError('h2ogpt.namespace', h2ogpt.namespace,
        `A TrafficPolicy fences its workloads in one namespace, and vLLM is in ${namespace === undefined ? 'the default one' : `"${namespace}"`}: put both workloads in one namespace.`);
    }
    const servers = [vllm, ...checkAdditionalServers(props.additionalVllm, namespace)];
    const upstreams = servers.map((server) => ({ server, name: server.name, namespace, labels: server.labels, selector: server.selectorLabels }));
    const frontend = { name: h2ogpt.name, namespace, labels: h2ogpt.labels, selector: h2ogpt.selectorLabels };
    // The mesh knows h2oGPT by its ServiceAccount.
    const client = { ...frontend, name: h2ogpt.serviceAccountName };

    this.networkPolicies = withNetworkPolicies
      ? stackNetworkPolicies(this, {
        mode: mesh,
        // A group's leaders alone serve the API; its pods, workers too, are fenced group by group.
        upstreams: upstreams.map(({ server, ...upstream }) => ({
          ...upstream, selector: server.servingSelectorLabels ?? upstream.selector, ports: [server.port], group: server.group, groupSelector: upstream.selector,
        })),
        frontend: { ...frontend, ports: [h2ogpt.uiContainerPort, ...(h2ogpt.openAiApiPort !== undefined ? [h2ogpt.openAiApiPort] : [])] },
        restrictEgress,
        huggingFaceEgress: !vllm.offline,
        controlPlaneNamespace: props.meshControlPlaneNamespace,
        scraper: props.metricsScraper && { namespace: props.metricsScraper.namespace, podLabels: props.metricsScraper.podLabels, port: props.metricsScraper.port },
        uiClients: props.uiClients,
      })
      : [];

    // The first server's objects keep the construct ids they had with one server; each further
    // server's go in a scope of its own, and the client's objects are written once.
    const policyInputs: MeshPolicyInput[] = upstreams.map(({ server, ...upstream }, i) => ({
      mode: mesh,
      upstream: {
        ...upstream, port: server.port, portName: VLLM_PORT_NAME, healthPath: VLLM_HEALTH_PATH,
        groupServiceAccount: server.group?.meshCarried ? server.serviceAccountName : undefined,
      },
      client,
      withClientObjects: i === 0,
      plaintext,
      trustDomain,
      scraper: props.metricsScraper?.overMesh ? { namespace: props.metricsScraper.namespace, serviceAccount: props.metricsScraper.serviceAccount } : undefined,
      networkPolicies: withNetworkPolicies,
    }));
    this.meshPolicies = withMeshPolicies
      ? policyInputs.flatMap((input, i) => meshPolicies(i === 0 ? this : new Construct(this, upstreams[i].server.name), input))
      : [];
    // Each server's, once each: the client's are the same for every server.
    if (withMeshPolicies) this.warnings.push(...new Set(policyInputs.flatMap(meshPolicyWarnings)));
    // A group's Ray ports run code for whoever reaches them; where the group keeps out of the mesh,
    // its NetworkPolicy is its only fence (docs/group-facts.md §4).
    if (!withNetworkPolicies) {
      servers.filter((server) => server.group && !server.group.meshCarried).forEach((server) => {
        this.warnings.push(`networkPolicies is off, and the pods of ${server.group!.name} talk over Ray and NCCL outside the mesh: nothing fences Ray's ports, `
          + 'which run code for any pod that reaches them; keep networkPolicies on (in a cluster whose CNI enforces them), or fence those pods another way');
      });
      servers.filter((server) => server.group?.meshCarried).forEach((server) => {
        this.warnings.push(`networkPolicies is off, so only the mesh's identity check fences Ray's ports on the pods of ${server.group!.name}, which run code `
          + `for any pod that reaches them: every pod that runs as ServiceAccount "${server.serviceAccountName}"${namespace === undefined ? ' in any namespace' : ''} does; keep networkPolicies on`);
      });
    }
    if (!withNetworkPolicies && (!withMeshPolicies || profileOf(mesh) === undefined)) {
      this.warnings.push('no NetworkPolicy and no mesh policy: any pod in the cluster can call vLLM, whose API key guards only /v1 paths');
    }
  }
}

/** The further servers: constructs of this app, in the fenced namespace. */
function checkAdditionalServers(servers: IVllmWorkload[] | undefined, namespace: string | undefined): IVllmWorkload[] {
  if (servers === undefined) return [];
  if (!Array.isArray(servers)) {
    throw new ConfigurationError('additionalVllm', typeof servers, 'Give a list of the VllmServer constructs h2oGPT also calls, or leave it unset.');
  }
  servers.forEach((server, i) => {
    // An endpoint this app does not deploy (VllmEndpoint.fromUrl) has no pods to fence.
    if (server === null || typeof server !== 'object' || typeof server.selectorLabels !== 'object' || typeof server.serviceAccountName !== 'string') {
      throw new ConfigurationError(`additionalVllm[${i}]`, typeof server, 'A TrafficPolicy fences servers this app deploys: pass VllmServer constructs.');
    }
    if (server.namespace !== namespace) {
      throw new ConfigurationError(`additionalVllm[${i}].namespace`, server.namespace, 'Put every vLLM server in the namespace of the first one and of h2oGPT.');
    }
  });
  return servers;
}
