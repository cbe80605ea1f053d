import {
  H2oGpt, H2oGptStack, H2oGptStackProps, IH2oGptWorkload, IVllmWorkload, MeshMode, MtlsMode, PlaintextTraffic, SecretKeyReference, StartupStrategy, TrafficPolicy,
  VllmEndpoint, VllmServer,
} from '../src/internal';
import { errorOf, find, Manifest, synth } from './helpers';

// Issue #9, traffic policy: who may call whom, per mesh mode, and what each opt-out changes.

function build(props: Partial<H2oGptStackProps> = {}): { objects: Manifest[]; stack: H2oGptStack } {
  let stack!: H2oGptStack;
  const objects = synth((chart) => { stack = new H2oGptStack(chart, 'stack', { name: 'chat', namespace: 'ai', vllm: { model: 'm' }, ...props }); });
  return { objects, stack };
}

const kinds = (objects: Manifest[]) => objects.map((o) => `${o.apiVersion} ${o.kind}/${o.metadata.name}`)
  .filter((k) => /NetworkPolicy|istio|linkerd/.test(k));
const frontendSelector = { 'app.kubernetes.io/name': 'h2ogpt', 'app.kubernetes.io/instance': 'chat' };
const vllmSelector = { 'app.kubernetes.io/name': 'vllm', 'app.kubernetes.io/instance': 'chat' };

