import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { PlaintextTraffic } from '../common/startup-strategy';
import { MeshMode, MtlsMode } from './mesh-mode';
import { Dataplane, Mesh } from './mesh-profiles';

// The mesh's own policy objects for a stack: mTLS enforced rather than assumed, and vLLM open
// only to h2oGPT's mesh identity. One builder per mesh; a new mesh adds its case to meshPolicies.

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
  readonly mode: MeshMode;
  /** vLLM: the workload whose inbound traffic is restricted. */
  readonly upstream: PolicyWorkload & {
    readonly port: number;
    /** The container port's name (Linkerd's Server selects it by name). */
    readonly portName: string;
    /** The path the waiter and the kubelet probe. */
    readonly healthPath: string;
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
}

/** The mesh's policy objects for the stack; none without a mesh. */
export function meshPolicies(scope: Construct, input: MeshPolicyInput): ApiObject[] {
  switch (input.mode.mesh) {
    case Mesh.ISTIO:
      return istioPolicies(scope, input);
    case Mesh.LINKERD:
      return linkerdPolicies(scope, input);
    case Mesh.NONE:
      return [];
  }
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
        ],
      },
    }),
  ];
}

const LINKERD_POLICY = 'policy.linkerd.io';

/**
 * Suffixes of the names of an upstream's Linkerd policy objects (`<upstream>-<suffix>`): another
 * upstream must not be named `<upstream>-<suffix>`, or the two would share an object name.
 */
export const LINKERD_POLICY_NAME_SUFFIXES = {
  clients: 'h2ogpt', scraper: 'prometheus', plaintext: 'plaintext', health: 'health', allPaths: 'all',
} as const;
const policyName = (upstream: { readonly name: string }, suffix: keyof typeof LINKERD_POLICY_NAME_SUFFIXES) => `${upstream.name}-${LINKERD_POLICY_NAME_SUFFIXES[suffix]}`;

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
