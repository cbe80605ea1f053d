import {
  analyzeObjects, CONCRETE_STRATEGIES, H2oGpt, H2oGptStack, H2oGptStackProps, Mesh, MeshMode, ModelCache, MtlsMode, profileOf, SecretKeyReference,
  StartupRefusedError, StartupStrategy, StartupWaitKind, Verdict, VllmServer,
} from '../src/internal';
import { meshPodMetadata } from '../src/mesh/pod-metadata';
import { startupWaitFor } from '../src/startup/decide';
import { allModeVariants } from '../src/startup/decision-table';
import { container, envOf, errorOf, find, Manifest, podSpec, synth, waitInitContainers } from './helpers';
import { crossObjectProblems, schemaProblems } from './support/conformance';

// Issue #14, more than one model: one h2oGPT in front of several vLLM servers, each with its own
// model, GPUs, cache and policy, in every mesh mode and startup strategy.

const CODER = { id: 'coder', model: 'Qwen/Qwen2.5-Coder-1.5B-Instruct', port: 8001, gpus: 2 };

function twoModels(props: Partial<H2oGptStackProps> = {}): { objects: Manifest[]; stack: H2oGptStack } {
  let stack: H2oGptStack | undefined;
  const objects = synth((chart) => {
    stack = new H2oGptStack(chart, 'stack', {
      name: 'chat', namespace: 'ai', vllm: { model: 'Qwen/Qwen2.5-1.5B-Instruct' }, additionalModels: [CODER], ...props,
    });
  });
  return { objects, stack: stack! };
}

const h2ogptPod = (objects: Manifest[]) => podSpec(find(objects, 'Deployment', 'chat'));
const h2ogptAnnotations = (objects: Manifest[]) => find(objects, 'Deployment', 'chat').spec.template.metadata.annotations;
const modelLock = (objects: Manifest[]) => JSON.parse(envOf(container(find(objects, 'Deployment', 'chat'), 'h2ogpt')).H2OGPT_MODEL_LOCK);

/** Every mode x strategy (AUTO included) that the decision table allows, with two models. */
function allowedTwoModelStacks(props: Partial<H2oGptStackProps> = {}): Array<{ label: string; mesh: MeshMode; objects: Manifest[]; stack: H2oGptStack }> {
  const cells: Array<{ label: string; mesh: MeshMode; objects: Manifest[]; stack: H2oGptStack }> = [];
  for (const mesh of allModeVariants()) {
    for (const startupStrategy of [StartupStrategy.AUTO, ...CONCRETE_STRATEGIES]) {
      try {
        cells.push({ label: `${mesh.describe()} / ${startupStrategy}`, mesh, ...twoModels({ mesh, startupStrategy, ...props }) });
      } catch (error) {
        if (!(error instanceof StartupRefusedError)) throw error;
      }
    }
  }
  return cells;
}

const CELLS = allowedTwoModelStacks({ monitoring: {}, trafficPolicy: { restrictEgress: true } });

