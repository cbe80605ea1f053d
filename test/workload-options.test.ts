import { EnvironmentValue, H2oGptStack, H2oGptStackProps, MeshMode, SecretKeyReference, WorkloadOptions } from '../src';
import { container, errorOf, find, Manifest, podSpec, synth } from './helpers';
import { crossObjectProblems, schemaProblems } from './support/conformance';

// The platform props both workloads share (WorkloadOptions): each is asserted on the pod it
// renders, for vLLM and for h2oGPT alike, and the result passes the schemas.

const PLATFORM: WorkloadOptions = {
  env: {
    LOG_LEVEL: EnvironmentValue.fromValue('debug'),
    UPSTREAM_TOKEN: EnvironmentValue.fromSecret(SecretKeyReference.fromSecret('team-secrets', 'token')),
    REGION: EnvironmentValue.fromConfigMap('cluster-info', 'region'),
  },
  imagePullSecrets: ['registry-credentials'],
  serviceAccountName: 'team-identity',
  affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['ai'] }] }] } } },
  priorityClassName: 'high-priority',
  podLabels: { 'team.example.com/owner': 'ml' },
  podAnnotations: { 'team.example.com/runbook': 'https://runbooks.example.com/h2ogpt' },
};

function build(props: Partial<H2oGptStackProps>): Manifest[] {
  return synth((chart) => new H2oGptStack(chart, 'stack', { name: 'chat', ...props, vllm: { model: 'm', ...props.vllm } }), 'ai');
}

