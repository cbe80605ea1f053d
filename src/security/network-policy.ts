import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { MeshMode, profileOf } from '../mesh/mesh-mode';
import { Dataplane } from '../mesh/mesh-profiles';
import { LWS_POD_LABELS } from '../workloads/vllm-group';

// Kubernetes NetworkPolicy for the stack, in every mode: defence in depth under a mesh, the only
// fence without one. Kubelet probes need no rule: NetworkPolicy always admits traffic from the
// pod's own node (kubernetes.io NetworkPolicySpec.ingress) except in ambient, where probes are
// SNATed to a link-local address first.

/** Where egress to the Hugging Face Hub may go: the internet, not the cluster's own ranges. */
const PUBLIC_INTERNET: k8s.NetworkPolicyPeer[] = [
  { ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16'] } },
  { ipBlock: { cidr: '::/0', except: ['fc00::/7', 'fe80::/10'] } },
];

/** A workload as its NetworkPolicy sees it. Internal. */
export interface FencedWorkload {
  readonly name: string;
  readonly namespace?: string;
  readonly labels: { [key: string]: string };
  readonly selector: { [key: string]: string };
  /** Container ports it serves. */
  readonly ports: number[];
  /** A multi-node server's groups: each group's pods admit each other on every port. */
  readonly group?: { readonly name: string; readonly maxGroups: number };
  /** Labels of every pod of the server, leaders and workers, where `selector` picks the leaders only. */
  readonly groupSelector?: { [key: string]: string };
}

/** What the stack's NetworkPolicies need. Internal. */
export interface NetworkPolicyInput {
  readonly mode: MeshMode;
  /** The vLLM servers: each admits only h2oGPT on its serving port, and a group's pods their own group. */
  readonly upstreams: FencedWorkload[];
  /** h2oGPT: admits anyone on its UI (and API) ports. */
  readonly frontend: FencedWorkload;
  /** Restrict egress too. */
  readonly restrictEgress: boolean;
  /** Allow HTTPS to the internet for Hugging Face downloads (only with restrictEgress). */
  readonly huggingFaceEgress: boolean;
  /** Namespace of the mesh control plane (only with restrictEgress). */
  readonly controlPlaneNamespace?: string;
  /**
   * Who may reach h2oGPT's UI port, when the UI is exposed: the pods that carry the route's traffic
   * (namespace undefined: the stack's own). Undefined: every pod.
   */
  readonly uiClients?: { readonly namespace?: string; readonly podLabels?: { [key: string]: string } };
  /** Prometheus: its namespace may reach vLLM's metrics on this port (the mesh agent's), or on vLLM's own. */
  readonly scraper?: { readonly namespace: string; readonly podLabels?: { [key: string]: string }; readonly port?: number };
}

const tcp = (port: number): k8s.NetworkPolicyPort => ({ port: k8s.IntOrString.fromNumber(port), protocol: 'TCP' });

/** The NetworkPolicies of the stack: one per workload, named after it. */
export function stackNetworkPolicies(scope: Construct, input: NetworkPolicyInput): k8s.KubeNetworkPolicy[] {
  const { mode, upstreams, frontend } = input;
  const profile = profileOf(mode);
  const ambient = mode.dataplane === Dataplane.AMBIENT;
  // Where a meshed peer's proxy dials a port of its own on the destination pod (ambient's HBONE
  // 15008, Linkerd's inbound 4143), that port is on the wire, not the app's: admit it beside.
  const meshedInbound = profile?.meshedInboundPort[mode.dataplane];
  const meshWire = meshedInbound !== undefined ? [tcp(meshedInbound)] : [];
  const fromFrontend: k8s.NetworkPolicyPeer = { podSelector: { matchLabels: frontend.selector } };

  const upstreamIngress = (upstream: FencedWorkload): k8s.NetworkPolicyIngressRule[] => [
    { from: [fromFrontend], ports: [...upstream.ports.map(tcp), ...meshWire] },
    ...(ambient ? [{ from: [{ ipBlock: { cidr: profile!.ambientProbeSourceCidr! } }], ports: upstream.ports.map(tcp) }] : []),
    ...(input.scraper
      ? [{
        // Prometheus's pods of its namespace, not the namespace whole: vLLM's open paths need no key.
        from: [{
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': input.scraper.namespace } },
          ...(input.scraper.podLabels ? { podSelector: { matchLabels: input.scraper.podLabels } } : {}),
        }],
        ports: [...(input.scraper.port !== undefined ? [tcp(input.scraper.port)] : upstream.ports.map(tcp)), ...meshWire],
      }]
      : []),
  ];
  // Exposed, the UI port admits the gateway's or ingress controller's pods only; the API port
  // (keyed) and the mesh's own port stay open: a mesh's callers arrive on its port, where their
  // identity, not their address, is what the mesh's policy checks.
  const [uiPort, ...otherPorts] = frontend.ports;
  const uiClients = input.uiClients;
  const frontendIngress: k8s.NetworkPolicyIngressRule[] = uiClients
    ? [
      {
        from: [{
          ...(uiClients.namespace !== undefined ? { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': uiClients.namespace } } } : {}),
          podSelector: { matchLabels: uiClients.podLabels ?? {} },
        }],
        ports: [tcp(uiPort)],
      },
      ...(otherPorts.length + meshWire.length > 0 ? [{ ports: [...otherPorts.map(tcp), ...meshWire] }] : []),
    ]
    : [{ ports: [...frontend.ports.map(tcp), ...meshWire] }];

  const egress = (extra: k8s.NetworkPolicyEgressRule[]): k8s.NetworkPolicyEgressRule[] => [
    // DNS to any resolver: kube-dns, NodeLocal DNSCache (a link-local address) or the node's.
    { ports: [{ port: k8s.IntOrString.fromNumber(53), protocol: 'UDP' }, tcp(53)] },
    ...extra,
    ...(input.huggingFaceEgress ? [{ to: PUBLIC_INTERNET, ports: [tcp(443)] }] : []),
    ...(profile && !ambient
      ? [{
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': input.controlPlaneNamespace ?? profile.controlPlaneNamespace } } }],
        ports: profile.controlPlanePorts.map(tcp),
      }]
      : []),
  ];
  const toUpstreams: k8s.NetworkPolicyEgressRule[] = upstreams.map((upstream) => ({
    to: [{ podSelector: { matchLabels: upstream.selector } }],
    ports: [...upstream.ports.map(tcp), ...meshWire],
  }));

  const policy = (id: string, workload: FencedWorkload, ingress: k8s.NetworkPolicyIngressRule[], egressRules: k8s.NetworkPolicyEgressRule[]) =>
    new k8s.KubeNetworkPolicy(scope, id, {
      metadata: { name: workload.name, namespace: workload.namespace, labels: workload.labels },
      spec: {
        podSelector: { matchLabels: workload.selector },
        policyTypes: input.restrictEgress ? ['Ingress', 'Egress'] : ['Ingress'],
        ingress,
        egress: input.restrictEgress ? egressRules : undefined,
      },
    });
  // A group's pods reach each other on every port (Ray, torch.distributed and NCCL pick theirs),
  // and only within their group: a policy per group index, up to the most groups there may be.
  const groupPolicies = (upstream: FencedWorkload, groupLabels: { [key: string]: string }): k8s.KubeNetworkPolicy[] => {
    const group = upstream.group;
    if (!group) return [];
    return Array.from({ length: group.maxGroups }, (_, index) => {
      const members: k8s.NetworkPolicyPeer = { podSelector: { matchLabels: { ...groupLabels, [LWS_POD_LABELS.groupIndex]: String(index) } } };
      const name = `${group.name}-${index}`;
      return policy(`group-network-policy-${name}`, { ...upstream, name, selector: members.podSelector!.matchLabels! },
        [{ from: [members] }], egress([{ to: [members] }]));
    });
  };
  return [
    // The first keeps the id it had when the stack had one vLLM server.
    ...upstreams.flatMap((upstream, i) => [
      policy(i === 0 ? 'upstream-network-policy' : `upstream-network-policy-${upstream.name}`, upstream, upstreamIngress(upstream), egress([])),
      ...groupPolicies(upstream, upstream.groupSelector ?? upstream.selector),
    ]),
    policy('frontend-network-policy', frontend, frontendIngress, egress(toUpstreams)),
  ];
}
