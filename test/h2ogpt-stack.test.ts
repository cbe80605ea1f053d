import { Chart } from 'cdk8s';
import { H2oGptStack, H2oGptStackProps, MeshMode, MtlsMode, SecretKeyReference, StartupStrategy, VllmEndpoint } from '../src/internal';
import { errorOf, find, Manifest, newChart, podSpec, synth } from './helpers';

const vllm = { model: 'Qwen/Qwen2.5-1.5B-Instruct' };

function build(props: Partial<H2oGptStackProps> = {}, id = 'stack'): { objects: Manifest[]; stack: H2oGptStack } {
  let stack!: H2oGptStack;
  const objects = synth((chart: Chart) => { stack = new H2oGptStack(chart, id, { vllm, ...props }); });
  return { objects, stack };
}

describe('H2oGptStack with no mesh', () => {
  test('composes vLLM and h2oGPT under one installation name', () => {
    const { objects, stack } = build({ name: 'chat' });
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'PersistentVolumeClaim/chat-vllm-model-cache', 'ServiceAccount/chat-vllm', 'Deployment/chat-vllm', 'Service/chat-vllm',
      'ServiceAccount/chat', 'ConfigMap/chat-startup-waiter', 'Deployment/chat', 'Service/chat',
      'NetworkPolicy/chat-vllm', 'NetworkPolicy/chat',
    ]);
    for (const o of objects) expect(o.metadata.labels['app.kubernetes.io/instance']).toBe('chat');
    expect(stack.mesh.name).toBe('none');
  });

  test('h2oGPT waits for vLLM with an init container by default', () => {
    const { objects, stack } = build({ name: 'chat' });
    expect(stack.startupStrategy).toBe(StartupStrategy.INIT_CONTAINER);
    expect(stack.startupReason).toMatch(/^auto: no mesh/);
    const pod = find(objects, 'Deployment', 'chat').spec.template;
    expect(pod.spec.initContainers.map((c: any) => c.name)).toEqual(['wait-for-vllm', 'prepare-workspace']);
    expect(pod.spec.initContainers[0].env[0]).toEqual({ name: 'WAIT_URL', value: 'http://chat-vllm:8000/health' });
    expect(pod.metadata.annotations).toMatchObject({
      'cdk8s-h2ogpt.io/startup-strategy': 'init-container',
      'cdk8s-h2ogpt.io/startup-reason': stack.startupReason,
    });
  });

  test('the waiter deadline defaults to the vLLM load budget plus 5 minutes', () => {
    const { objects } = build({ name: 'chat', vllm: { ...vllm, startupProbeBudgetSeconds: 3600 } });
    const init = podSpec(find(objects, 'Deployment', 'chat')).initContainers[0];
    expect(init.env.find((e: any) => e.name === 'WAIT_DEADLINE_SECONDS').value).toBe('3900');
  });

  test('selectors depend only on the name, never on construct ids', () => {
    const selectors = (objects: Manifest[]) => objects
      .filter((o) => o.kind === 'Deployment' || o.kind === 'Service')
      .map((o) => [o.kind, o.metadata.name, o.kind === 'Service' ? o.spec.selector : o.spec.selector.matchLabels]);
    const a = selectors(build({ name: 'chat' }, 'stack').objects);
    const b = selectors(build({ name: 'chat' }, 'renamed-construct-id').objects);
    expect(b).toEqual(a);
    for (const [, , selector] of a) {
      expect(Object.keys(selector as object).sort()).toEqual(['app.kubernetes.io/instance', 'app.kubernetes.io/name']);
    }
    expect(JSON.stringify(a)).not.toContain('cdk8s.io/metadata.addr');
  });

  test('no Secret value ever appears in the output', () => {
    // Values a careless implementation could pick up from the environment of `cdk8s synth`.
    const sentinels = { HF_TOKEN: 'hf_SENTINEL_token_value_123', VLLM_API_KEY: 'sk-SENTINEL-api-key-456' };
    const saved = { ...process.env };
    Object.assign(process.env, sentinels);
    try {
      const { objects } = build({
        name: 'chat',
        vllm: { ...vllm, huggingFaceToken: SecretKeyReference.fromSecret('hf', 'token'), apiKey: SecretKeyReference.fromSecret('vllm-auth', 'key') },
      });
      const text = JSON.stringify(objects);
      for (const value of Object.values(sentinels)) expect(text).not.toContain(value);
      expect(objects.some((o) => o.kind === 'Secret')).toBe(false);
      const secretEnv = objects.flatMap((o) => (o.spec?.template?.spec?.containers ?? []).flatMap((c: any) => c.env ?? []))
        .filter((e: any) => /TOKEN|KEY/.test(e.name));
      expect(secretEnv.length).toBe(3); // HF_TOKEN and VLLM_API_KEY on vLLM, VLLM_API_KEY on h2oGPT
      for (const e of secretEnv) {
        expect(e.value).toBeUndefined();
        expect(e.valueFrom.secretKeyRef).toBeDefined();
      }
    } finally {
      process.env = saved;
    }
  });

  test('namespace applies to every object and to the vLLM URL', () => {
    const { objects } = build({ name: 'chat', namespace: 'ai' });
    for (const o of objects) expect(o.metadata.namespace).toBe('ai');
    const init = podSpec(find(objects, 'Deployment', 'chat')).initContainers[0];
    expect(init.env[0].value).toBe('http://chat-vllm.ai.svc:8000/health');
  });

  test('a chart namespace is used when the stack has none', () => {
    const objects = synth((chart) => new H2oGptStack(chart, 'stack', { vllm }), 'team-a');
    for (const o of objects) expect(o.metadata.namespace).toBe('team-a');
    expect(podSpec(find(objects, 'Deployment', 'h2ogpt')).initContainers[0].env[0].value).toBe('http://h2ogpt-vllm.team-a.svc:8000/health');
  });

  test('no warning is printed for a safe choice', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const { app, chart } = newChart();
      new H2oGptStack(chart, 'stack', { vllm });
      app.synth();
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  test('the default h2oGPT image is a tag upstream has rebuilt: a warning says how to pin its digest; a digest or another image raises none', () => {
    const warningsOf = (props: Partial<H2oGptStackProps>) => {
      let built!: H2oGptStack;
      synth((chart) => { built = new H2oGptStack(chart, 'stack', { vllm, ...props }); });
      return built.warnings.filter((w) => w.startsWith('h2ogpt.image'));
    };
    expect(warningsOf({})).toEqual([expect.stringMatching(
      /^h2ogpt\.image is the tag gcr\.io\/vorvan\/h2oai\/h2ogpt-runtime:0\.2\.1, which upstream has rebuilt.*pin the digest you tested with h2ogpt\.image \(--h2ogpt-image\).*`crane digest gcr\.io\/vorvan\/h2oai\/h2ogpt-runtime:0\.2\.1`$/)]);
    expect(warningsOf({ h2ogpt: { image: `gcr.io/vorvan/h2oai/h2ogpt-runtime:0.2.1@sha256:${'a'.repeat(64)}` } })).toEqual([]);
    expect(warningsOf({ h2ogpt: { image: 'registry.example.com/h2ogpt:2025.01' } })).toEqual([]);
  });

  test('warns when a pod cannot meet Pod Security "restricted": mesh init without CNI, vLLM as root', () => {
    // With h2oGPT's image pinned by digest, so that only the Pod Security warnings are left.
    const h2ogpt = { image: `gcr.io/vorvan/h2oai/h2ogpt-runtime@sha256:${'d'.repeat(64)}` };
    const stack = (props: Partial<H2oGptStackProps>) => {
      let built!: H2oGptStack;
      synth((chart) => { built = new H2oGptStack(chart, 'stack', { vllm, h2ogpt, ...props }); });
      return built;
    };
    expect(stack({ namespace: 'ai', mesh: MeshMode.istioSidecar({ cni: true }) }).warnings).toEqual([]);
    expect(stack({ mesh: MeshMode.linkerdSidecar({ cni: false, mtls: MtlsMode.PERMISSIVE }) }).warnings).toContainEqual(
      expect.stringMatching(/without linkerd-cni, Linkerd injects linkerd-init, which needs NET_ADMIN and NET_RAW: .*"restricted" rejects both pods/));
    expect(stack({ vllm: { ...vllm, runAsRoot: true } }).warnings).toEqual([
      'vllm.runAsRoot: the vLLM pod runs as root with a writable root file system; it meets Pod Security "baseline", not "restricted"',
    ]);
  });

  test('every image prop accepts a digest where it accepts a tag', () => {
    const digest = (repo: string) => `${repo}@sha256:${'d'.repeat(64)}`;
    const { objects } = build({
      waiterImage: digest('busybox'),
      vllm: { ...vllm, image: digest('vllm/vllm-openai') },
      h2ogpt: { image: digest('gcr.io/vorvan/h2oai/h2ogpt-runtime') },
    });
    const images = objects.filter((o) => o.kind === 'Deployment').flatMap((d) => {
      const spec = podSpec(d);
      return [...(spec.initContainers ?? []), ...spec.containers].map((c: any) => c.image);
    });
    // The workspace's preparation runs h2oGPT's own image.
    expect(images.sort()).toEqual([digest('busybox'), digest('gcr.io/vorvan/h2oai/h2ogpt-runtime'), digest('gcr.io/vorvan/h2oai/h2ogpt-runtime'), digest('vllm/vllm-openai')]);
  });

  describe('refuses bad input with the nested field name', () => {
    test.each<[string, Partial<H2oGptStackProps>, RegExp]>([
      ['stack name', { name: 'Chat' }, /Invalid name: "Chat"\. Use a DNS-1123 label: at most 46 characters/],
      ['stack name starting with a digit (a Service name)', { name: '9chat' }, /Invalid name: "9chat"\. It names a Service, so it must be a DNS-1035 label/],
      ['long stack name: <name>-vllm-model-cache would pass 63', { name: 'a'.repeat(47) }, /Invalid name: "a{47}"/],
      ['namespace', { namespace: 'AI' }, /Invalid namespace: "AI"/],
      ['vLLM GPUs', { vllm: { ...vllm, gpus: 0 } }, /Invalid vllm\.gpus: 0\./],
      ['vLLM model', { vllm: { model: '' } }, /Invalid vllm\.model: ""\./],
      ['h2oGPT port', { h2ogpt: { uiPort: 0 } }, /Invalid h2ogpt\.uiPort: 0\./],
      ['waiter settings', { waiter: { attemptTimeoutSeconds: 0 } }, /Invalid waiter\.attemptTimeoutSeconds: 0\./],
      ['waiter image', { waiterImage: 'busybox' }, /Invalid waiterImage: "busybox"\. Pin the image/],
      ['Kubernetes version', { kubernetesVersion: '1.x' }, /Invalid kubernetesVersion: "1\.x"\. Use a Kubernetes version such as "1\.30"/],
    ])('%s', (_label, props, message) => {
      expect(errorOf((scope) => new H2oGptStack(scope, 'stack', { vllm, ...props })).message).toMatch(message);
    });
  });
});