describe('one stack, two vLLM servers', () => {
  const { objects, stack } = twoModels();

  test('each server has its own Deployment, Service, GPUs and cache, and a selector that picks only its own pods', () => {
    const first = find(objects, 'Deployment', 'chat-vllm');
    const coder = find(objects, 'Deployment', 'chat-vllm-coder');
    expect(first.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'vllm', 'app.kubernetes.io/instance': 'chat' });
    expect(coder.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'vllm', 'app.kubernetes.io/instance': 'chat-coder' });
    const selects = (selector: Record<string, string>, d: Manifest) => Object.entries(selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v);
    expect(selects(first.spec.selector.matchLabels, coder)).toBe(false);
    expect(selects(coder.spec.selector.matchLabels, first)).toBe(false);
    expect(String(container(coder, 'vllm').resources.limits['nvidia.com/gpu'])).toBe('2');
    expect(String(container(first, 'vllm').resources.limits['nvidia.com/gpu'])).toBe('1');
    expect(container(coder, 'vllm').args).toEqual(expect.arrayContaining(['--port', '8001', '--served-model-name', 'Qwen/Qwen2.5-Coder-1.5B-Instruct']));
    expect(podSpec(coder).volumes).toContainEqual(expect.objectContaining({ persistentVolumeClaim: { claimName: 'chat-vllm-coder-model-cache' } }));
    expect(find(objects, 'Service', 'chat-vllm-coder').spec.selector).toEqual(coder.spec.selector.matchLabels);
    expect(stack.vllmServers.map((s) => s.name)).toEqual(['chat-vllm', 'chat-vllm-coder']);
    expect(stack.additionalVllm.map((s) => s.url)).toEqual(['http://chat-vllm-coder.ai.svc:8001']);
  });

  test('h2oGPT lists both in its model_lock, in the exact form gen.py reads, and sets neither inference_server nor base_model beside it', () => {
    const env = envOf(container(find(objects, 'Deployment', 'chat'), 'h2ogpt'));
    expect(modelLock(objects)).toEqual([
      { inference_server: 'vllm_chat:chat-vllm.ai.svc:8000', base_model: 'Qwen/Qwen2.5-1.5B-Instruct' },
      { inference_server: 'vllm_chat:chat-vllm-coder.ai.svc:8001', base_model: 'Qwen/Qwen2.5-Coder-1.5B-Instruct' },
    ]);
    // gen.py asserts "Don't specify model_lock and inference_server" (and base_model).
    expect(env.H2OGPT_INFERENCE_SERVER).toBeUndefined();
    expect(env.H2OGPT_BASE_MODEL).toBeUndefined();
    expect(stack.h2ogpt.inferenceServers).toEqual(['vllm_chat:chat-vllm.ai.svc:8000', 'vllm_chat:chat-vllm-coder.ai.svc:8001']);
  });

  test('the reason says that h2oGPT waits for every server, on the stack and on the pod', () => {
    expect(stack.startupReason).toMatch(/^auto: no mesh: .*; it waits for each of its 2 vLLM servers in turn, since h2oGPT drops a model it cannot reach at start$/);
    expect(h2ogptAnnotations(objects)['cdk8s-h2ogpt.io/startup-reason']).toBe(stack.startupReason);
    expect(twoModels({ additionalModels: undefined }).stack.startupReason).not.toMatch(/vLLM servers/);
  });

  test('one model keeps the single-server settings, byte for byte', () => {
    const env = envOf(container(find(twoModels({ additionalModels: undefined }).objects, 'Deployment', 'chat'), 'h2ogpt'));
    expect(env.H2OGPT_MODEL_LOCK).toBeUndefined();
    expect(env.H2OGPT_INFERENCE_SERVER).toBe('vllm_chat:chat-vllm.ai.svc:8000');
  });

  test('each server\'s API key comes from its own Secret through $(VAR) expansion, defined before the model list, never as a value', () => {
    const { objects: keyed } = twoModels({
      vllm: { model: 'm', apiKey: SecretKeyReference.fromSecret('first-key', 'key') },
      additionalModels: [{ ...CODER, apiKey: SecretKeyReference.fromSecret('coder-key', 'token') }],
    });
    const app = container(find(keyed, 'Deployment', 'chat'), 'h2ogpt');
    const names = app.env.map((e: any) => e.name);
    expect(envOf(app).VLLM_API_KEY).toEqual({ secretKeyRef: { name: 'first-key', key: 'key' } });
    expect(envOf(app).VLLM_API_KEY_2).toEqual({ secretKeyRef: { name: 'coder-key', key: 'token' } });
    expect(names.indexOf('VLLM_API_KEY_2')).toBeLessThan(names.indexOf('H2OGPT_MODEL_LOCK'));
    expect(JSON.parse(envOf(app).H2OGPT_MODEL_LOCK).map((m: any) => m.inference_server)).toEqual([
      'vllm_chat:http://chat-vllm.ai.svc:8000:/v1:$(VLLM_API_KEY)', 'vllm_chat:http://chat-vllm-coder.ai.svc:8001:/v1:$(VLLM_API_KEY_2)',
    ]);
    // Only references: no key variable carries a value, and the list names the variables.
    expect(app.env.filter((e: any) => e.name.startsWith('VLLM_API_KEY')).map((e: any) => e.value)).toEqual([undefined, undefined]);
  });

  test('refusals name the field, the value and the fix', () => {
    const stackOf = (additionalModels: any[], name = 'chat') => errorOf((scope) => new H2oGptStack(scope, 's', { name, vllm: { model: 'm' }, additionalModels })).message;
    expect(stackOf([{ ...CODER }, { ...CODER, port: 8002 }])).toMatch(/^Invalid additionalModels\[1\]\.id: "coder"\. additionalModels\[0\] has that id already/);
    expect(stackOf([{ ...CODER, id: 'Coder' }])).toMatch(/^Invalid additionalModels\[0\]\.id: "Coder"\. Use a DNS-1123 label/);
    expect(stackOf([{ ...CODER, id: 'prometheus' }])).toMatch(/^Invalid additionalModels\[0\]\.id: "prometheus"\. "chat-vllm-prometheus" is already the name of one of the first vLLM server's policy objects/);
    expect(stackOf([{ ...CODER, id: 'coder-health', port: 8002 }, { ...CODER }])).toMatch(
      /^Invalid additionalModels\[0\]\.id: "coder-health"\. "chat-vllm-coder-health" is already the name of one of additionalModels\[1\]'s policy objects/);
    expect(stackOf([{ ...CODER, id: 'x'.repeat(42) }])).toMatch(/^Invalid additionalModels\[0\]\.id: "x{42}"\. .*use at most 41 characters, or a shorter stack name/);
    expect(stackOf([{ ...CODER, model: 'm' }])).toMatch(/^Invalid additionalModels\[0\]\.model: "m"\. vllm already serves that name, and h2oGPT tells models apart by it/);
    expect(stackOf([{ ...CODER, servedModelName: 'm' }])).toMatch(/^Invalid additionalModels\[0\]\.servedModelName: "m"\./);
    expect(stackOf([{ ...CODER, gpus: 0.5 }])).toMatch(/^Invalid additionalModels\[0\]\.gpus: 0\.5\./);
    expect(stackOf([{ ...CODER, id: undefined }])).toMatch(/^Invalid additionalModels\[0\]\.id: undefined\./);
  });

  test('h2oGPT on its own refuses the same server or model twice', () => {
    expect(errorOf((scope) => {
      const vllm = new VllmServer(scope, 'a', { name: 'a', model: 'm' });
      return new H2oGpt(scope, 'h', { vllm, additionalVllm: [new VllmServer(scope, 'b', { name: 'b', model: 'm' })] });
    }).message).toMatch(/^Invalid additionalVllm\[0\]\.servedModelName: "m"\. vllm already serves that name/);
    expect(errorOf((scope) => {
      const vllm = new VllmServer(scope, 'a', { name: 'a', model: 'm' });
      return new H2oGpt(scope, 'h', { vllm, additionalVllm: [{ ...vllm, servedModelName: 'other' } as any] });
    }).message).toMatch(/^Invalid additionalVllm\[0\]\.url: "http:\/\/a:8000"\. That server is already listed/);
  });
});

