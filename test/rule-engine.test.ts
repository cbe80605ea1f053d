import {
  analyzeObjects, CONCRETE_STRATEGIES, DEFAULT_KUBERNETES_VERSION, evaluateStrategy, MeshMode, MtlsMode, RefusalCode,
} from '../src/internal';
import { holdsAppUntilProxyReady, initContainerNetwork, podDataplane } from '../src/mesh/capture-rules';
import { Mesh } from '../src/mesh/mesh-profiles';
import { meshProfile } from '../src/mesh/meshes';
import { meshPodMetadata } from '../src/mesh/pod-metadata';
import { judgeInitContainerWait, parseKubernetesMinor, startupWaitFor } from '../src/startup/decide';
import { allModeVariants } from '../src/startup/decision-table';
import { renderCell } from './support/render';

// Issue #10: one rule engine. Synthesis refuses what the analyzer would block, for the same reason.

const context = { upstreamPort: 8000, kubernetesMinor: parseKubernetesMinor(DEFAULT_KUBERNETES_VERSION), upstreamStartupBudgetSeconds: 1800 };

/** The h2oGPT pod as the stack renders a strategy, refused ones included, through the analyzer. */
function renderAnyway(mesh: MeshMode, strategy: (typeof CONCRETE_STRATEGIES)[number]) {
  const { objects } = renderCell(mesh, strategy);
  return analyzeObjects(objects.map((object) => ({ object, source: 'rendered' })), mesh).pods.find((p) => p.name === 'chat')!;
}

describe('every cell of the decision table, refused ones rendered anyway', () => {
  const cells = allModeVariants().flatMap((mesh) => CONCRETE_STRATEGIES.map((strategy) => [mesh, strategy] as const));

  test.each(cells.map(([mesh, strategy]) => [mesh.describe(), strategy, mesh] as const))('%s / %s', (_label, strategy, mesh) => {
    const evaluation = evaluateStrategy(mesh, strategy, context);
    const pod = renderAnyway(mesh, strategy);
    const waiter = pod.initContainers.find((c) => c.name === 'wait-for-vllm');
    switch (evaluation.refusal) {
      case RefusalCode.DEADLOCK:
      case RefusalCode.PLAINTEXT_REJECTED: {
        // The analyzer blocks it, and both give the engine's reason.
        const judged = judgeInitContainerWait(mesh, startupWaitFor(mesh, strategy, 8000), 8000);
        expect(waiter!.verdict).toBe(evaluation.refusal === RefusalCode.DEADLOCK ? 'deadlock' : 'fails');
        expect(waiter!.reason).toContain(judged.why);
        expect(waiter!.reason).toContain(judged.outcome);
        expect(evaluation.reason).toContain(judged.why);
        expect(evaluation.reason).toContain(judged.outcome);
        break;
      }
      case RefusalCode.NOTHING_TO_BYPASS:
        // Policy, not a failure: the bypass would work, there is just nothing to bypass.
        expect(pod.verdict).not.toBe('deadlock');
        expect(pod.verdict).not.toBe('fails');
        break;
      case undefined:
        expect(evaluation.allowed).toBe(true);
        expect(['ok', 'slow']).toContain(pod.verdict);
        if (waiter) expect(waiter.verdict).toBe('ok');
        break;
      default:
        throw new Error(`unexpected refusal ${evaluation.refusal} at the default Kubernetes version`);
    }
  });

  test('the walk met every kind of outcome', () => {
    const refusals = new Set(cells.map(([mesh, strategy]) => evaluateStrategy(mesh, strategy, context).refusal));
    expect([...refusals].sort()).toEqual([undefined, RefusalCode.DEADLOCK, RefusalCode.NOTHING_TO_BYPASS, RefusalCode.PLAINTEXT_REJECTED].sort());
  });
});

