import { policyDrops, PolicyEndpoint, routerFilterRules, selects } from './support/network-policy-model';

// The kernel suite's NetworkPolicy model (test/support/network-policy-model.ts), checked on its
// own: it encodes the Kubernetes API reference (networking.k8s.io/v1, v1.33) and the concept page
// "Network Policies", and the kernel suite's verdicts on policies rest on it.

const pod = (name: string, ip: string, labels: Record<string, string>, namespace = 'ai', ports = [{ name: 'http', containerPort: 8000 }]): PolicyEndpoint => ({ name, ip, namespace, labels, ports });
const front = pod('front', '10.0.0.1', { app: 'front' });
const vllm = pod('vllm', '10.0.0.2', { app: 'vllm' });
const scraper = pod('prometheus', '10.0.1.1', { app: 'prometheus' }, 'monitoring');
const policy = (spec: object, namespace = 'ai') => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'p', namespace }, spec });
const rulesOf = (restore: string) => restore.split('\n').filter((l) => l.startsWith('-A '));

test('LabelSelector: matchLabels and every expression operator; an empty selector selects all', () => {
  expect(selects({}, { a: '1' })).toBe(true);
  expect(selects({ matchLabels: { a: '1' } }, { a: '1', b: '2' })).toBe(true);
  expect(selects({ matchLabels: { a: '1' } }, { a: '2' })).toBe(false);
  expect(selects({ matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '2'] }] }, { a: '2' })).toBe(true);
  expect(selects({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }, {})).toBe(true);
  expect(selects({ matchExpressions: [{ key: 'a', operator: 'Exists' }] }, {})).toBe(false);
  expect(selects({ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, {})).toBe(true);
});

test('a pod no policy selects is not isolated; a selected one gets a chain that admits the rule and drops the rest', () => {
  const { restore, chains } = routerFilterRules([policy({ podSelector: { matchLabels: { app: 'vllm' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'front' } } }], ports: [{ port: 8000 }] }] })],
    [front, vllm, scraper], [8000]);
  expect(chains).toEqual([{ chain: 'NP-IN-1', pod: 'vllm', direction: 'ingress' }]); // policyTypes defaults to Ingress
  expect(rulesOf(restore)).toEqual([
    '-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
    '-A FORWARD -d 10.0.0.2/32 -j NP-IN-1',
    '-A NP-IN-1 -s 10.0.0.1/32 -p tcp --dport 8000 -j ACCEPT',
    '-A NP-IN-1 -p tcp --dport 8000 --syn -j DROP',
    '-A NP-IN-1 -j DROP',
  ]);
});

test('peers: a podSelector alone is the policy\'s namespace, a namespaceSelector alone every pod there, ipBlock with its exceptions', () => {
  const { restore } = routerFilterRules([policy({
    podSelector: {},
    ingress: [
      { from: [{ podSelector: {} }] },
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port: 'http' }] },
      { from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.0.1.0/24'] } }], ports: [{ port: 9000, endPort: 9010, protocol: 'UDP' }] },
    ],
  })], [front, vllm, scraper], []);
  const vllmRules = rulesOf(restore).filter((l) => l.startsWith('-A NP-IN-1 '));
  expect(vllmRules).toEqual([
    '-A NP-IN-1 -s 10.0.0.1/32 -j ACCEPT', '-A NP-IN-1 -s 10.0.0.2/32 -j ACCEPT', // this namespace's pods only, every port
    '-A NP-IN-1 -s 10.0.1.1/32 -p tcp --dport 8000 -j ACCEPT', // the named port, as the destination numbers it
    '-A NP-IN-1 -s 10.0.0.0/8 -j NP-IN-1-R2-0',
    '-A NP-IN-1 -j DROP',
  ]);
  expect(rulesOf(restore)).toContain('-A NP-IN-1-R2-0 -s 10.0.1.0/24 -j RETURN');
  expect(rulesOf(restore)).toContain('-A NP-IN-1-R2-0 -p udp --dport 9000:9010 -j ACCEPT');
  expect(rulesOf(restore).some((l) => l.startsWith('-A NP-IN-') && l.includes('prometheus'))).toBe(false);
});