describe('for review: what a two-model stack renders, per Deployment', () => {
  // The script digest would churn on any waiter edit; the waiter's own tests cover the script.
  const view = (objects: Manifest[]) => objects.filter((o) => o.kind === 'Deployment').map((d) => {
    const { 'cdk8s-h2ogpt.io/waiter-sha256': _digest, ...annotations } = d.spec.template.metadata.annotations ?? {};
    return {
      deployment: d.metadata.name,
      selector: d.spec.selector.matchLabels,
      annotations,
      initContainers: (d.spec.template.spec.initContainers ?? []).map((c: any) => ({ name: c.name, runAsUser: c.securityContext?.runAsUser, waitUrl: envOf(c).WAIT_URL })),
      command: d.spec.template.spec.containers[0].command,
      modelLock: envOf(d.spec.template.spec.containers[0]).H2OGPT_MODEL_LOCK,
    };
  });
  test.each([
    ['no mesh, init container', MeshMode.none()],
    ['Istio sidecar with CNI, in-app chain', MeshMode.istioSidecar()],
    ['Linkerd native sidecar, init containers in the mesh', MeshMode.linkerdNativeSidecar()],
  ] as const)('%s', (_label, mesh) => {
    expect(view(twoModels({ mesh }).objects)).toMatchSnapshot();
  });
});