describe('NetworkPolicy, in every mode', () => {
  test('vLLM admits only this stack\'s h2oGPT pods, on its port; h2oGPT admits its UI port; egress is open', () => {
    const { objects } = build();
    expect(kinds(objects)).toEqual(['networking.k8s.io/v1 NetworkPolicy/chat-vllm', 'networking.k8s.io/v1 NetworkPolicy/chat']);
    const vllm = find(objects, 'NetworkPolicy', 'chat-vllm');
    expect(vllm.spec).toEqual({
      podSelector: { matchLabels: vllmSelector },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: { matchLabels: frontendSelector } }], ports: [{ port: 8000, protocol: 'TCP' }] }],
    });
    const front = find(objects, 'NetworkPolicy', 'chat');
    expect(front.spec).toEqual({ podSelector: { matchLabels: frontendSelector }, policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 7860, protocol: 'TCP' }] }] });
  });

  test('the API port is admitted only when the API is on', () => {
    const { objects } = build({ h2ogpt: { openAiApi: true, openAiApiKey: SecretKeyReference.fromSecret('k', 'key') } });
    expect(find(objects, 'NetworkPolicy', 'chat').spec.ingress[0].ports.map((p: any) => p.port)).toEqual([7860, 5000]);
  });

  test('a custom vLLM port is the one admitted', () => {
    const { objects } = build({ vllm: { model: 'm', port: 9000 } });
    expect(find(objects, 'NetworkPolicy', 'chat-vllm').spec.ingress[0].ports).toEqual([{ port: 9000, protocol: 'TCP' }]);
  });

  test('ambient: HBONE 15008 next to each app port, and the SNATed kubelet probe address on vLLM\'s port', () => {
    const { objects } = build({ mesh: MeshMode.istioAmbient() });
    expect(find(objects, 'NetworkPolicy', 'chat-vllm').spec.ingress).toEqual([
      { from: [{ podSelector: { matchLabels: frontendSelector } }], ports: [{ port: 8000, protocol: 'TCP' }, { port: 15008, protocol: 'TCP' }] },
      { from: [{ ipBlock: { cidr: '169.254.7.127/32' } }], ports: [{ port: 8000, protocol: 'TCP' }] },
    ]);
    expect(find(objects, 'NetworkPolicy', 'chat').spec.ingress).toEqual([{ ports: [{ port: 7860, protocol: 'TCP' }, { port: 15008, protocol: 'TCP' }] }]);
  });

  test.each([['sidecar', MeshMode.linkerdSidecar()], ['native sidecar', MeshMode.linkerdNativeSidecar()]])(
    'Linkerd %s: the inbound proxy port 4143 next to each app port, where a meshed client\'s proxy dials (issue #22)', (_name, mesh) => {
      // Linkerd 2.18+ dials a meshed peer's 4143; older releases the app's port (docs/mesh-facts.md §2a).
      const { objects } = build({ mesh, trafficPolicy: { restrictEgress: true } });
      expect(find(objects, 'NetworkPolicy', 'chat-vllm').spec.ingress).toEqual([
        { from: [{ podSelector: { matchLabels: frontendSelector } }], ports: [{ port: 8000, protocol: 'TCP' }, { port: 4143, protocol: 'TCP' }] },
      ]);
      expect(find(objects, 'NetworkPolicy', 'chat').spec.ingress).toEqual([{ ports: [{ port: 7860, protocol: 'TCP' }, { port: 4143, protocol: 'TCP' }] }]);
      expect(find(objects, 'NetworkPolicy', 'chat').spec.egress).toContainEqual(
        { to: [{ podSelector: { matchLabels: vllmSelector } }], ports: [{ port: 8000, protocol: 'TCP' }, { port: 4143, protocol: 'TCP' }] });
    });

  test('Linkerd with monitoring: the meshed Prometheus is admitted on 4143 too, so its scrape of vLLM gets through', () => {
    const objects = synth((chart) => new H2oGptStack(chart, 'stack', {
      name: 'chat', namespace: 'ai', vllm: { model: 'm' }, mesh: MeshMode.linkerdSidecar(), monitoring: { prometheusNamespace: 'linkerd-viz', prometheusServiceAccount: 'prometheus' },
    }));
    expect(find(objects, 'NetworkPolicy', 'chat-vllm').spec.ingress).toContainEqual({
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'linkerd-viz' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }],
      ports: [{ port: 8000, protocol: 'TCP' }, { port: 4143, protocol: 'TCP' }],
    });
  });

  describe('restrictEgress', () => {
    const egress = (objects: Manifest[], name: string) => find(objects, 'NetworkPolicy', name).spec.egress;
    const dns = { ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] };
    const https = (rule: any) => rule.ports?.[0]?.port === 443;
    const controlPlane = (rule: any) => rule.to?.[0]?.namespaceSelector;

    test('no mesh: DNS, h2oGPT to vLLM, HTTPS to the internet (never to private ranges)', () => {
      const { objects } = build({ trafficPolicy: { restrictEgress: true } });
      expect(find(objects, 'NetworkPolicy', 'chat').spec.policyTypes).toEqual(['Ingress', 'Egress']);
      const front = egress(objects, 'chat');
      expect(front[0]).toEqual(dns);
      expect(front[1]).toEqual({ to: [{ podSelector: { matchLabels: vllmSelector } }], ports: [{ port: 8000, protocol: 'TCP' }] });
      const internet = front.find(https);
      expect(internet.to[0].ipBlock.cidr).toBe('0.0.0.0/0');
      expect(internet.to[0].ipBlock.except).toEqual(expect.arrayContaining(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']));
      expect(front.some(controlPlane)).toBe(false);
      expect(egress(objects, 'chat-vllm')).toEqual([dns, internet]);
    });

    test('offline vLLM: no internet at all', () => {
      const { objects } = build({ vllm: { model: 'm', offline: true }, trafficPolicy: { restrictEgress: true } });
      for (const name of ['chat', 'chat-vllm']) expect(egress(objects, name).some(https)).toBe(false);
    });

    test.each<[string, MeshMode, { namespace: string; ports: number[] } | undefined]>([
      ['Istio sidecar', MeshMode.istioSidecar(), { namespace: 'istio-system', ports: [15012] }],
      ['Istio native sidecar', MeshMode.istioNativeSidecar(), { namespace: 'istio-system', ports: [15012] }],
      ['Istio ambient (ztunnel dials istiod, not the pod)', MeshMode.istioAmbient(), undefined],
      ['Linkerd', MeshMode.linkerdSidecar(), { namespace: 'linkerd', ports: [8080, 8086, 8090] }],
      ['Linkerd native sidecar', MeshMode.linkerdNativeSidecar(), { namespace: 'linkerd', ports: [8080, 8086, 8090] }],
    ])('%s: the control plane the pod\'s proxy needs', (_name, mesh, expected) => {
      const { objects } = build({ mesh, trafficPolicy: { restrictEgress: true } });
      for (const name of ['chat', 'chat-vllm']) {
        const rule = egress(objects, name).find(controlPlane);
        if (!expected) {
          expect(rule).toBeUndefined();
          continue;
        }
        expect(rule.to).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': expected.namespace } } }]);
        expect(rule.ports.map((p: any) => p.port)).toEqual(expected.ports);
      }
    });

    test('ambient: h2oGPT reaches vLLM on HBONE too', () => {
      const { objects } = build({ mesh: MeshMode.istioAmbient(), trafficPolicy: { restrictEgress: true } });
      expect(egress(objects, 'chat')[1].ports.map((p: any) => p.port)).toEqual([8000, 15008]);
    });

    test('the control-plane namespace can be named', () => {
      const { objects } = build({ mesh: MeshMode.linkerdSidecar(), trafficPolicy: { restrictEgress: true, meshControlPlaneNamespace: 'mesh' } });
      expect(egress(objects, 'chat').find(controlPlane).to[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name']).toBe('mesh');
    });
  });

  test('networkPolicies: false emits none, and restricting egress without them is refused', () => {
    expect(kinds(build({ trafficPolicy: { networkPolicies: false } }).objects)).toEqual([]);
    expect(errorOf((scope) => new H2oGptStack(scope, 'stack', { vllm: { model: 'm' }, trafficPolicy: { networkPolicies: false, restrictEgress: true } })).message)
      .toMatch(/Invalid trafficPolicy\.restrictEgress: true\. Egress is restricted by the NetworkPolicies: turn networkPolicies on, or restrictEgress off/);
    const { stack } = build({ trafficPolicy: { networkPolicies: false } });
    expect(stack.warnings).toContainEqual(expect.stringMatching(/no NetworkPolicy and no mesh policy: any pod in the cluster can call vLLM/));
  });
});

describe('Istio', () => {
  const istio = (objects: Manifest[]) => objects.filter((o) => o.apiVersion === 'security.istio.io/v1');

  test.each([
    ['sidecar', MeshMode.istioSidecar()],
    ['native sidecar', MeshMode.istioNativeSidecar()],
    ['ambient', MeshMode.istioAmbient()],
  ])('%s, strict: PeerAuthentication STRICT on both workloads; vLLM admits only h2oGPT\'s principal, on its port', (_name, mesh) => {
    const { objects } = build({ mesh });
    expect(istio(objects).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['PeerAuthentication/chat-vllm', 'PeerAuthentication/chat', 'AuthorizationPolicy/chat-vllm']);
    expect(find(objects, 'PeerAuthentication', 'chat-vllm').spec).toEqual({ selector: { matchLabels: vllmSelector }, mtls: { mode: 'STRICT' } });
    expect(find(objects, 'PeerAuthentication', 'chat').spec).toEqual({ selector: { matchLabels: frontendSelector }, mtls: { mode: 'STRICT' } });
    expect(find(objects, 'AuthorizationPolicy', 'chat-vllm').spec).toEqual({
      selector: { matchLabels: vllmSelector },
      action: 'ALLOW',
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/ai/sa/chat'] } }], to: [{ operation: { ports: ['8000'] } }] }],
    });
  });

  test('the objects are v1, which Istio serves from 1.22: an older release is refused, naming the version (issue #23)', () => {
    const istioVersions = build({ mesh: MeshMode.istioSidecar({ version: '1.22' }), h2ogpt: { replicas: 2 } }).objects.filter((o) => o.apiVersion.includes('.istio.io/')).map((o) => `${o.kind} ${o.apiVersion}`);
    expect(istioVersions.sort()).toEqual(['AuthorizationPolicy security.istio.io/v1', 'DestinationRule networking.istio.io/v1', 'PeerAuthentication security.istio.io/v1', 'PeerAuthentication security.istio.io/v1']);
    expect(errorOf((scope) => new H2oGptStack(scope, 'stack', { name: 'chat', mesh: MeshMode.istioSidecar({ version: '1.21' }), vllm: { model: 'm' } })).message)
      .toMatch(/^Invalid version: "1\.21"\. The stack writes Istio's security\.istio\.io\/v1 and networking\.istio\.io\/v1 objects, which Istio serves from 1\.22/);
  });

  test('permissive mtls is written as PERMISSIVE, so the setting is enforced either way', () => {
    const { objects } = build({ mesh: MeshMode.istioSidecar({ mtls: MtlsMode.PERMISSIVE }) });
    for (const name of ['chat', 'chat-vllm']) expect(find(objects, 'PeerAuthentication', name).spec.mtls.mode).toBe('PERMISSIVE');
  });

  test('ambient: L4 fields only (no waypoint): principals and ports, nothing ztunnel cannot enforce', () => {
    const { objects } = build({ mesh: MeshMode.istioAmbient({ mtls: MtlsMode.PERMISSIVE }) });
    const text = JSON.stringify(find(objects, 'AuthorizationPolicy', 'chat-vllm').spec);
    for (const l7 of ['methods', 'paths', 'hosts', 'notPaths', 'notMethods', 'requestPrincipals', 'when']) expect(text).not.toContain(`"${l7}"`);
  });

  test('a custom trust domain is used in the principal', () => {
    const { objects } = build({ mesh: MeshMode.istioSidecar(), trafficPolicy: { trustDomain: 'corp.example' } });
    expect(find(objects, 'AuthorizationPolicy', 'chat-vllm').spec.rules[0].from[0].source.principals).toEqual(['corp.example/ns/ai/sa/chat']);
  });

  test('namespace unknown at synthesis: a suffix principal, and a warning that says so', () => {
    let stack!: H2oGptStack;
    const objects = synth((chart) => { stack = new H2oGptStack(chart, 'stack', { name: 'chat', vllm: { model: 'm' }, mesh: MeshMode.istioSidecar() }); });
    expect(find(objects, 'AuthorizationPolicy', 'chat-vllm').spec.rules[0].from[0].source.principals).toEqual(['*/sa/chat']);
    expect(stack.warnings).toContainEqual(expect.stringMatching(/namespace is unknown at synthesis.*"\*\/sa\/chat".*Set namespace for an exact principal/));
  });

  describe('plaintext strategies under permissive mTLS: exactly their plaintext is admitted', () => {
    const permissive = (cni: boolean) => MeshMode.istioSidecar({ mtls: MtlsMode.PERMISSIVE, cni });
    const rules = (mesh: MeshMode, startupStrategy: StartupStrategy) =>
      find(build({ mesh, startupStrategy }).objects, 'AuthorizationPolicy', 'chat-vllm').spec.rules;
    const principalRule = { from: [{ source: { principals: ['cluster.local/ns/ai/sa/chat'] } }], to: [{ operation: { ports: ['8000'] } }] };
    const healthCheckOnly = {
      from: [{ source: { notPrincipals: ['*'] } }],
      to: [{ operation: { ports: ['8000'], methods: ['GET'], paths: ['/health'] } }],
    };

    test('proxy-uid-bypass: the waiter\'s GET /health, nothing else', () => {
      expect(rules(permissive(true), StartupStrategy.PROXY_UID_BYPASS)).toEqual([principalRule, healthCheckOnly]);
    });

    test('init-container without CNI: the waiter\'s GET /health, nothing else', () => {
      expect(rules(permissive(false), StartupStrategy.INIT_CONTAINER)).toEqual([principalRule, healthCheckOnly]);
    });

    test('port-exclusion: all of h2oGPT\'s traffic to vLLM\'s port is plaintext, so the port is admitted', () => {
      expect(rules(permissive(true), StartupStrategy.PORT_EXCLUSION)).toEqual([
        principalRule, { from: [{ source: { notPrincipals: ['*'] } }], to: [{ operation: { ports: ['8000'] } }] },
      ]);
    });

    test.each([StartupStrategy.AUTO, StartupStrategy.IN_APP_WAIT, StartupStrategy.NONE])('%s: meshed, so no plaintext rule', (strategy) => {
      expect(rules(permissive(true), strategy)).toEqual([principalRule]);
    });
  });

  test('under strict mTLS the plaintext strategies stay refused, and the refusal names the policy', () => {
    for (const startupStrategy of [StartupStrategy.PROXY_UID_BYPASS, StartupStrategy.PORT_EXCLUSION]) {
      expect(errorOf((scope) => new H2oGptStack(scope, 'stack', { vllm: { model: 'm' }, mesh: MeshMode.istioSidecar(), startupStrategy })).message)
        .toMatch(/STRICT mTLS rejects it \(enforced by the PeerAuthentication \(STRICT\) and AuthorizationPolicy the stack emits for vLLM, which admit only h2oGPT's mTLS identity\)/);
    }
    expect(errorOf((scope) => new H2oGptStack(scope, 'stack', { vllm: { model: 'm' }, mesh: MeshMode.linkerdSidecar({ cni: false }), startupStrategy: StartupStrategy.INIT_CONTAINER })).message)
      .toMatch(/enforced by the Server and AuthorizationPolicy the stack emits for vLLM, which require h2oGPT's MeshTLSAuthentication/);
  });
});

describe('Linkerd', () => {
  const linkerd = (objects: Manifest[]) => objects.filter((o) => o.apiVersion.startsWith('policy.linkerd.io'));

  test.each([['sidecar', MeshMode.linkerdSidecar()], ['native sidecar', MeshMode.linkerdNativeSidecar()]])(
    '%s: a Server for vLLM\'s port, h2oGPT\'s ServiceAccount as MeshTLSAuthentication, an AuthorizationPolicy requiring it', (_name, mesh) => {
      const objects = linkerd(build({ mesh }).objects);
      expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Server/chat-vllm', 'MeshTLSAuthentication/chat-vllm-h2ogpt', 'AuthorizationPolicy/chat-vllm']);
      expect(find(objects, 'Server', 'chat-vllm').spec).toEqual({ podSelector: { matchLabels: vllmSelector }, port: 'http', proxyProtocol: 'HTTP/1' });
      expect(find(objects, 'MeshTLSAuthentication', 'chat-vllm-h2ogpt').spec).toEqual({ identityRefs: [{ kind: 'ServiceAccount', name: 'chat' }] });
      expect(find(objects, 'AuthorizationPolicy', 'chat-vllm').spec).toEqual({
        targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'chat-vllm' },
        requiredAuthenticationRefs: [{ group: 'policy.linkerd.io', kind: 'MeshTLSAuthentication', name: 'chat-vllm-h2ogpt' }],
      });
      // No HTTPRoute: Linkerd then authorizes the kubelet's probe paths by itself.
      expect(objects.some((o) => o.kind === 'HTTPRoute')).toBe(false);
    });

  test('health-check plaintext (proxy-uid-bypass): a GET /health route open to any network, covering probes too; every other path under mTLS', () => {
    const objects = linkerd(build({ mesh: MeshMode.linkerdSidecar({ mtls: MtlsMode.PERMISSIVE }), startupStrategy: StartupStrategy.PROXY_UID_BYPASS }).objects);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Server/chat-vllm', 'MeshTLSAuthentication/chat-vllm-h2ogpt', 'AuthorizationPolicy/chat-vllm', 'NetworkAuthentication/chat-vllm-plaintext',
      'HTTPRoute/chat-vllm-health', 'HTTPRoute/chat-vllm-all', 'AuthorizationPolicy/chat-vllm-health',
    ]);
    expect(find(objects, 'HTTPRoute', 'chat-vllm-health').spec.rules).toEqual([{ matches: [{ path: { type: 'Exact', value: '/health' }, method: 'GET' }] }]);
    expect(find(objects, 'HTTPRoute', 'chat-vllm-all').spec.rules).toEqual([{ matches: [{ path: { type: 'PathPrefix', value: '/' } }] }]);
    expect(find(objects, 'AuthorizationPolicy', 'chat-vllm-health').spec).toEqual({
      targetRef: { group: 'policy.linkerd.io', kind: 'HTTPRoute', name: 'chat-vllm-health' },
      requiredAuthenticationRefs: [{ group: 'policy.linkerd.io', kind: 'NetworkAuthentication', name: 'chat-vllm-plaintext' }],
    });
  });

  test('all-plaintext (port-exclusion): the Server also admits any network', () => {
    const objects = linkerd(build({ mesh: MeshMode.linkerdSidecar({ mtls: MtlsMode.PERMISSIVE }), startupStrategy: StartupStrategy.PORT_EXCLUSION }).objects);
    expect(objects.some((o) => o.kind === 'HTTPRoute')).toBe(false);
    expect(find(objects, 'AuthorizationPolicy', 'chat-vllm-plaintext').spec).toEqual({
      targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'chat-vllm' },
      requiredAuthenticationRefs: [{ group: 'policy.linkerd.io', kind: 'NetworkAuthentication', name: 'chat-vllm-plaintext' }],
    });
  });
});

test('meshPolicies: false emits no mesh objects but keeps the NetworkPolicies', () => {
  for (const mesh of [MeshMode.istioSidecar(), MeshMode.linkerdSidecar()]) {
    const { objects } = build({ mesh, trafficPolicy: { meshPolicies: false } });
    expect(kinds(objects)).toEqual(['networking.k8s.io/v1 NetworkPolicy/chat-vllm', 'networking.k8s.io/v1 NetworkPolicy/chat']);
  }
});

test('TrafficPolicy composes with hand-built workloads, and refuses a pair split across namespaces', () => {
  const objects = synth((chart) => {
    const vllm = new VllmServer(chart, 'vllm', { name: 'llm', namespace: 'ai', model: 'm' });
    const h2ogpt = new H2oGpt(chart, 'h2ogpt', { name: 'ui', namespace: 'ai', vllm });
    new TrafficPolicy(chart, 'policy', { vllm, h2ogpt, mesh: MeshMode.linkerdSidecar(), plaintextToVllm: PlaintextTraffic.NONE });
  });
  expect(kinds(objects)).toContain('policy.linkerd.io/v1beta3 Server/llm');
  expect(errorOf((scope) => {
    const vllm = new VllmServer(scope, 'vllm', { name: 'llm', namespace: 'ai', model: 'm' });
    const h2ogpt = new H2oGpt(scope, 'h2ogpt', { name: 'ui', namespace: 'web', vllm });
    return new TrafficPolicy(scope, 'policy', { vllm, h2ogpt, mesh: MeshMode.none() });
  }).message).toMatch(/Invalid h2ogpt\.namespace: "web"\. A TrafficPolicy fences its workloads in one namespace, and vLLM is in "ai"/);
});

test('TrafficPolicy takes any workload with pods to fence (IVllmWorkload, IH2oGptWorkload), and refuses an endpoint this app does not deploy', () => {
  // Workloads built some other way: only what the policy reads of them.
  const vllm: IVllmWorkload = { name: 'llm', namespace: 'ai', labels: { app: 'llm' }, selectorLabels: { app: 'llm' }, serviceAccountName: 'llm', port: 8000, offline: true };
  const h2ogpt: IH2oGptWorkload = { name: 'ui', namespace: 'ai', labels: { app: 'ui' }, selectorLabels: { app: 'ui' }, serviceAccountName: 'ui-identity', uiContainerPort: 7860 };
  const objects = synth((chart) => new TrafficPolicy(chart, 'policy', { vllm, h2ogpt, mesh: MeshMode.linkerdSidecar(), plaintextToVllm: PlaintextTraffic.NONE }));
  expect(find(objects, 'Server', 'llm').spec).toEqual({ podSelector: { matchLabels: { app: 'llm' } }, port: 'http', proxyProtocol: 'HTTP/1' });
  expect(find(objects, 'MeshTLSAuthentication', 'llm-h2ogpt').spec.identityRefs).toEqual([{ kind: 'ServiceAccount', name: 'ui-identity' }]);
  expect(find(objects, 'NetworkPolicy', 'llm').spec.podSelector).toEqual({ matchLabels: { app: 'llm' } });
  const external = VllmEndpoint.fromUrl('http://models.example.svc:8000', { servedModelName: 'm' });
  expect(errorOf((scope) => new TrafficPolicy(scope, 'policy', { vllm, h2ogpt, additionalVllm: [external as any], mesh: MeshMode.none() })).message)
    .toMatch(/^Invalid additionalVllm\[0\]: "object"\. A TrafficPolicy fences servers this app deploys: pass VllmServer constructs\./);
});
