import { Chart } from 'cdk8s';
import {
  Dataplane, H2oGptStack, MeshMode, MtlsMode, StartupStrategy, Warnings,
} from '../src/internal';
import { allModeVariants } from '../src/startup/decision-table';
import { errorOf, find, Manifest, newChart, synth } from './helpers';

// The rules of issue #3, written out independently of src/startup/decide.ts so that the matrix
// checks the implementation rather than restating it.
type Outcome = 'ok' | 'deadlock' | 'plaintext' | 'nothing-to-bypass';
function expectedOutcome(mode: MeshMode, strategy: StartupStrategy): Outcome {
  const sidecar = mode.dataplane === Dataplane.SIDECAR;
  const strict = mode.mtls === MtlsMode.STRICT;
  switch (strategy) {
    case StartupStrategy.INIT_CONTAINER:
      if (!sidecar) return 'ok';
      if (mode.cni) return 'deadlock';
      return strict ? 'plaintext' : 'ok';
    case StartupStrategy.PROXY_UID_BYPASS:
    case StartupStrategy.PORT_EXCLUSION:
      // A native sidecar captures init containers too, so a bypass there makes the check
      // plaintext; ambient ignores both the UID and the sidecar port annotations.
      if (mode.dataplane === Dataplane.NATIVE_SIDECAR && strict) return 'plaintext';
      if (!sidecar) return 'nothing-to-bypass';
      return strict ? 'plaintext' : 'ok';
    default:
      return 'ok';
  }
}
const expectedAuto = (mode: MeshMode) => (mode.dataplane === Dataplane.SIDECAR ? StartupStrategy.IN_APP_WAIT : StartupStrategy.INIT_CONTAINER);
const REFUSAL_TEXT: Record<Exclude<Outcome, 'ok'>, RegExp> = {
  'deadlock': /it deadlocks: (istio|linkerd)-cni redirects it to (istio|linkerd)-proxy's port (15001|4140), where nothing listens until (istio|linkerd)-proxy starts after every init container has finished, so each connection is refused at once, and its retry loop never ends/,
  'plaintext': /plaintext outside the mesh \(.*\), and vLLM's STRICT mTLS rejects it/,
  'nothing-to-bypass': /only works around a classic sidecar's traffic capture; under .* there is nothing to work around/,
};

const PROXY_UID: Record<string, number> = { istio: 1337, linkerd: 2102 };
const modeLabel = (m: MeshMode) => `${m.name}${m.dataplane === Dataplane.SIDECAR ? (m.cni ? '+cni' : '-cni') : ''}/${m.mtls}`;
const cases = allModeVariants().flatMap((mode) => Object.values(StartupStrategy).map((strategy) => [modeLabel(mode), strategy, mode] as const));

function build(mesh: MeshMode, startupStrategy: StartupStrategy): { objects: Manifest[]; stack: H2oGptStack } {
  let stack!: H2oGptStack;
  const objects = synth((chart: Chart) => { stack = new H2oGptStack(chart, 'stack', { name: 'chat', mesh, startupStrategy, vllm: { model: 'm/m' } }); });
  return { objects, stack };
}

/** What a reviewer needs from one pair, without the waiter script's bytes. */
function reviewView(objects: Manifest[]) {
  return objects.filter((o) => o.kind === 'Deployment').map((d) => ({
    deployment: d.metadata.name,
    labels: d.spec.template.metadata.labels,
    // The script digest would churn every pair on any waiter edit; the waiter's own tests cover it.
    annotations: maskDigest(d.spec.template.metadata.annotations),
    initContainers: (d.spec.template.spec.initContainers ?? []).map((c: any) => ({ name: c.name, command: c.command, runAsUser: c.securityContext?.runAsUser })),
    containers: d.spec.template.spec.containers.map((c: any) => ({ name: c.name, command: c.command })),
  }));
}