describe('the engine reads every form of a setting', () => {
  const istio = meshProfile(Mesh.ISTIO)!;
  const linkerd = meshProfile(Mesh.LINKERD)!;

  test.each([
    ['JSON', '{"holdApplicationUntilProxyStarts":true}', true],
    ['JSON with spaces', '{ "holdApplicationUntilProxyStarts": true, "concurrency": 2 }', true],
    ['YAML', 'holdApplicationUntilProxyStarts: true', true],
    ['YAML among other fields', 'concurrency: 2\nholdApplicationUntilProxyStarts: true\n', true],
    ['YAML false', 'holdApplicationUntilProxyStarts: false', false],
    ['other fields only', 'concurrency: 2', false],
    ['not a document', '{{{', false],
  ])('Istio proxy config as %s', (_form, value, hold) => {
    expect(holdsAppUntilProxyReady(istio, { annotations: { 'proxy.istio.io/config': value } })).toBe(hold);
  });

  test('Linkerd holds by default unless proxy-await is disabled', () => {
    expect(holdsAppUntilProxyReady(linkerd, {})).toBe(true);
    expect(holdsAppUntilProxyReady(linkerd, { annotations: { 'config.linkerd.io/proxy-await': 'disabled' } })).toBe(false);
  });

  test('a YAML proxy config changes the analyzer\'s timeline like the JSON one', () => {
    const pod = (config: string) => ({
      object: {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', annotations: { 'proxy.istio.io/config': config } },
        spec: { containers: [{ name: 'app', image: 'x:1' }] },
      },
      source: 'test',
    });
    const note = (config: string) => analyzeObjects([pod(config)], MeshMode.istioSidecar()).pods[0].timeline.find((s) => s.role === 'proxy')!.note;
    expect(note('holdApplicationUntilProxyStarts: true')).toMatch(/app containers wait until it is ready/);
    expect(note('{"holdApplicationUntilProxyStarts": true}')).toMatch(/app containers wait until it is ready/);
    expect(note('{}')).toMatch(/no hold/);
  });
});

describe('capture escapes, as the meshes\' iptables rules have them', () => {
  const mode = MeshMode.istioSidecar({ mtls: MtlsMode.PERMISSIVE });
  const plane = podDataplane(mode, { metadata: meshPodMetadata(mode), spec: {} });
  const network = (exemption: object, annotations: Record<string, string> = {}) => initContainerNetwork(mode, plane, exemption, annotations);

  test('Istio exempts GID 1337 as well as UID 1337', () => {
    expect(network({ uid: 1000, gid: 1337, port: 8000 })).toEqual({ network: 'unmeshed', why: 'it runs with the proxy GID 1337, which capture skips' });
    expect(network({ uid: 1337, port: 8000 }).network).toBe('unmeshed');
    expect(network({ uid: 1000, gid: 1000, port: 8000 }).network).toBe('captured');
  });

  test('Linkerd exempts no GID by default', () => {
    const linkerd = MeshMode.linkerdSidecar({ mtls: MtlsMode.PERMISSIVE });
    const linkerdPlane = podDataplane(linkerd, { metadata: meshPodMetadata(linkerd), spec: {} });
    expect(initContainerNetwork(linkerd, linkerdPlane, { gid: 2102, port: 8000 }, {}).network).toBe('captured');
    expect(initContainerNetwork(linkerd, linkerdPlane, { uid: 2102, port: 8000 }, {}).network).toBe('unmeshed');
  });

  test('loopback destinations are never captured', () => {
    for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '::1']) expect(network({ host, port: 8000 }).network).toBe('unmeshed');
    expect(network({ host: 'vllm', port: 8000 }).network).toBe('captured');
  });

  test('Linkerd appends its network validator after the user\'s init containers; Istio puts its own first', () => {
    const pod = (name: string) => ({
      object: {
        apiVersion: 'v1', kind: 'Pod', metadata: { name },
        spec: { initContainers: [{ name: 'migrate', image: 'x:1', command: ['cp', '/a', '/b'] }], containers: [{ name: 'app', image: 'x:1' }] },
      },
      source: 'test',
    });
    const order = (mesh: MeshMode) => analyzeObjects([pod('p')], mesh).pods[0].timeline.map((s) => s.name);
    expect(order(MeshMode.linkerdSidecar())).toEqual(['migrate', 'linkerd-network-validator', 'linkerd-proxy', 'app']);
    expect(order(MeshMode.istioSidecar())).toEqual(['istio-validation', 'migrate', 'istio-proxy', 'app']);
  });
});