describe.each([
  ['vLLM', 'chat-vllm', 'vllm'],
  ['h2oGPT', 'chat', 'h2ogpt'],
])('platform props on %s', (_label, deploymentName, containerName) => {
  const propsFor = (options: WorkloadOptions): Partial<H2oGptStackProps> => (containerName === 'vllm'
    ? { vllm: { model: 'm', ...options } } : { h2ogpt: options });

  test('env (value, Secret and ConfigMap), pull secrets, an existing ServiceAccount, affinity, priority and pod metadata', () => {
    const objects = build(propsFor({ ...PLATFORM, serviceAccountName: `${deploymentName}-identity` }));
    const deployment = find(objects, 'Deployment', deploymentName);
    const pod = podSpec(deployment);
    const env = container(deployment, containerName).env;
    // The user's variables come after the construct's own, so $(VAR) expansion still sees those.
    expect(env.slice(-3)).toEqual([
      { name: 'LOG_LEVEL', value: 'debug' },
      { name: 'UPSTREAM_TOKEN', valueFrom: { secretKeyRef: { name: 'team-secrets', key: 'token' } } },
      { name: 'REGION', valueFrom: { configMapKeyRef: { name: 'cluster-info', key: 'region' } } },
    ]);
    expect(pod.imagePullSecrets).toEqual([{ name: 'registry-credentials' }]);
    expect(pod.serviceAccountName).toBe(`${deploymentName}-identity`);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(objects.some((o) => o.kind === 'ServiceAccount' && o.metadata.name === deploymentName)).toBe(false);
    expect(pod.affinity).toEqual(PLATFORM.affinity);
    expect(pod.priorityClassName).toBe('high-priority');
    expect(deployment.spec.template.metadata.labels['team.example.com/owner']).toBe('ml');
    expect(deployment.spec.template.metadata.annotations['team.example.com/runbook']).toBe('https://runbooks.example.com/h2ogpt');
    // Selectors stay the stable app.kubernetes.io pair.
    expect(Object.keys(deployment.spec.selector.matchLabels).sort()).toEqual(['app.kubernetes.io/instance', 'app.kubernetes.io/name']);
    expect(objects.flatMap(schemaProblems)).toEqual([]);
    expect(crossObjectProblems(objects as any, {
      secrets: ['team-secrets'], configMaps: ['cluster-info'], serviceAccounts: [`${deploymentName}-identity`],
    })).toEqual([]);
  });

  test('by default: the workload\'s own ServiceAccount, and no pull secrets, affinity or priority', () => {
    const pod = podSpec(find(build({}), 'Deployment', deploymentName));
    expect(pod.serviceAccountName).toBe(deploymentName);
    expect(pod.imagePullSecrets).toBeUndefined();
    expect(pod.affinity).toBeUndefined();
    expect(pod.priorityClassName).toBeUndefined();
  });

  test.each([
    [{ env: { [containerName === 'vllm' ? 'HOME' : 'GRADIO_TEMP_DIR']: EnvironmentValue.fromValue('/x') } }, /env\["(HOME|GRADIO_TEMP_DIR)"\]: "\1"\. The construct sets \1 itself/],
    [{ env: { '9LIVES': EnvironmentValue.fromValue('x') } }, /env\["9LIVES"\]: "9LIVES"\. Names are environment variable names/],
    [{ env: { X: 'plain' as any } }, /env\["X"\]: "string"\. Use EnvironmentValue\.fromValue/],
    [{ env: { X: EnvironmentValue.fromConfigMap('Bad_Name', 'k') } }, /env\["X"\]\.configMapName: "Bad_Name"/],
    [{ env: { X: EnvironmentValue.fromSecret(SecretKeyReference.fromSecret('s', '')) } }, /env\["X"\]\.key: ""/],
    [{ imagePullSecrets: ['UPPER'] }, /imagePullSecrets\[0\]: "UPPER"\. Use a DNS-1123 subdomain/],
    [{ imagePullSecrets: 'one' as any }, /imagePullSecrets: "one"\. Give a list of Secret names/],
    [{ serviceAccountName: 'Not Valid' }, /serviceAccountName: "Not Valid"\. Use a DNS-1123 subdomain/],
    [{ priorityClassName: '' }, /priorityClassName: ""\. Use a DNS-1123 subdomain/],
    [{ affinity: [] as any }, /affinity: \[\]\. Give a Kubernetes Affinity/],
  ])('refuses %j, naming the field', (options, message) => {
    const error = errorOf((scope) => new H2oGptStack(scope, 'stack', { name: 'chat', ...propsFor(options as WorkloadOptions), vllm: { model: 'm', ...(containerName === 'vllm' ? options : {}) } as any }));
    expect(error.message).toMatch(new RegExp(`^Invalid ${containerName}\\.`));
    expect(error.message).toMatch(message);
  });

  test('a literal value for a credential-like name is refused without echoing it', () => {
    const error = errorOf((scope) => new H2oGptStack(scope, 'stack', { name: 'chat', ...propsFor({ env: { SERVICE_API_KEY: EnvironmentValue.fromValue('hunter2-secret') } }), vllm: { model: 'm', ...(containerName === 'vllm' ? { env: { SERVICE_API_KEY: EnvironmentValue.fromValue('hunter2-secret') } } : {}) } }));
    expect(error.message).toMatch(new RegExp(`^Invalid ${containerName}\\.env\\["SERVICE_API_KEY"\\]: \\(value hidden\\)\\. .*EnvironmentValue\\.fromSecret`));
    expect(error.message).not.toContain('hunter2-secret');
  });
});

test('h2oGPT refuses env names the construct derives from its props, like settings do', () => {
  expect(errorOf((scope) => new H2oGptStack(scope, 'stack', { vllm: { model: 'm' }, h2ogpt: { env: { H2OGPT_INFERENCE_SERVER: EnvironmentValue.fromValue('x') } } })).message)
    .toMatch(/^Invalid h2ogpt\.env\["H2OGPT_INFERENCE_SERVER"\]: "H2OGPT_INFERENCE_SERVER"\. The construct sets H2OGPT_INFERENCE_SERVER itself/);
});