test('egress isolates only with Egress in policyTypes (or egress rules), and hands an allowed packet on to the destination\'s ingress', () => {
  const ingressOnly = routerFilterRules([policy({ podSelector: { matchLabels: { app: 'front' } }, policyTypes: ['Ingress'] })], [front, vllm], []);
  expect(ingressOnly.chains.map((c) => c.direction)).toEqual(['ingress']);
  const { restore, chains } = routerFilterRules([policy({ podSelector: { matchLabels: { app: 'front' } }, egress: [{ to: [{ podSelector: { matchLabels: { app: 'vllm' } } }], ports: [{ port: 'http' }] }] })], [front, vllm], []);
  expect(chains).toEqual([{ chain: 'NP-EG-0', pod: 'front', direction: 'egress' }, { chain: 'NP-IN-0', pod: 'front', direction: 'ingress' }]);
  expect(rulesOf(restore)).toContain('-A NP-EG-0 -d 10.0.0.2/32 -p tcp --dport 8000 -j RETURN');
  // An empty policyTypes is defaulted like an unset one, and an empty egress list isolates nothing.
  expect(routerFilterRules([policy({ podSelector: {}, policyTypes: [], egress: [] })], [front], []).chains).toEqual([{ chain: 'NP-IN-0', pod: 'front', direction: 'ingress' }]);
});

test('egress: a named port without peers, or with an ipBlock, is each destination pod\'s own number', () => {
  const other = pod('other', '10.0.0.3', { app: 'other' }, 'ai', [{ name: 'http', containerPort: 9000 }]);
  const { restore } = routerFilterRules([policy({
    podSelector: { matchLabels: { app: 'front' } }, policyTypes: ['Egress'],
    egress: [{ ports: [{ port: 'http' }] }, { to: [{ ipBlock: { cidr: '10.0.0.2/32' } }], ports: [{ port: 'http' }, { port: 53, protocol: 'UDP' }] }],
  })], [front, vllm, other], []);
  expect(rulesOf(restore).filter((l) => l.startsWith('-A NP-EG-0 '))).toEqual([
    '-A NP-EG-0 -d 10.0.0.2/32 -p tcp --dport 8000 -j RETURN', '-A NP-EG-0 -d 10.0.0.3/32 -p tcp --dport 9000 -j RETURN',
    '-A NP-EG-0 -d 10.0.0.2/32 -p udp --dport 53 -j RETURN',
    '-A NP-EG-0 -d 10.0.0.2/32 -p tcp --dport 8000 -j RETURN', // 10.0.0.3 is outside the block
    '-A NP-EG-0 -j DROP',
  ]);
});

test('the drops that count: connection openings per port, from the listing iptables prints', () => {
  const listing = [
    'Chain FORWARD (policy ACCEPT 0 packets, 0 bytes)',
    '    pkts      bytes target     prot opt in     out     source               destination',
    '       3      180 NP-IN-1    all  --  *      *       0.0.0.0/0            10.0.0.2',
    'Chain NP-IN-1 (1 references)',
    '       0        0 ACCEPT     tcp  --  *      *       10.0.0.1             0.0.0.0/0            tcp dpt:8000',
    '       0        0 DROP       tcp  --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:8000 flags:0x17/0x02',
    '       3      180 DROP       tcp  --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:4143 flags:0x17/0x02',
    '       1       40 DROP       all  --  *      *       0.0.0.0/0            0.0.0.0/0',
  ].join('\n');
  expect(policyDrops(listing, [{ chain: 'NP-IN-1', pod: 'vllm', direction: 'ingress' }])).toEqual([{ pod: 'vllm', direction: 'ingress', port: 4143, packets: 3 }]);
});
