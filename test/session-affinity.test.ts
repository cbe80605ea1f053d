import { Exposure, H2oGptStack, H2oGptStackProps, MeshMode, MtlsMode, UiAuthentication } from '../src';
import { errorOf, find, Manifest, synth } from './helpers';
import { crossObjectProblems, schemaProblems } from './support/conformance';

// Sticky sessions in every mesh mode (docs/mesh-facts.md §9): with several h2oGPT replicas a
// browser session must stay on one, by whatever the mode's data plane honours.

function build(mesh: MeshMode, replicas: number, extra: Partial<H2oGptStackProps> = {}): Manifest[] {
  return synth((chart) => new H2oGptStack(chart, 'stack', { name: 'chat', mesh, vllm: { model: 'm' }, h2ogpt: { replicas, uiPort: 80, openAiApi: false }, ...extra }), 'ai');
}

const kinds = (objects: Manifest[]) => objects.map((o) => o.kind);
const valid = (objects: Manifest[]) => {
  expect(objects.flatMap(schemaProblems)).toEqual([]);
  expect(crossObjectProblems(objects as any)).toEqual([]);
};

describe('sticky sessions', () => {
  test('no mesh: kube-proxy\'s ClientIP affinity on the Service, nothing else', () => {
    const objects = build(MeshMode.none(), 2);
    expect(find(objects, 'Service', 'chat').spec.sessionAffinity).toBe('ClientIP');
    expect(kinds(objects)).not.toContain('DestinationRule');
    valid(objects);
  });

  test.each([
    ['Istio sidecar with istio-cni', MeshMode.istioSidecar()],
    ['Istio sidecar without istio-cni', MeshMode.istioSidecar({ cni: false, mtls: MtlsMode.PERMISSIVE })],
    ['Istio native sidecar', MeshMode.istioNativeSidecar()],
  ])('%s: a DestinationRule hashes the UI port on a session cookie the caller\'s proxy sets', (_label, mesh) => {
    const objects = build(mesh, 3);
    const rule = find(objects, 'DestinationRule', 'chat');
    expect(rule.metadata.namespace).toBe('ai');
    expect(rule.spec).toEqual({
      host: 'chat.ai.svc.cluster.local',
      trafficPolicy: {
        portLevelSettings: [{ port: { number: 80 }, loadBalancer: { consistentHash: { httpCookie: { name: 'h2ogpt-session', path: '/', ttl: '0s' } } } }],
      },
    });
    // No TLS settings: Istio's automatic mTLS stays in force for this host.
    expect(JSON.stringify(rule.spec)).not.toContain('tls');
    expect(kinds(objects)).not.toContain('Gateway');
    // Callers without a proxy (through the ClusterIP from outside the mesh) keep kube-proxy's affinity.
    expect(find(objects, 'Service', 'chat').spec.sessionAffinity).toBe('ClientIP');
    valid(objects);
  });

  test('Istio ambient: ztunnel is L4, so the Service goes through a waypoint that applies the hash', () => {
    const objects = build(MeshMode.istioAmbient(), 2);
    const service = find(objects, 'Service', 'chat');
    expect(service.metadata.labels['istio.io/use-waypoint']).toBe('chat-waypoint');
    const waypoint = find(objects, 'Gateway', 'chat-waypoint');
    expect(waypoint.metadata.labels['istio.io/waypoint-for']).toBe('service');
    expect(waypoint.spec).toEqual({ gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] });
    // The hash at the top level, which the waypoint's default route reads from Istio 1.31 (it
    // ignores portLevelSettings), and a route bound to the Service, which gives 1.26-1.30
    // waypoints a hash policy at all (istio/istio#61045; docs/mesh-facts.md §9).
    const rule = find(objects, 'DestinationRule', 'chat').spec.trafficPolicy;
    expect(rule).toEqual({ loadBalancer: { consistentHash: { httpCookie: { name: 'h2ogpt-session', path: '/', ttl: '0s' } } } });
    expect(find(objects, 'HTTPRoute', 'chat-sessions').spec).toEqual({
      parentRefs: [{ group: '', kind: 'Service', name: 'chat', port: 80 }],
      rules: [{ backendRefs: [{ name: 'chat', port: 80 }] }],
    });
    expect(service.metadata.labels['istio.io/ingress-use-waypoint']).toBeUndefined(); // not exposed
    // The waypoint reaches h2oGPT over HBONE, which h2oGPT's NetworkPolicy admits.
    const ingressPorts = find(objects, 'NetworkPolicy', 'chat').spec.ingress.flatMap((r: any) => r.ports.map((p: any) => p.port));
    expect(ingressPorts).toContain(15008);
    valid(objects);
  });

  test('Istio ambient, exposed: the ingress gateway is told to go through the waypoint, or it would pick pods itself', () => {
    const objects = build(MeshMode.istioAmbient(), 2, {
      exposure: Exposure.gateway({ gatewayName: 'public', gatewayNamespace: 'infra', hostname: 'chat.example.com' }),
      h2ogpt: { replicas: 2, uiPort: 80, openAiApi: false, authentication: UiAuthentication.fromSecret('users') },
    });
    expect(find(objects, 'Service', 'chat').metadata.labels['istio.io/ingress-use-waypoint']).toBe('true');
  });

  test('Istio ambient by release: refused before 1.26 (waypoints hash on no route), a warning when the release is unknown, 1.30 warned of #60312', () => {
    expect(() => build(MeshMode.istioAmbient({ version: '1.25' }), 2)).toThrow(/Invalid h2ogpt\.replicas: 2\. Istio 1\.25's waypoints apply no consistent hash/);
    const warningsOf = (mesh: MeshMode) => {
      let stack!: H2oGptStack;
      synth((chart) => { stack = new H2oGptStack(chart, 'stack', { name: 'chat', mesh, vllm: { model: 'm' }, h2ogpt: { replicas: 2 } }); });
      return stack.warnings.join('\n');
    };
    expect(warningsOf(MeshMode.istioAmbient())).toMatch(/sticky sessions in ambient need Istio 1\.26 or later/);
    expect(warningsOf(MeshMode.istioAmbient({ version: '1.26' }))).not.toMatch(/sticky sessions/);
    expect(warningsOf(MeshMode.istioAmbient({ version: '1.30' }))).toMatch(/Istio 1\.30\.0 sends no traffic to h2oGPT replicas added after start.*#60312.*1\.30\.1 or later/);
    expect(warningsOf(MeshMode.istioSidecar({ version: '1.30' }))).toMatch(/#60312/);
    expect(warningsOf(MeshMode.istioSidecar({ version: '1.31' }))).not.toMatch(/#60312/);
  });

  test('Istio ambient with an existing waypoint: routed through it, none emitted', () => {
    const objects = build(MeshMode.istioAmbient(), 2, { waypointName: 'ns-waypoint' });
    expect(find(objects, 'Service', 'chat').metadata.labels['istio.io/use-waypoint']).toBe('ns-waypoint');
    expect(kinds(objects)).not.toContain('Gateway');
    expect(crossObjectProblems(objects as any)).toEqual([
      'Service/ai/chat: label istio.io/use-waypoint names Gateway "ns-waypoint", which is neither emitted nor user-provided',
    ]);
    expect(crossObjectProblems(objects as any, { waypoints: ['ns-waypoint'] })).toEqual([]);
  });

  test.each([
    ['Linkerd sidecar', MeshMode.linkerdSidecar()],
    ['Linkerd sidecar without linkerd-cni', MeshMode.linkerdSidecar({ cni: false, mtls: MtlsMode.PERMISSIVE })],
    ['Linkerd native sidecar', MeshMode.linkerdNativeSidecar()],
  ])('%s: more than one h2oGPT replica is refused, saying why; one is fine', (_label, mesh) => {
    expect(errorOf((scope) => new H2oGptStack(scope, 'stack', { mesh, vllm: { model: 'm' }, h2ogpt: { replicas: 2 } })).message).toBe(
      'Invalid h2ogpt.replicas: 2. Under Linkerd, its proxies balance every request across replicas by latency, and only an ingress that picks pods itself '
      + '(which the stack does not set up) keeps a session on one (docs/mesh-facts.md §9), while Gradio keeps each session in one h2oGPT process: sessions would break. '
      + 'Use one h2oGPT replica (vLLM may still have several), or Istio or no mesh for several.');
    const objects = build(mesh, 1);
    expect(kinds(objects)).not.toContain('DestinationRule');
  });

  test('one replica needs no affinity in any mode', () => {
    for (const mesh of [MeshMode.none(), MeshMode.istioSidecar(), MeshMode.istioAmbient(), MeshMode.linkerdSidecar()]) {
      const objects = build(mesh, 1);
      expect(find(objects, 'Service', 'chat').spec.sessionAffinity).toBeUndefined();
      expect(kinds(objects).filter((k) => k === 'DestinationRule' || k === 'Gateway')).toEqual([]);
    }
  });

  test('a DestinationRule whose host names no Service is caught by the conformance check', () => {
    const objects = build(MeshMode.istioSidecar(), 2);
    const broken = objects.map((o) => (o.kind === 'DestinationRule' ? { ...o, spec: { ...o.spec, host: 'chat.other.svc.cluster.local' } } : o));
    expect(crossObjectProblems(broken as any)).toEqual(['DestinationRule/ai/chat: spec.host "chat.other.svc.cluster.local" names no emitted Service']);
  });

  test('waypointName is for Istio ambient only', () => {
    expect(errorOf((scope) => new H2oGptStack(scope, 'stack', { mesh: MeshMode.istioSidecar(), waypointName: 'w', vllm: { model: 'm' } })).message)
      .toMatch(/^Invalid waypointName: "w"\. Only Istio ambient routes through a waypoint; under Istio sidecar with istio-cni, mTLS strict leave it unset\./);
  });
});
