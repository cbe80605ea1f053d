import { Manifest } from '../helpers';

// Kubernetes NetworkPolicy (networking.k8s.io/v1) enforced as a CNI enforces it: filter rules on
// the router between the pods (Calico and Cilium filter at the host end of each pod's veth), so
// the port a rule sees is the one on the wire, before any mesh redirects it inside the pod.
// Written from the Kubernetes API reference (v1.33: NetworkPolicySpec, NetworkPolicyIngressRule,
// NetworkPolicyEgressRule, NetworkPolicyPeer, NetworkPolicyPort, LabelSelector) and the concept
// page "Network Policies", not from the library's own policy code, so the two can disagree:
// - a pod is isolated for ingress (egress) once a policy of its namespace selects it and lists
//   Ingress (Egress) in policyTypes; policyTypes defaults to Ingress, plus Egress when the policy
//   has egress rules;
// - a connection passes when the source's egress and the destination's ingress both allow it;
//   replies of an allowed connection pass (policies are stateful);
// - a rule without `from`/`to` admits every peer, without `ports` every port;
// - a peer's podSelector alone means pods of the policy's namespace, namespaceSelector alone every
//   pod of the selected namespaces, both together the selected pods of the selected namespaces;
//   ipBlock a CIDR minus its `except` ranges;
// - a port is a number or a container port's name on the destination pod, TCP unless stated,
//   with endPort for a range (a name in an egress rule is each destination pod's own: the e2e
//   test "should allow egress access on one named port", kubernetes#99256).

/** A pod of the replay, as policies see it. */
export interface PolicyEndpoint {
  readonly name: string;
  readonly ip: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly ports: ReadonlyArray<{ readonly name?: string; readonly containerPort: number; readonly protocol?: string }>;
}

interface LabelSelector {
  readonly matchLabels?: Record<string, string>;
  readonly matchExpressions?: ReadonlyArray<{ readonly key: string; readonly operator: string; readonly values?: string[] }>;
}

/** LabelSelector semantics: every matchLabels pair and every expression must hold; {} selects all. */
export function selects(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  const pairs = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const expressions = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    switch (operator) {
      case 'In': return key in labels && values.includes(labels[key]);
      case 'NotIn': return !(key in labels) || !values.includes(labels[key]);
      case 'Exists': return key in labels;
      case 'DoesNotExist': return !(key in labels);
      default: throw new Error(`unknown LabelSelector operator ${operator}`);
    }
  });
  return pairs && expressions;
}

/** Namespaces carry their name as the label kubernetes.io/metadata.name (on by default from 1.21, GA in 1.22). */
const namespaceLabels = (namespace: string) => ({ 'kubernetes.io/metadata.name': namespace });

type Direction = 'ingress' | 'egress';

interface Rule {
  /** Where the rule's peers are: source addresses (ingress) or destinations (egress); undefined: anywhere. */
  readonly peers?: Array<{ cidr: string; except: string[] }>;
  /** Protocol and port range on the wire; undefined: every port. */
  readonly ports?: Array<{ protocol: string; from: number; to: number }>;
}

/** The rules of every policy that isolates `pod` in `direction`; undefined when none does. */
function rulesFor(pod: PolicyEndpoint, direction: Direction, policies: Manifest[], endpoints: PolicyEndpoint[]): Rule[] | undefined {
  const isolating = policies.filter((policy) => {
    const namespace = policy.metadata.namespace ?? pod.namespace;
    if (namespace !== pod.namespace || !selects(policy.spec.podSelector ?? {}, pod.labels)) return false;
    // Defaulted as the API server does (SetDefaults_NetworkPolicy): an empty list is unset too.
    const types: string[] = policy.spec.policyTypes?.length ? policy.spec.policyTypes : ['Ingress', ...(policy.spec.egress?.length ? ['Egress'] : [])];
    return types.includes(direction === 'ingress' ? 'Ingress' : 'Egress');
  });
  if (isolating.length === 0) return undefined;
  return isolating.flatMap((policy) => (policy.spec[direction] ?? []).flatMap((rule: any): Rule[] => {
    const policyNamespace = policy.metadata.namespace ?? pod.namespace;
    const written: any[] | undefined = direction === 'ingress' ? rule.from : rule.to;
    const peerAddresses = written === undefined || written.length === 0 ? undefined : written.flatMap((peer: any) => {
      if (peer.ipBlock) return [{ cidr: peer.ipBlock.cidr, except: peer.ipBlock.except ?? [] }];
      return endpoints.filter((other) => {
        const namespaceMatches = peer.namespaceSelector ? selects(peer.namespaceSelector, namespaceLabels(other.namespace)) : other.namespace === policyNamespace;
        return namespaceMatches && (!peer.podSelector || selects(peer.podSelector, other.labels));
      }).map((other) => ({ cidr: `${other.ip}/32`, except: [] }));
    });
    const writtenPorts: any[] | undefined = rule.ports;
    if (writtenPorts === undefined || writtenPorts.length === 0) return [{ peers: peerAddresses }];
    if (direction === 'ingress') return [{ peers: peerAddresses, ports: writtenPorts.flatMap((port) => portRanges(port, pod)) }];
    // Egress: a named port is each destination pod's own (the e2e case "should allow egress access
    // on one named port"), so it becomes a rule per pod in the peers that declares the name.
    const numbered = writtenPorts.filter((port) => typeof port.port !== 'string');
    const named = writtenPorts.filter((port) => typeof port.port === 'string');
    return [
      ...(numbered.length > 0 ? [{ peers: peerAddresses, ports: numbered.flatMap((port) => portRanges(port, undefined)) }] : []),
      ...endpoints.filter((other) => other !== pod && within(other.ip, peerAddresses)).flatMap((other) => {
        const ports = named.flatMap((port) => portRanges(port, other));
        return ports.length > 0 ? [{ peers: [{ cidr: `${other.ip}/32`, except: [] }], ports }] : [];
      }),
    ];
  }));
}