describe('the mesh release as an input', () => {
  const fixturePod = (annotations: Record<string, string> = {}) => [{
    object: {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', annotations },
      spec: {
        initContainers: [{ name: 'wait', image: 'x:1', command: ['sh', '-c', 'until wget -q -O- http://api:8080/; do sleep 1; done'] }],
        containers: [{ name: 'app', image: 'x:1' }],
      },
    },
    source: 'test',
  }];
  const waitOf = (mesh: MeshMode, annotations?: Record<string, string>) => {
    const pod = analyzeObjects(fixturePod(annotations), mesh).pods[0];
    // The release caveat is the pod's (reports print it once); read here beside the reason, as before issue #24.
    return { ...pod.initContainers[0], reason: `${pod.initContainers[0].reason}${pod.caveat ? ` (${pod.caveat})` : ''}` };
  };

  test('parsed from the forms releases are named by, and refused otherwise, naming the field', () => {
    expect(MeshMode.istioSidecar({ version: '1.28.1' }).version).toBe('1.28');
    expect(MeshMode.linkerdSidecar({ version: 'stable-2.14.10' }).version).toBe('2.14');
    expect(MeshMode.istioSidecar({ version: 'v1.24' }).describe()).toBe('Istio 1.24 sidecar with istio-cni, mTLS strict');
    expect(() => MeshMode.linkerdSidecar({ version: 'edge-24.11.8' })).toThrow(/Invalid version: "edge-24\.11\.8"\. Use the mesh release as major\.minor.*edge release/);
    expect(() => MeshMode.fromName('none', { version: '1.28' })).toThrow(/Invalid version: "1\.28"\. There is no mesh/);
  });

  test('unknown release, classic mode: the classic verdict, with what a native-by-default release would change', () => {
    const f = waitOf(MeshMode.linkerdSidecar());
    expect(f.verdict).toBe('deadlock');
    expect(f.reason).toMatch(/\(the mesh release is unknown: from Linkerd 2\.20 pods get native sidecars unless they opt out, and then this changes; give the mesh version to settle it\)$/);
  });

  test('a release before native-by-default: classic, no caveat; Linkerd 2.20: native unless the pod opts out', () => {
    expect(waitOf(MeshMode.linkerdSidecar({ version: '2.19' })).reason).not.toMatch(/mesh release/);
    expect(waitOf(MeshMode.linkerdSidecar({ version: '2.20' }))).toMatchObject({ verdict: 'ok', network: 'meshed' });
    expect(waitOf(MeshMode.linkerdSidecar({ version: '2.20' }), { 'config.linkerd.io/proxy-enable-native-sidecar': 'false' }).verdict).toBe('deadlock');
  });

  test.each(['1.27', '1.28'])('Istio %s goes native only when every kubelet is 1.33 or later, so the caveat stays and says that', (version) => {
    // ENABLE_NATIVE_SIDECARS defaults to "auto" from 1.27.0 (pilot/pkg/features/pilot.go at tag 1.27.0), not 1.28 (issue #23).
    expect(waitOf(MeshMode.istioSidecar({ version })).reason).toMatch(/\(Istio 1\.27 and later inject native sidecars when every kubelet is 1\.33 or later; if yours are, the pod gets one and this changes\)$/);
  });

  test('an excluded outbound CIDR lets a wait past Istio\'s capture, but Linkerd\'s skip-subnets exempts inbound sources only: still a deadlock (issue #23)', () => {
    // linkerd2-proxy-init: subnets to ignore are RETURNed in addIncomingTrafficRules only, by source address (docs/mesh-facts.md §2).
    const byIp = (annotations: Record<string, string>) => [{
      object: {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', annotations },
        spec: { initContainers: [{ name: 'wait', image: 'x:1', command: ['sh', '-c', 'until wget -q -O- http://10.0.0.5:8080/; do sleep 1; done'] }], containers: [{ name: 'app', image: 'x:1' }] },
      },
      source: 'test',
    }];
    const linkerd = analyzeObjects(byIp({ 'config.linkerd.io/skip-subnets': '10.0.0.0/8' }), MeshMode.linkerdSidecar({ version: '2.18' })).pods[0].initContainers[0];
    expect(linkerd.verdict).toBe('deadlock');
    const istio = analyzeObjects(byIp({ 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '10.0.0.0/8' }), MeshMode.istioSidecar({ version: '1.26' })).pods[0].initContainers[0];
    expect(istio.verdict).not.toBe('deadlock');
    expect(istio.reason).toMatch(/10\.0\.0\.5 is excluded from capture \(traffic\.sidecar\.istio\.io\/excludeOutboundIPRanges\)/);
  });

  test('Linkerd native sidecar with proxy-await off: no startupProbe, so an init container may start before the proxy listens (issue #23)', () => {
    // linkerd2 charts/partials/templates/_proxy.tpl: the native proxy's startupProbe comes with proxy-await only.
    const pod = (command: string, annotations: Record<string, string>) => [{
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', annotations }, spec: { initContainers: [{ name: 'call', image: 'x:1', command: ['sh', '-c', command] }], containers: [{ name: 'app', image: 'x:1' }] } },
      source: 'test',
    }];
    const once = 'wget -q -O- http://api:8080/';
    const loop = 'until wget -q -O- http://api:8080/; do sleep 1; done';
    const of = (command: string, annotations: Record<string, string>) => analyzeObjects(pod(command, annotations), MeshMode.linkerdNativeSidecar()).pods[0].initContainers[0];
    const off = { 'config.linkerd.io/proxy-await': 'disabled' };
    const early = /native sidecar: linkerd-proxy has started, but runs without a startupProbe \(config\.linkerd\.io\/proxy-await is off\), so it may not listen yet and the first connections can be refused/;
    // A retrying wait gets through once the proxy listens; a one-shot call restarts with back-off.
    expect(of(loop, off)).toMatchObject({ verdict: 'ok', reason: expect.stringMatching(early) });
    expect(of(once, off).verdict).toBe('slow');
    // With await on (Linkerd's default) the startupProbe holds the next init container until the proxy is ready.
    expect(of(loop, {}).reason).toMatch(/native sidecar: linkerd-proxy is already running/);
    expect(of(loop, {}).reason).not.toMatch(/startupProbe/);
  });

  test('Istio 1.26 never injects a native sidecar by default (ENABLE_NATIVE_SIDECARS=false): no caveat', () => {
    expect(waitOf(MeshMode.istioSidecar({ version: '1.26' })).reason).not.toMatch(/native sidecars/);
  });

  test('no caveat where the other dataplane gives the same verdict', () => {
    const f = waitOf(MeshMode.istioSidecar(), {});
    expect(f.reason).toMatch(/mesh release is unknown/);
    const bypass = analyzeObjects(fixturePod(), MeshMode.istioSidecar()).pods[0];
    expect(bypass).toBeDefined();
    const uid1337 = fixturePod();
    (uid1337[0].object.spec.initContainers[0] as any).securityContext = { runAsUser: 1337 };
    const plaintext = analyzeObjects(uid1337, MeshMode.istioSidecar()).pods[0].initContainers[0];
    expect(plaintext.verdict).toBe('fails');
    expect(plaintext.reason).not.toMatch(/mesh release/);
  });

  test('synthesis: a native mode on a release without the per-pod opt-in is refused; an unknown release says what it assumes', () => {
    const old = MeshMode.istioNativeSidecar({ version: '1.22' });
    for (const strategy of CONCRETE_STRATEGIES) {
      expect(evaluateStrategy(old, strategy, context)).toMatchObject({ allowed: false, refusal: RefusalCode.MESH_TOO_OLD });
    }
    expect(evaluateStrategy(old, CONCRETE_STRATEGIES[0], context).reason).toMatch(/Istio 1\.22 does not honour the per-pod native-sidecar opt-in \(from 1\.24\)/);
    expect(evaluateStrategy(MeshMode.linkerdNativeSidecar(), CONCRETE_STRATEGIES[0], context).reason).toMatch(/assumes Linkerd 2\.15 or later, which honours the per-pod opt-in/);
    expect(evaluateStrategy(MeshMode.linkerdNativeSidecar({ version: '2.15' }), CONCRETE_STRATEGIES[0], context).reason).not.toMatch(/assumes/);
  });
});