describe('the startup wait covers every server', () => {
  test('init-container strategies: one waiter per server, each on its own health URL, as the plan\'s UID, all declared as networked', () => {
    for (const [mesh, strategy, uid] of [
      [MeshMode.none(), StartupStrategy.AUTO, 65534],
      [MeshMode.istioSidecar({ cni: true, mtls: MtlsMode.PERMISSIVE }), StartupStrategy.PROXY_UID_BYPASS, 1337],
      [MeshMode.istioNativeSidecar(), StartupStrategy.AUTO, 65534],
    ] as const) {
      const { objects } = twoModels({ mesh, startupStrategy: strategy });
      const inits = waitInitContainers(h2ogptPod(objects));
      expect(inits.map((c: any) => c.name)).toEqual(['wait-for-vllm', 'wait-for-vllm-2']);
      expect(inits.map((c: any) => envOf(c).WAIT_URL)).toEqual(['http://chat-vllm.ai.svc:8000/health', 'http://chat-vllm-coder.ai.svc:8001/health']);
      expect(inits.map((c: any) => c.securityContext.runAsUser)).toEqual([uid, uid]);
      expect(h2ogptAnnotations(objects)['cdk8s-h2ogpt.io/network-init-containers']).toBe('wait-for-vllm,wait-for-vllm-2');
    }
  });

  test('in-app wait: a chain of waiters, the second given its own URL and deadline through env, the last exec\'ing generate.py; the startup probe outlasts both deadlines', () => {
    const { objects, stack } = twoModels({ mesh: MeshMode.istioSidecar(), vllm: { model: 'm', startupProbeBudgetSeconds: 600 }, additionalModels: [{ ...CODER, startupProbeBudgetSeconds: 1200 }] });
    const app = container(find(objects, 'Deployment', 'chat'), 'h2ogpt');
    expect(waitInitContainers(h2ogptPod(objects))).toEqual([]);
    expect(app.command).toEqual([
      '/bin/bash', '/opt/cdk8s-h2ogpt/wait-for-upstream.sh',
      'env', 'WAIT_URL=http://chat-vllm-coder.ai.svc:8001/health', 'WAIT_DEADLINE_SECONDS=1500', '/bin/bash', '/opt/cdk8s-h2ogpt/wait-for-upstream.sh',
      'python3', '/workspace/generate.py',
    ]);
    expect(envOf(app).WAIT_URL).toBe('http://chat-vllm.ai.svc:8000/health');
    expect(envOf(app).WAIT_DEADLINE_SECONDS).toBe('900');
    // 600 s of h2oGPT's own start plus 900 + 1500 s of waits, in 10 s probe periods.
    expect(stack.h2ogpt.startupBudgetSeconds).toBe(3000);
    expect(app.startupProbe.failureThreshold).toBe(300);
  });

  test('port exclusion excludes every server\'s port', () => {
    const { objects } = twoModels({ mesh: MeshMode.istioSidecar({ cni: false, mtls: MtlsMode.PERMISSIVE }), startupStrategy: StartupStrategy.PORT_EXCLUSION });
    expect(h2ogptAnnotations(objects)['traffic.sidecar.istio.io/excludeOutboundPorts']).toBe('8000,8001');
  });

  test('no wait: h2oGPT is told to fail on any unreachable model, so the kubelet restarts it until both are up', () => {
    const { objects } = twoModels({ startupStrategy: StartupStrategy.NONE });
    expect(envOf(container(find(objects, 'Deployment', 'chat'), 'h2ogpt')).H2OGPT_FAIL_IF_INVALID_CLIENT).toBe('True');
    expect(waitInitContainers(h2ogptPod(objects))).toEqual([]);
  });
});