describe('mesh mode x startup strategy', () => {
  test('the matrix covers every mode variant and strategy', () => {
    expect(allModeVariants().map(modeLabel)).toEqual([
      'none/permissive',
      'istio-sidecar+cni/strict', 'istio-sidecar-cni/strict', 'istio-sidecar+cni/permissive', 'istio-sidecar-cni/permissive',
      'istio-native-sidecar/strict', 'istio-native-sidecar/permissive', 'istio-ambient/strict', 'istio-ambient/permissive',
      'linkerd+cni/strict', 'linkerd-cni/strict', 'linkerd+cni/permissive', 'linkerd-cni/permissive',
      'linkerd-native-sidecar/strict', 'linkerd-native-sidecar/permissive',
    ]);
    expect(cases.length).toBe(15 * 6);
  });

  test.each(cases)('%s with %s', (_label, requested, mode) => {
    const strategy = requested === StartupStrategy.AUTO ? expectedAuto(mode) : requested;
    const outcome = expectedOutcome(mode, strategy);
    if (outcome !== 'ok') {
      const message = errorOf((scope) => new H2oGptStack(scope, 'stack', { mesh: mode, startupStrategy: requested, vllm: { model: 'm/m' } })).message;
      expect(message).toMatch(new RegExp(`^Startup strategy "${strategy}" is refused \\(${outcome === 'plaintext' ? 'plaintext-rejected' : outcome}\\) under ${escape(mode.describe())}: `));
      expect(message).toMatch(REFUSAL_TEXT[outcome]);
      expect(message).toMatch(/Safe alternatives under .*: .*in-app-wait/);
      return;
    }
    const { objects, stack } = build(mode, requested);
    expect(stack.startupStrategy).toBe(strategy);
    const front = find(objects, 'Deployment', 'chat').spec.template;
    const vllm = find(objects, 'Deployment', 'chat-vllm').spec.template;
    // The workspace's preparation comes last in every mode; the rest are the waiters.
    const allInits = front.spec.initContainers.map((c: any) => c.name);
    expect(allInits[allInits.length - 1]).toBe('prepare-workspace');
    const frontInits = allInits.slice(0, -1);
    const app = front.spec.containers[0];

    // Strategy and reason are written for reviewers.
    expect(front.metadata.annotations['cdk8s-h2ogpt.io/startup-strategy']).toBe(strategy);
    expect(front.metadata.annotations['cdk8s-h2ogpt.io/startup-reason']).toBe(stack.startupReason);
    expect(front.spec.containers.map((c: any) => c.name)).toEqual(['h2ogpt']);

    // Container order and the waiter.
    const waiterCommand = ['/bin/bash', '/opt/cdk8s-h2ogpt/wait-for-upstream.sh', 'python3', '/workspace/generate.py'];
    switch (strategy) {
      case StartupStrategy.IN_APP_WAIT:
        expect(frontInits).toEqual([]);
        expect(app.command).toEqual(waiterCommand);
        expect(app.env.find((e: any) => e.name === 'WAIT_URL').value).toBe('http://chat-vllm:8000/health');
        break;
      case StartupStrategy.NONE:
        expect(frontInits).toEqual([]);
        expect(app.command).toEqual(['python3', '/workspace/generate.py']);
        break;
      default:
        expect(frontInits).toEqual(['wait-for-vllm']);
        expect(app.command).toEqual(['python3', '/workspace/generate.py']);
        expect(front.spec.initContainers[0].securityContext.runAsUser)
          .toBe(strategy === StartupStrategy.PROXY_UID_BYPASS ? PROXY_UID[mode.mesh] : 65534);
    }
    expect(front.metadata.annotations['cdk8s-h2ogpt.io/network-init-containers']).toBe(frontInits.join(','));

    // What each mesh needs, on both pods.
    for (const pod of [front, vllm]) {
      const labels = pod.metadata.labels;
      const annotations = pod.metadata.annotations ?? {};
      const istio = mode.mesh === 'istio';
      const linkerd = mode.mesh === 'linkerd';
      const injected = mode.dataplane === Dataplane.SIDECAR || mode.dataplane === Dataplane.NATIVE_SIDECAR;
      expect(labels['sidecar.istio.io/inject']).toBe(istio && injected ? 'true' : undefined);
      expect(annotations['linkerd.io/inject']).toBe(linkerd && injected ? 'enabled' : undefined);
      expect(labels['istio.io/dataplane-mode']).toBe(mode.dataplane === Dataplane.AMBIENT ? 'ambient' : undefined);
      // The dataplane is explicit both ways: releases that default to native sidecars (Istio 1.28 on
      // Kubernetes 1.33, Linkerd 2.20) must not turn a classic mode native, nor an old one ignore the opt-in.
      const native = mode.dataplane === Dataplane.NATIVE_SIDECAR;
      const sidecar = mode.dataplane === Dataplane.SIDECAR;
      const explicit = native ? 'true' : sidecar ? 'false' : undefined;
      expect(annotations['sidecar.istio.io/nativeSidecar']).toBe(istio ? explicit : undefined);
      for (const stage of ['', 'beta.', 'alpha.']) {
        expect(annotations[`config.${stage}linkerd.io/proxy-enable-native-sidecar`]).toBe(linkerd ? explicit : undefined);
      }
      expect(annotations['proxy.istio.io/config']).toBe(istio && sidecar ? '{"holdApplicationUntilProxyStarts":true}' : undefined);
      expect(annotations['config.linkerd.io/proxy-await']).toBe(linkerd && sidecar ? 'enabled' : undefined);
      // Mesh metadata never leaks into selectors.
      expect(Object.keys(find(objects, 'Deployment', pod === front ? 'chat' : 'chat-vllm').spec.selector.matchLabels).sort())
        .toEqual(['app.kubernetes.io/instance', 'app.kubernetes.io/name']);
    }

    const exclusionKey = mode.mesh === 'istio' ? 'traffic.sidecar.istio.io/excludeOutboundPorts' : 'config.linkerd.io/skip-outbound-ports';
    expect(front.metadata.annotations[exclusionKey]).toBe(strategy === StartupStrategy.PORT_EXCLUSION ? '8000' : undefined);

    expect(reviewView(objects)).toMatchSnapshot();
  });

  test.each([
    ['istio-native-sidecar', MeshMode.istioNativeSidecar()],
    ['linkerd-native-sidecar', MeshMode.linkerdNativeSidecar()],
  ])('%s is refused below Kubernetes 1.29, for every strategy', (_name, mesh) => {
    for (const startupStrategy of Object.values(StartupStrategy)) {
      const message = errorOf((scope) => new H2oGptStack(scope, 'stack', { mesh, startupStrategy, kubernetesVersion: '1.28', vllm: { model: 'm' } })).message;
      expect(message).toMatch(/native sidecars need the SidecarContainers feature, on by default from Kubernetes 1\.29; the target is 1\.28/);
    }
    expect(() => build(mesh, StartupStrategy.AUTO)).not.toThrow();
    expect(() => synth((chart) => new H2oGptStack(chart, 's', { mesh, kubernetesVersion: 'v1.29.3', vllm: { model: 'm' } }))).not.toThrow();
  });

  test('the none strategy records the worst-case restart delay as a warning for the app to print', () => {
    const { app, chart } = newChart();
    const stack = new H2oGptStack(chart, 'stack', { namespace: 'ai', mesh: MeshMode.istioSidecar(), startupStrategy: StartupStrategy.NONE, vllm: { model: 'm' } });
    app.synth();
    const warnings = Warnings.of(app).filter((w) => !w.message.startsWith('h2ogpt.image is the tag'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].path).toBe('test/stack');
    expect(warnings[0].message).toMatch(/^startup strategy "none": .*0\.2\.1 image turns Ready at once and every chat fails until vLLM is up.*H2OGPT_FAIL_IF_INVALID_CLIENT=True.*they may start up to 300 s after vLLM is ready/);
    expect(stack.warnings.filter((w) => !w.startsWith('h2ogpt.image is the tag'))).toEqual([warnings[0].message]);
  });
});

function maskDigest(annotations?: Record<string, string>) {
  const key = 'cdk8s-h2ogpt.io/waiter-sha256';
  return annotations && key in annotations ? { ...annotations, [key]: '(digest)' } : annotations;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