test('h2oGPT env follows the settings rules: an ENFORCE_ switch is no credential; a derived name stays refused with its prop off', () => {
  const objects = build({ h2ogpt: { env: { H2OGPT_ENFORCE_H2OGPT_API_KEY: EnvironmentValue.fromValue('True') } } });
  expect(container(find(objects, 'Deployment', 'chat'), 'h2ogpt').env).toContainEqual({ name: 'H2OGPT_ENFORCE_H2OGPT_API_KEY', value: 'True' });
  expect(errorOf((scope) => new H2oGptStack(scope, 'stack', { vllm: { model: 'm' }, h2ogpt: { env: { H2OGPT_OPENAI_PORT: EnvironmentValue.fromValue('5001') } } })).message)
    .toMatch(/^Invalid h2ogpt\.env\["H2OGPT_OPENAI_PORT"\]: "H2OGPT_OPENAI_PORT"\. The construct sets H2OGPT_OPENAI_PORT itself/);
  // H2OGPT_AUTH is set by the authentication prop: refused as the construct's own, the value unechoed.
  const auth = errorOf((scope) => new H2oGptStack(scope, 'stack', { vllm: { model: 'm' }, h2ogpt: { env: { H2OGPT_AUTH: EnvironmentValue.fromValue('alice:hunter2') } } }));
  expect(auth.message).toMatch(/^Invalid h2ogpt\.env\["H2OGPT_AUTH"\]: "H2OGPT_AUTH"\. The construct sets H2OGPT_AUTH itself/);
  expect(auth.message).not.toContain('hunter2');
  for (const name of ['AUTH', 'DB_PASSWORD']) {
    const error = errorOf((scope) => new H2oGptStack(scope, 'stack', { vllm: { model: 'm' }, h2ogpt: { env: { [name]: EnvironmentValue.fromValue('alice:hunter2') } } }));
    expect(error.message).toMatch(new RegExp(`^Invalid h2ogpt\\.env\\["${name}"\\]: \\(value hidden\\)\\.`));
    expect(error.message).not.toContain('hunter2');
  }
});

test('under Istio, the mesh policy admits h2oGPT by the existing ServiceAccount it runs as', () => {
  const objects = build({ mesh: MeshMode.istioSidecar(), h2ogpt: { serviceAccountName: 'chat-frontend' } });
  const policy = objects.find((o) => o.kind === 'AuthorizationPolicy')!;
  expect(JSON.stringify(policy.spec)).toContain('ns/ai/sa/chat-frontend');
  expect(JSON.stringify(policy.spec)).not.toContain('sa/chat"');
});

/**
 * What a container sees of a command, args or env value, as Kubernetes expands it
 * (kubernetes/kubernetes third_party/forked/golang/expansion/expand.go, as the API reference for
 * Container.args and EnvVar.value describes it): `$(NAME)` of a variable defined earlier becomes its
 * value, `$$` becomes `$`, anything else stays.
 */
function expandAsKubernetes(text: string, env: Record<string, string>): string {
  return text.replace(/\$(\$|\(([A-Za-z_][A-Za-z0-9_]*)\))/g, (whole, next, name) => (next === '$' ? '$' : name in env ? env[name] : whole));
}

test('user strings reach the containers as written: a $(VAR) in them is never expanded into a secret (issue #23)', () => {
  const hostile = '$(VLLM_API_KEY) and $$ cost $5';
  const objects = synth((chart) => new H2oGptStack(chart, 'stack', {
    name: 'chat',
    vllm: { model: 'Qwen/Qwen2.5-1.5B-Instruct', servedModelName: hostile, extraArgs: [`--chat-template=${hostile}`], apiKey: SecretKeyReference.fromSecret('k', 'key') },
    h2ogpt: { settings: { H2OGPT_PROMPT_TYPE: hostile }, env: { NOTE: EnvironmentValue.fromValue(hostile) } },
  }));
  const secretValues = { VLLM_API_KEY: 'the-secret-key' };
  const vllm = container(find(objects, 'Deployment', 'chat-vllm'), 'vllm');
  const args = vllm.args.map((a: string) => expandAsKubernetes(a, secretValues));
  expect(args[args.indexOf('--served-model-name') + 1]).toBe(hostile);
  expect(args).toContain(`--chat-template=${hostile}`);
  const front = container(find(objects, 'Deployment', 'chat'), 'h2ogpt');
  const env = Object.fromEntries(front.env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, expandAsKubernetes(e.value, secretValues)]));
  expect(env).toMatchObject({ H2OGPT_BASE_MODEL: hostile, H2OGPT_PROMPT_TYPE: hostile, NOTE: hostile });
  // The stack's own reference still expands: the key reaches h2oGPT where it belongs.
  expect(env.H2OGPT_INFERENCE_SERVER).toContain(':the-secret-key');
  expect(JSON.stringify(objects)).not.toContain('the-secret-key');
});