describe('a two-model stack in every mode and strategy', () => {
  test('covers every mode', () => {
    expect(new Set(CELLS.map((c) => c.mesh.describe())).size).toBe(allModeVariants().length);
  });

  test.each(CELLS.map((c) => [c.label, c] as const))('%s: schema-valid, consistent, and its pods start by the analyzer', (_label, { objects, mesh, stack }) => {
    expect(objects.flatMap((o) => schemaProblems(o))).toEqual([]);
    expect(crossObjectProblems(objects)).toEqual([]);
    const report = analyzeObjects(objects.map((object) => ({ object, source: 'stack' })), mesh);
    // Without a wait h2oGPT restarts until both are up: slow, never stuck.
    const h2ogpt = stack.startupStrategy === StartupStrategy.NONE ? Verdict.SLOW : Verdict.OK;
    expect(report.failed).toBe(false);
    expect(report.pods.map((p) => `${p.name}:${p.verdict}`).sort()).toEqual(['chat-vllm-coder:ok', 'chat-vllm:ok', `chat:${h2ogpt}`]);
  });

  test.each(CELLS.map((c) => [c.label, c] as const))('%s: each server admits h2oGPT and Prometheus, and h2oGPT may reach both', (_label, { objects, mesh }) => {
    const h2ogptSelector = find(objects, 'Deployment', 'chat').spec.selector.matchLabels;
    for (const [name, port] of [['chat-vllm', 8000], ['chat-vllm-coder', 8001]] as const) {
      const selector = find(objects, 'Deployment', name).spec.selector.matchLabels;
      const policy = find(objects, 'NetworkPolicy', name);
      expect(policy.spec.podSelector.matchLabels).toEqual(selector);
      expect(policy.spec.ingress[0].from).toEqual([{ podSelector: { matchLabels: h2ogptSelector } }]);
      expect(policy.spec.ingress[0].ports[0]).toEqual({ port, protocol: 'TCP' });
      expect(find(objects, 'NetworkPolicy', 'chat').spec.egress).toContainEqual(expect.objectContaining({ to: [{ podSelector: { matchLabels: selector } }] }));
      expect(find(objects, 'PodMonitor', name).spec.selector.matchLabels).toEqual(selector);
      if (mesh.mesh === Mesh.ISTIO) {
        const rules = find(objects, 'AuthorizationPolicy', name).spec.rules;
        expect(rules[0]).toEqual({ from: [{ source: { principals: ['cluster.local/ns/ai/sa/chat'] } }], to: [{ operation: { ports: [String(port)] } }] });
        expect(find(objects, 'PeerAuthentication', name).spec.selector.matchLabels).toEqual(selector);
      }
      if (mesh.mesh === Mesh.LINKERD) {
        expect(find(objects, 'Server', name).spec.podSelector.matchLabels).toEqual(selector);
        expect(find(objects, 'MeshTLSAuthentication', `${name}-h2ogpt`).spec.identityRefs).toEqual([{ kind: 'ServiceAccount', name: 'chat' }]);
      }
    }
    // The client's own objects once.
    expect(objects.filter((o) => o.kind === 'PeerAuthentication' && o.metadata.name === 'chat')).toHaveLength(mesh.mesh === Mesh.ISTIO ? 1 : 0);
  });

  test.each(CELLS.map((c) => [c.label, c] as const))('%s: the wait, if any, covers both servers', (_label, { objects, stack }) => {
    const app = container(find(objects, 'Deployment', 'chat'), 'h2ogpt');
    // In the app's command only when it runs the waiter: the first URL from env, the others from the chain.
    const inApp = app.command[1] === '/opt/cdk8s-h2ogpt/wait-for-upstream.sh';
    const waited = [
      ...waitInitContainers(h2ogptPod(objects)).map((c: any) => envOf(c).WAIT_URL),
      ...(inApp ? [envOf(app).WAIT_URL, ...app.command.filter((a: string) => a.startsWith('WAIT_URL=')).map((a: string) => a.slice(9))] : []),
    ];
    const expected = stack.h2ogpt.startupWait.kind === StartupWaitKind.NONE ? [] : ['http://chat-vllm.ai.svc:8000/health', 'http://chat-vllm-coder.ai.svc:8001/health'];
    expect(waited).toEqual(expected);
  });
});

