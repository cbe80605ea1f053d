import { Chart } from 'cdk8s';
import { H2oGpt, SecretKeyReference, VllmEndpoint, VllmServer } from '../src';
import { container, envOf, errorOf, find, synth } from './helpers';

describe('VllmEndpoint', () => {
  test('fromUrl parses host and port, with the health path and key', () => {
    const endpoint = VllmEndpoint.fromUrl('http://models.example.svc:8000', {
      servedModelName: 'qwen', healthPath: '/ready', apiKey: SecretKeyReference.fromSecret('models-key', 'key'), startupBudgetSeconds: 600,
    });
    expect(endpoint).toMatchObject({
      host: 'models.example.svc', port: 8000, url: 'http://models.example.svc:8000', healthUrl: 'http://models.example.svc:8000/ready',
      servedModelName: 'qwen', startupBudgetSeconds: 600,
    });
    expect(endpoint.apiKey?.secretName).toBe('models-key');
    // URL semantics: no port means 80; a trailing slash is fine; IPv4 works.
    expect(VllmEndpoint.fromUrl('http://10.0.0.7/', { servedModelName: 'm' })).toMatchObject({ host: '10.0.0.7', port: 80, healthUrl: 'http://10.0.0.7:80/health', startupBudgetSeconds: 1800 });
  });

  test.each([
    ['https://models.example.svc:8000', { servedModelName: 'm' }, /Invalid vllm\.url: "https:\/\/models\.example\.svc:8000"\. .*plain http:\/\//],
    ['models.example.svc:8000', { servedModelName: 'm' }, /Invalid vllm\.url: .*Use http:\/\/<host>\[:<port>\]/],
    ['http://models.example.svc:8000/v1', { servedModelName: 'm' }, /Invalid vllm\.url: .*no path/],
    ['http://Models.svc:8000', { servedModelName: 'm' }, /Invalid vllm\.url: .*lower-case DNS name/],
    ['http://models.svc:70000', { servedModelName: 'm' }, /Invalid vllm\.url: 70000\. .*from 1 to 65535 \(a port\)/],
    ['http://models.svc:8000', { servedModelName: ' ' }, /Invalid vllm\.servedModelName: " "\. .*\/v1\/models/],
    ['http://models.svc:8000', { servedModelName: 'm', healthPath: 'health' }, /Invalid vllm\.healthPath: "health"\. Use an absolute path/],
    ['http://models.svc:8000', { servedModelName: 'm', startupBudgetSeconds: 0 }, /Invalid vllm\.startupBudgetSeconds: 0\./],
    ['http://models.svc:8000', { servedModelName: 'm', apiKey: SecretKeyReference.fromSecret('k', '') }, /Invalid vllm\.apiKey\.key: ""/],
  ])('refuses %s %j', (url, options, message) => {
    expect(() => VllmEndpoint.fromUrl(url, options as any)).toThrow(message);
  });

  test('H2oGpt fronts a vLLM this app does not deploy: h2oGPT alone, wired to the URL and waiting on it', () => {
    let front!: H2oGpt;
    const objects = synth((chart: Chart) => {
      front = new H2oGpt(chart, 'chat', {
        vllm: VllmEndpoint.fromUrl('http://models.example.svc:8000', { servedModelName: 'qwen', apiKey: SecretKeyReference.fromSecret('models-key', 'key') }),
      });
    }, 'ai');
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ServiceAccount/h2ogpt', 'ConfigMap/h2ogpt-startup-waiter', 'Deployment/h2ogpt', 'Service/h2ogpt']);
    const deployment = find(objects, 'Deployment', 'h2ogpt');
    const env = envOf(container(deployment, 'h2ogpt'));
    expect(env.H2OGPT_INFERENCE_SERVER).toBe('vllm_chat:http://models.example.svc:8000:/v1:$(VLLM_API_KEY)');
    expect(env.H2OGPT_BASE_MODEL).toBe('qwen');
    const waiter = deployment.spec.template.spec.initContainers[0];
    expect(waiter.name).toBe('wait-for-vllm');
    expect(envOf(waiter).WAIT_URL).toBe('http://models.example.svc:8000/health');
    expect(envOf(waiter).WAIT_DEADLINE_SECONDS).toBe('2100'); // 1800 s budget + 300
    expect(front.url).toBe('http://h2ogpt.ai.svc:7860');
    expect(front.vllm.url).toBe('http://models.example.svc:8000');
  });

  test('H2oGpt.url follows the Service port, and has no namespace when none is known', () => {
    let front!: H2oGpt;
    synth((chart: Chart) => {
      const vllm = new VllmServer(chart, 'vllm', { name: 'llm', model: 'm' });
      front = new H2oGpt(chart, 'chat', { name: 'chat', vllm, uiPort: 80 });
    });
    expect(front.url).toBe('http://chat:80');
  });

  test('an object that is not an endpoint is refused, naming the two ways to pass one', () => {
    expect(errorOf((scope) => new H2oGpt(scope, 'chat', { vllm: { host: 'x' } as any })).message)
      .toMatch(/Invalid vllm: "\(incomplete endpoint\)"\. Pass the VllmServer .* or VllmEndpoint\.fromUrl/);
    expect(errorOf((scope) => new H2oGpt(scope, 'chat', { vllm: undefined as any })).message).toMatch(/Invalid vllm: undefined\./);
  });
});