describe('H2oGptStack on an existing vLLM server (vllmEndpoint)', () => {
  const endpoint = VllmEndpoint.fromUrl('http://models.ai.svc:8000', { servedModelName: 'qwen', startupBudgetSeconds: 600 });
  const onEndpoint = (props: Partial<H2oGptStackProps> = {}) => {
    let stack!: H2oGptStack;
    const objects = synth((chart: Chart) => { stack = new H2oGptStack(chart, 'stack', { name: 'chat', vllmEndpoint: endpoint, ...props }); });
    return { objects, stack };
  };

  test('writes h2oGPT and its wait for that server only, and says nothing fences it', () => {
    const { objects, stack } = onEndpoint({ mesh: MeshMode.istioSidecar() });
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ServiceAccount/chat', 'ConfigMap/chat-startup-waiter', 'Deployment/chat', 'Service/chat']);
    expect([stack.vllm, stack.vllmServers, stack.trafficPolicy, stack.vllmEndpoint]).toEqual([undefined, [], undefined, endpoint]);
    // Istio sidecars with CNI: AUTO waits in the app, after the proxy, on the endpoint's health URL.
    expect(stack.startupStrategy).toBe(StartupStrategy.IN_APP_WAIT);
    const h2ogpt = find(objects, 'Deployment', 'chat').spec.template.spec.containers[0];
    expect(h2ogpt.env).toEqual(expect.arrayContaining([{ name: 'WAIT_URL', value: 'http://models.ai.svc:8000/health' }]));
    expect(stack.warnings).toContain('vllmEndpoint: h2oGPT calls http://models.ai.svc:8000, which this stack does not deploy: it writes no NetworkPolicy or mesh policy, '
      + 'so fence that server, and h2oGPT\'s pods, where they are deployed');
  });

  test('a port exclusion names the endpoint\'s port', () => {
    const { objects } = onEndpoint({ mesh: MeshMode.istioSidecar({ cni: false, mtls: MtlsMode.PERMISSIVE }), startupStrategy: StartupStrategy.PORT_EXCLUSION });
    expect(find(objects, 'Deployment', 'chat').spec.template.metadata.annotations['traffic.sidecar.istio.io/excludeOutboundPorts']).toBe('8000');
  });

  test('refuses both upstreams, none, and what needs the stack\'s own vLLM pods, naming the key', () => {
    expect(errorOf((scope) => new H2oGptStack(scope, 's', { vllm, vllmEndpoint: endpoint })).message)
      .toBe('Invalid vllmEndpoint: "http://models.ai.svc:8000". Give vllm (a server the stack deploys) or vllmEndpoint (an existing one), not both.');
    expect(errorOf((scope) => new H2oGptStack(scope, 's', {})).message).toMatch(/^Invalid vllm: undefined\. Give vllm, e\.g\. .*, or vllmEndpoint, e\.g\. VllmEndpoint\.fromUrl/);
    for (const [key, props] of [
      ['additionalModels', { additionalModels: [{ id: 'coder', model: 'Qwen/Qwen2.5-Coder-1.5B-Instruct' }] }],
      ['monitoring', { monitoring: {} }],
      ['autoscaling.vllmMaxReplicas', { autoscaling: { vllmMaxReplicas: 2 } }],
      ['trafficPolicy', { trafficPolicy: { restrictEgress: true } }],
    ] as Array<[string, Partial<H2oGptStackProps>]>) {
      expect(errorOf((scope) => new H2oGptStack(scope, 's', { vllmEndpoint: endpoint, ...props })).message)
        .toMatch(new RegExp(`^Invalid ${key.replace('.', '\\.')}: .* needs the vLLM server the stack deploys, and vllmEndpoint \\(http://models\\.ai\\.svc:8000\\) is one it does not: leave ${key.replace('.', '\\.')} unset, or give vllm instead\\.$`));
    }
  });
});