describe('the analyzer sees every waiter of a refused two-model pod', () => {
  test('under Istio with CNI, init-container waits on both servers deadlock, and both are named', () => {
    const mesh = MeshMode.istioSidecar({ cni: true });
    expect(() => twoModels({ mesh, startupStrategy: StartupStrategy.INIT_CONTAINER })).toThrow(StartupRefusedError);
    // The same pod rendered anyway, with the wait the rules judged.
    const startupWait = startupWaitFor(mesh, StartupStrategy.INIT_CONTAINER, 8000, [8001]);
    const metadata = meshPodMetadata(mesh);
    const objects = synth((chart) => {
      const vllm = new VllmServer(chart, 'vllm', { name: 'chat-vllm', model: 'm', podLabels: metadata.labels, podAnnotations: metadata.annotations });
      const coder = new VllmServer(chart, 'coder', { name: 'chat-vllm-coder', instance: 'chat-coder', model: 'c', port: 8001, podLabels: metadata.labels, podAnnotations: metadata.annotations });
      new H2oGpt(chart, 'h2ogpt', {
        name: 'chat', vllm, additionalVllm: [coder],
        startupWait,
        podLabels: metadata.labels, podAnnotations: metadata.annotations,
      });
    });
    const pod = analyzeObjects(objects.map((object) => ({ object, source: 'stack' })), mesh).pods.find((p) => p.name === 'chat')!;
    expect(pod.verdict).toBe(Verdict.DEADLOCK);
    expect(pod.initContainers.map((c) => `${c.name}:${c.verdict}`)).toEqual(['wait-for-vllm:deadlock', 'wait-for-vllm-2:deadlock', 'prepare-workspace:ok']);
  });

  test('a port exclusion that covers only the first server leaves the second waiter captured', () => {
    const mesh = MeshMode.istioSidecar({ cni: true, mtls: MtlsMode.PERMISSIVE });
    const { objects } = twoModels({ mesh, startupStrategy: StartupStrategy.PORT_EXCLUSION });
    const deployment = find(objects, 'Deployment', 'chat');
    deployment.spec.template.metadata.annotations[profileOf(mesh)!.excludeOutboundPortsAnnotation] = '8000';
    const pod = analyzeObjects(objects.map((object) => ({ object, source: 'stack' })), mesh).pods.find((p) => p.name === 'chat')!;
    expect(pod.initContainers.map((c) => `${c.name}:${c.verdict}`)).toEqual(['wait-for-vllm:ok', 'wait-for-vllm-2:deadlock', 'prepare-workspace:ok']);
  });
});