/** A NetworkPolicyPort on the wire; a name is resolved on `destination`, and matches nothing it does not declare. */
function portRanges(port: any, destination: PolicyEndpoint | undefined): Array<{ protocol: string; from: number; to: number }> {
  const protocol = (port.protocol ?? 'TCP').toLowerCase();
  if (port.port === undefined) return [{ protocol, from: 1, to: 65535 }];
  const number = typeof port.port === 'number' ? port.port
    : destination?.ports.find((p) => p.name === port.port && (p.protocol ?? 'TCP').toLowerCase() === protocol)?.containerPort;
  return number === undefined ? [] : [{ protocol, from: number, to: port.endPort ?? number }];
}

const ipv4 = (ip: string) => ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
/** Whether an IPv4 address is in a CIDR (an IPv6 CIDR holds none of the replay's addresses). */
function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  if (base.includes(':')) return false;
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipv4(ip) / size) === Math.floor(ipv4(base) / size);
}
const within = (ip: string, peers: Rule['peers']) => peers === undefined || peers.some((peer) => inCidr(ip, peer.cidr) && !peer.except.some((e) => inCidr(ip, e)));

/** The chain names and evidence labels of one pod's isolation. */
export interface PolicyChain { readonly chain: string; readonly pod: string; readonly direction: Direction }

/**
 * The router's filter table (iptables-restore input) for these pods and policies. Each isolated
 * pod gets a chain per direction that ends in DROP; connections opened to `wirePorts` get a DROP
 * rule each before the last one, so a verdict can name the port that was dropped.
 */
export function routerFilterRules(policies: Manifest[], endpoints: PolicyEndpoint[], wirePorts: number[]): { restore: string; chains: PolicyChain[] } {
  const networkPolicies = policies.filter((o) => o.kind === 'NetworkPolicy');
  const lines: string[] = ['*filter', ':FORWARD ACCEPT [0:0]'];
  const rules: string[] = ['-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT'];
  const chains: PolicyChain[] = [];
  endpoints.forEach((pod, k) => {
    for (const direction of ['egress', 'ingress'] as const) {
      const allowed = rulesFor(pod, direction, networkPolicies, endpoints);
      if (allowed === undefined) continue;
      const chain = `NP-${direction === 'ingress' ? 'IN' : 'EG'}-${k}`;
      chains.push({ chain, pod: pod.name, direction });
      lines.push(`:${chain} - [0:0]`);
      // Egress runs first and hands an allowed packet back (RETURN) for the destination's ingress.
      rules.push(direction === 'egress' ? `-A FORWARD -s ${pod.ip}/32 -j ${chain}` : `-A FORWARD -d ${pod.ip}/32 -j ${chain}`);
      const verdict = direction === 'egress' ? 'RETURN' : 'ACCEPT';
      const peerFlag = direction === 'egress' ? '-d' : '-s';
      allowed.forEach((rule, r) => {
        const portMatches = rule.ports === undefined ? [''] : rule.ports.map((p) => ` -p ${p.protocol} --dport ${p.from === p.to ? p.from : `${p.from}:${p.to}`}`);
        for (const [q, peer] of (rule.peers ?? [undefined]).entries()) {
          let target = verdict;
          if (peer && peer.except.length > 0) {
            // The excepted ranges leave the rule before its verdict.
            target = `${chain}-R${r}-${q}`;
            lines.push(`:${target} - [0:0]`);
            for (const except of peer.except) rules.push(`-A ${target} ${peerFlag} ${except} -j RETURN`);
            for (const ports of portMatches) rules.push(`-A ${target}${ports} -j ${verdict}`);
          }
          const peerMatch = peer ? ` ${peerFlag} ${peer.cidr}` : '';
          if (target === verdict) for (const ports of portMatches) rules.push(`-A ${chain}${peerMatch}${ports} -j ${verdict}`);
          else rules.push(`-A ${chain}${peerMatch} -j ${target}`);
        }
      });
      // Counted per port, connection openings only: a stray packet of a closed connection is no evidence.
      for (const port of wirePorts) rules.push(`-A ${chain} -p tcp --dport ${port} --syn -j DROP`);
      rules.push(`-A ${chain} -j DROP`);
    }
  });
  return { restore: [...lines, ...rules, 'COMMIT', ''].join('\n'), chains };
}

/** Connection openings a policy dropped: which pod's policy, which direction, which port. */
export interface PolicyDrop { readonly pod: string; readonly direction: Direction; readonly port: number; readonly packets: number }

/** The per-port DROP rules that counted packets, from `iptables -L -v -x -n` of the router's filter table. */
export function policyDrops(listing: string, chains: PolicyChain[]): PolicyDrop[] {
  const drops: PolicyDrop[] = [];
  let current: PolicyChain | undefined;
  for (const line of listing.split('\n')) {
    const header = /^Chain (\S+)/.exec(line);
    if (header) {
      current = chains.find((c) => c.chain === header[1]);
      continue;
    }
    const fields = line.trim().split(/\s+/);
    const port = Number(/dpt:(\d+)/.exec(line)?.[1]);
    if (!current || fields[2] !== 'DROP' || !port) continue;
    const packets = Number(fields[0]);
    if (packets > 0) drops.push({ pod: current.pod, direction: current.direction, port, packets });
  }
  return drops;
}