describe('monitoring and autoscaling per server', () => {
  test('a PodMonitor per server, one alert group per server with the Deployment in its labels, one dashboard split by model', () => {
    const { objects } = twoModels({ monitoring: {} });
    const groups = find(objects, 'PrometheusRule', 'chat').spec.groups;
    expect(groups.map((g: any) => g.name)).toEqual(['chat.rules', 'chat-vllm-coder.rules']);
    expect(groups[1].rules.map((r: any) => r.alert)).toEqual(['VllmDown', 'VllmNotReady', 'VllmRequestsWaiting', 'VllmKvCacheHigh', 'VllmTimeToFirstTokenHigh']);
    expect(groups[1].rules[0].expr).toBe('absent(vllm:num_requests_running{namespace="ai", pod=~"chat-vllm-coder-[a-z0-9]+-[a-z0-9]+"})');
    expect(groups[0].rules[0].expr).toBe('absent(vllm:num_requests_running{namespace="ai", pod=~"chat-vllm-[a-z0-9]+-[a-z0-9]+"})');
    // Same alert name, different labels: Alertmanager keeps them apart.
    expect(groups[0].rules[0].labels.deployment).toBe('chat-vllm');
    expect(groups[1].rules[0].labels.deployment).toBe('chat-vllm-coder');
    // The anchored pod pattern of one server never matches the other's pods.
    const pattern = (g: any) => new RegExp(`^${/pod=~"([^"]+)"/.exec(g.rules[0].expr)![1]}$`);
    expect(pattern(groups[0]).test('chat-vllm-coder-5d9f8c7b6-abcde')).toBe(false);
    expect(pattern(groups[0]).test('chat-vllm-5d9f8c7b6-abcde')).toBe(true);
    expect(pattern(groups[1]).test('chat-vllm-coder-5d9f8c7b6-abcde')).toBe(true);
    const dashboard = JSON.parse(Object.values(find(objects, 'ConfigMap', 'chat-dashboard').data)[0] as string);
    expect(dashboard.panels[0].targets[0].expr).toBe('sum by (model_name)(rate(vllm:generation_tokens_total{namespace="ai", pod=~"(chat-vllm|chat-vllm-coder)-[a-z0-9]+-[a-z0-9]+"}[5m]))');
  });

  test('each server scales on its own queue; the GPU budget counts every server', () => {
    const cache = ModelCache.ephemeral();
    const props = { monitoring: {}, vllm: { model: 'm', modelCache: cache }, additionalModels: [{ ...CODER, modelCache: cache }] };
    const { objects, stack } = twoModels({ ...props, autoscaling: { vllmMaxReplicas: 2, availableGpus: 6 } });
    expect(stack.autoscalers.map((a) => a.name)).toEqual(['chat-vllm', 'chat-vllm-coder']);
    const coder = find(objects, 'ScaledObject', 'chat-vllm-coder').spec;
    expect(coder.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'chat-vllm-coder' });
    expect(coder.triggers[0].metadata.query).toBe('sum(vllm:num_requests_waiting{namespace="ai", pod=~"chat-vllm-coder-[a-z0-9]+-[a-z0-9]+"})');
    expect(find(objects, 'Deployment', 'chat-vllm-coder').spec.replicas).toBeUndefined();
    // 2 replicas x (1 + 2) GPUs = 6 fit; 5 do not.
    expect(() => twoModels({ ...props, autoscaling: { vllmMaxReplicas: 2, availableGpus: 5 } })).toThrow(
      /^Invalid autoscaling\.vllmMaxReplicas: 2\. 2 replicas x 3 GPU\(s\) across the 2 vLLM servers \(1 \+ 2\) need 6 GPUs, more than availableGpus \(5\): use at most 1/);
    expect(() => twoModels({ monitoring: {}, vllm: { model: 'm', modelCache: cache }, additionalModels: [CODER], autoscaling: { vllmMaxReplicas: 2 } })).toThrow(
      /^Invalid autoscaling\.vllmMaxReplicas: 2\. New replicas land on other nodes, which cannot mount a ReadWriteOnce model-cache claim \(additionalModels\[0\]\.modelCache\)/);
    expect(() => twoModels({ ...props, additionalModels: [{ ...CODER, modelCache: cache, replicas: 2 }], autoscaling: { vllmMaxReplicas: 2 } })).toThrow(
      /^Invalid additionalModels\[0\]\.replicas: 2\. The autoscaler owns vLLM's replica count/);
  });
});
