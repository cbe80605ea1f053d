import { App, Chart } from 'cdk8s';
import { ModelCache, ModelCacheAccessMode, SecretKeyReference, VllmServer, VllmServerProps, Warnings } from '../src/internal';
import { container, envOf, errorOf, find, podSpec, synth } from './helpers';

const base: VllmServerProps = { name: 'llm', model: 'Qwen/Qwen2.5-1.5B-Instruct' };

function build(props: Partial<VllmServerProps> = {}, namespace?: string) {
  let server!: VllmServer;
  const objects = synth((chart) => { server = new VllmServer(chart, 'vllm', { ...base, ...props }); }, namespace);
  const deployment = find(objects, 'Deployment', 'llm');
  return { objects, server, deployment, vllm: container(deployment, 'vllm') };
}

describe('VllmServer', () => {
  test('renders a Deployment, a ClusterIP Service and a model-cache claim', () => {
    const { objects } = build();
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'PersistentVolumeClaim/llm-model-cache', 'ServiceAccount/llm', 'Deployment/llm', 'Service/llm',
    ]);
    const service = find(objects, 'Service', 'llm');
    expect(service.spec.type).toBe('ClusterIP');
    expect(service.spec.ports).toEqual([{ name: 'http', port: 8000, targetPort: 'http', protocol: 'TCP', appProtocol: 'http' }]);
    expect(objects).toMatchSnapshot();
  });

  test('GPU count is a numeric nvidia.com/gpu limit, not a dropped string', () => {
    expect(build().vllm.resources.limits['nvidia.com/gpu']).toBe(1);
    const { vllm } = build({ gpus: 4 });
    expect(vllm.resources.limits['nvidia.com/gpu']).toBe(4);
    expect(vllm.args.join(' ')).toContain('--tensor-parallel-size 4');
  });

  test('tensor parallelism defaults to the GPU count and may be lower', () => {
    expect(build({ gpus: 2 }).vllm.args.join(' ')).toContain('--tensor-parallel-size 2');
    expect(build({ gpus: 4, tensorParallelSize: 2 }).vllm.args.join(' ')).toContain('--tensor-parallel-size 2');
  });

  test('renders model, served name, port, utilization, max length, download dir and extra args in order', () => {
    const { vllm } = build({ servedModelName: 'qwen', maxModelLen: 4096, gpuMemoryUtilization: 0.85, extraArgs: ['--enable-prefix-caching'] });
    expect(vllm.args).toEqual([
      '--model', 'Qwen/Qwen2.5-1.5B-Instruct', '--served-model-name', 'qwen', '--port', '8000',
      '--tensor-parallel-size', '1', '--gpu-memory-utilization', '0.85', '--download-dir', '/models',
      '--max-model-len', '4096', '--enable-prefix-caching',
    ]);
  });

  test('mounts a memory-backed /dev/shm of the requested size', () => {
    const { deployment, vllm } = build({ shmSize: '16Gi' });
    expect(vllm.volumeMounts).toContainEqual({ name: 'dshm', mountPath: '/dev/shm' });
    expect(podSpec(deployment).volumes).toContainEqual({ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: '16Gi' } });
  });

  test('startup probe on /health covers the load budget; readiness and liveness probe /health', () => {
    const { vllm } = build();
    expect(vllm.startupProbe).toEqual({ httpGet: { path: '/health', port: 'http' }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 180 });
    expect(vllm.startupProbe.periodSeconds * vllm.startupProbe.failureThreshold).toBeGreaterThanOrEqual(1800);
    expect(vllm.readinessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(vllm.livenessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    const custom = build({ startupProbeBudgetSeconds: 3605 }).vllm.startupProbe;
    expect(custom.failureThreshold).toBe(361);
  });

  test('sets resources deliberately, never the cdk8s-plus defaults', () => {
    const { vllm } = build();
    expect(vllm.resources).toEqual({ requests: { cpu: '4', memory: '24Gi' }, limits: { 'memory': '32Gi', 'nvidia.com/gpu': 1 } });
    const custom = build({ cpuRequest: '8', cpuLimit: '16', memoryRequest: '64Gi', memoryLimit: '96Gi' }).vllm;
    expect(custom.resources).toEqual({ requests: { cpu: '8', memory: '64Gi' }, limits: { 'cpu': '16', 'memory': '96Gi', 'nvidia.com/gpu': 1 } });
    expect(custom.imagePullPolicy).toBe('IfNotPresent');
  });

  test('tolerates the nvidia.com/gpu taint by default and takes a node selector', () => {
    const spec = podSpec(build({ nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-L4' } }).deployment);
    expect(spec.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(spec.nodeSelector).toEqual({ 'nvidia.com/gpu.product': 'NVIDIA-L4' });
  });

  test('token and API key come from Secret references, never as values', () => {
    const { vllm } = build({
      huggingFaceToken: SecretKeyReference.fromSecret('hf', 'token'),
      apiKey: SecretKeyReference.fromSecret('vllm-auth', 'api-key'),
    });
    const env = envOf(vllm);
    expect(env.HF_TOKEN).toEqual({ secretKeyRef: { name: 'hf', key: 'token' } });
    expect(env.VLLM_API_KEY).toEqual({ secretKeyRef: { name: 'vllm-auth', key: 'api-key' } });
    expect(vllm.args).not.toContain('--api-key');
  });

  test('model cache: new claim with storage class, existing claim, or emptyDir', () => {
    const created = build({ modelCache: ModelCache.newClaim({ size: '500Gi', storageClassName: 'fast-ssd' }) });
    expect(find(created.objects, 'PersistentVolumeClaim', 'llm-model-cache').spec).toEqual({
      accessModes: ['ReadWriteOnce'], storageClassName: 'fast-ssd', resources: { requests: { storage: '500Gi' } },
    });
    expect(created.deployment.spec.strategy).toEqual({ type: 'Recreate' });

    const existing = build({ modelCache: ModelCache.existingClaim('weights') });
    expect(existing.objects.some((o) => o.kind === 'PersistentVolumeClaim')).toBe(false);
    expect(podSpec(existing.deployment).volumes).toContainEqual({ name: 'model-cache', persistentVolumeClaim: { claimName: 'weights' } });
    expect(existing.deployment.spec.strategy.type).toBe('RollingUpdate');

    const ephemeral = build({ modelCache: ModelCache.ephemeral({ sizeLimit: '20Gi' }) });
    expect(podSpec(ephemeral.deployment).volumes).toContainEqual({ name: 'model-cache', emptyDir: { sizeLimit: '20Gi' } });
  });

  test('exposes host, URL and health URL, namespace-qualified when known', () => {
    expect(build().server.healthUrl).toBe('http://llm:8000/health');
    const { server } = build({ port: 9000 }, 'ai');
    expect(server.host).toBe('llm.ai.svc');
    expect(server.url).toBe('http://llm.ai.svc:9000');
  });

  test('selector uses only stable app.kubernetes.io labels', () => {
    const { deployment, objects } = build();
    expect(deployment.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'vllm', 'app.kubernetes.io/instance': 'llm' });
    expect(find(objects, 'Service', 'llm').spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(deployment.spec.template.metadata.labels).toMatchObject({
      'app.kubernetes.io/component': 'inference-server', 'app.kubernetes.io/part-of': 'h2ogpt', 'app.kubernetes.io/managed-by': 'cdk8s-h2ogpt',
    });
  });

  describe('least privilege', () => {
    test('its own ServiceAccount, no API token, non-root UID/GID 1000, default seccomp, fsGroup for the cache', () => {
      const { objects, deployment } = build();
      expect(find(objects, 'ServiceAccount', 'llm').automountServiceAccountToken).toBe(false);
      const spec = podSpec(deployment);
      expect(spec.serviceAccountName).toBe('llm');
      expect(spec.automountServiceAccountToken).toBe(false);
      expect(spec.securityContext).toEqual({
        runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, fsGroupChangePolicy: 'OnRootMismatch',
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(podSpec(build({ runAsUser: 20000, runAsGroup: 30000 }).deployment).securityContext)
        .toMatchObject({ runAsUser: 20000, runAsGroup: 30000, fsGroup: 30000 });
    });

    test('a read-only root with every written path mounted: HOME and caches, /tmp, /dev/shm, the model cache', () => {
      const { deployment, vllm } = build();
      expect(vllm.securityContext).toEqual({ runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true });
      expect(vllm.volumeMounts.map((m: any) => m.mountPath)).toEqual(['/models', '/dev/shm', '/home/vllm', '/tmp']);
      const volumes = Object.fromEntries(podSpec(deployment).volumes.map((v: any) => [v.name, v]));
      expect(volumes.home.emptyDir).toEqual({ sizeLimit: '20Gi' });
      expect(volumes.tmp.emptyDir).toEqual({ sizeLimit: '10Gi' });
      const env = envOf(vllm);
      expect(env).toMatchObject({ HOME: '/home/vllm', USER: 'vllm', HF_HOME: '/models/huggingface', TMPDIR: '/tmp' });
      // Every cache directory vLLM and its libraries use lies on a writable mount.
      for (const name of ['XDG_CACHE_HOME', 'XDG_CONFIG_HOME', 'VLLM_CACHE_ROOT', 'VLLM_CONFIG_ROOT', 'TORCH_HOME', 'TORCHINDUCTOR_CACHE_DIR', 'TRITON_CACHE_DIR', 'NUMBA_CACHE_DIR']) {
        expect(env[name]).toMatch(/^\/home\/vllm\//);
      }
    });

    test('runAsRoot is an explicit opt-out: root, writable root file system, still no escalation or capabilities', () => {
      const { deployment, vllm, server } = build({ runAsRoot: true });
      expect(server.runsAsRoot).toBe(true);
      expect(podSpec(deployment).securityContext).toEqual({ runAsNonRoot: false, runAsUser: 0, runAsGroup: 0, seccompProfile: { type: 'RuntimeDefault' } });
      expect(vllm.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: false });
    });

    test('usage statistics are off unless asked for; offline sets HF_HUB_OFFLINE', () => {
      const env = envOf(build().vllm);
      expect(env).toMatchObject({ VLLM_NO_USAGE_STATS: '1', DO_NOT_TRACK: '1', HF_HUB_DISABLE_TELEMETRY: '1' });
      expect(env.HF_HUB_OFFLINE).toBeUndefined();
      const on = envOf(build({ usageStats: true, offline: true }).vllm);
      expect(on.VLLM_NO_USAGE_STATS).toBeUndefined();
      expect(on.DO_NOT_TRACK).toBeUndefined();
      expect(on.HF_HUB_OFFLINE).toBe('1');
    });

    test('an image pinned by digest is accepted; a malformed digest is not', () => {
      const digest = `vllm/vllm-openai@sha256:${'a'.repeat(64)}`;
      expect(build({ image: digest }).vllm.image).toBe(digest);
      expect(build({ image: `vllm/vllm-openai:v0.11.0@sha256:${'b'.repeat(64)}` }).vllm.image).toMatch(/@sha256:b{64}$/);
      expect(errorOf((scope) => new VllmServer(scope, 'vllm', { ...base, image: 'vllm/vllm-openai@sha256:abc' })).message)
        .toMatch(/Invalid image: "vllm\/vllm-openai@sha256:abc"\. A digest is "@sha256:" followed by 64 lower-case hex digits/);
    });

    test('one replica: no PodDisruptionBudget and no spread; several: both, selecting exactly its pods', () => {
      const single = build();
      expect(single.objects.some((o) => o.kind === 'PodDisruptionBudget')).toBe(false);
      expect(podSpec(single.deployment).topologySpreadConstraints).toBeUndefined();
      const many = build({ replicas: 3, modelCache: ModelCache.newClaim({ accessMode: ModelCacheAccessMode.READ_WRITE_MANY }) });
      const budget = find(many.objects, 'PodDisruptionBudget', 'llm');
      expect(budget.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: many.deployment.spec.selector.matchLabels } });
      expect(podSpec(many.deployment).topologySpreadConstraints).toEqual([{
        maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: many.deployment.spec.selector.matchLabels }, matchLabelKeys: ['pod-template-hash'],
      }]);
    });
  });

  describe('refuses bad input, naming the field, the value and the fix', () => {
    const cases: Array<[string, Partial<VllmServerProps>, RegExp]> = [
      ['name not DNS-1123', { name: 'My_Server' }, /Invalid name: "My_Server"\. Use a DNS-1123 label/],
      ['zero GPUs', { gpus: 0 }, /Invalid gpus: 0\. Use a whole number from 1 to 64/],
      ['fractional GPUs', { gpus: 1.5 }, /Invalid gpus: 1\.5\. Use a whole number/],
      ['tensor parallel above GPUs', { gpus: 2, tensorParallelSize: 4 }, /Invalid tensorParallelSize: 4\. It cannot exceed gpus \(2\)/],
      ['utilization 0', { gpuMemoryUtilization: 0 }, /Invalid gpuMemoryUtilization: 0\. Use a fraction greater than 0 and at most 1/],
      ['utilization above 1', { gpuMemoryUtilization: 1.2 }, /Invalid gpuMemoryUtilization: 1\.2\./],
      ['port 0', { port: 0 }, /Invalid port: 0\. Use a whole number from 1 to 65535 \(a TCP port\)/],
      ['port above 65535', { port: 70000 }, /Invalid port: 70000\./],
      ['empty model id', { model: '  ' }, /Invalid model: " {2}"\. Set it to a Hugging Face model id/],
      ['image without a tag', { image: 'vllm/vllm-openai' }, /Invalid image: "vllm\/vllm-openai"\. Pin the image with an explicit tag/],
      ['image tagged latest', { image: 'vllm/vllm-openai:latest' }, /Invalid image: "vllm\/vllm-openai:latest"/],
      ['Secret reference without a key', { huggingFaceToken: SecretKeyReference.fromSecret('hf', '') }, /Invalid huggingFaceToken\.key: ""\. Name the key inside Secret "hf"/],
      ['Secret reference without a name', { apiKey: SecretKeyReference.fromSecret('', 'k') }, /Invalid apiKey\.secretName: ""/],
      ['zero probe budget', { startupProbeBudgetSeconds: 0 }, /Invalid startupProbeBudgetSeconds: 0\. Use a whole number from 1 to 86400 \(seconds\)/],
      ['negative probe budget', { startupProbeBudgetSeconds: -60 }, /Invalid startupProbeBudgetSeconds: -60\./],
      ['bad memory quantity', { memoryLimit: '32 GB' }, /Invalid memoryLimit: "32 GB"\. Use a Kubernetes quantity/],
      // The key is never echoed in the message (issue #23), in either spelling vLLM's parser takes.
      ['API key as an argument', { extraArgs: ['--api-key=abc'] }, /Invalid extraArgs\[0\]: \(value hidden\)\. .*apiKey and huggingFaceToken \(Secret references\)/],
      ['API key as an argument, underscored', { extraArgs: ['--api_key=abc'] }, /Invalid extraArgs\[0\]: \(value hidden\)\. .*apiKey and huggingFaceToken/],
      ['Hugging Face token as an argument, underscored', { extraArgs: ['--hf_token=hf_x'] }, /Invalid extraArgs\[0\]: \(value hidden\)\. .*huggingFaceToken/],
      ['a PEM block as an argument', { extraArgs: ['--ssl-keyfile-data=-----BEGIN PRIVATE KEY-----abc'] }, /Invalid extraArgs\[0\]: \(value hidden\)\. It looks like a credential \(it holds a PEM block/],
      ['a URL with a password as an argument', { extraArgs: ['--otlp-traces-endpoint=https://user:s3cret@collector:4318'] }, /Invalid extraArgs\[0\]: \(value hidden\)\. It looks like a credential \(it is a URL with a password in it\)/],
      ['maxModelLen given twice', { maxModelLen: 8192, extraArgs: ['--max-model-len=4096'] }, /Invalid extraArgs\[0\]: "--max-model-len=4096"\. maxModelLen is set too, and vLLM would take whichever comes last/],
      ['Hugging Face token as an argument', { extraArgs: ['--hf-token', 'hf_x'] }, /Invalid extraArgs\[0\]: \(value hidden\)\./],
      ['root UID', { runAsUser: 0 }, /Invalid runAsUser: 0\. Use a whole number from 1 to 2147483647 \(a non-root UID or GID\)/],
      ['runAsRoot not a boolean', { runAsRoot: 'yes' as unknown as boolean }, /Invalid runAsRoot: "yes"\. Use true or false/],
      ['memory request above its limit', { memoryRequest: '48Gi', memoryLimit: '32Gi' }, /Invalid memoryRequest: "48Gi"\. It is above memoryLimit \(32Gi\), and a container cannot request more than its limit/],
      ['memory request above the default limit', { memoryRequest: '40Gi' }, /Invalid memoryRequest: "40Gi"\. It is above memoryLimit \(32Gi\)/],
      ['CPU request above its limit, in other units', { cpuRequest: '2', cpuLimit: '1500m' }, /Invalid cpuRequest: "2"\. It is above cpuLimit \(1500m\)/],
      ['RWO cache with two replicas', { replicas: 2 }, /Invalid replicas: 2\. A ReadWriteOnce model-cache claim/],
      ['bad toleration effect', { tolerations: [{ key: 'x', effect: 'Never' }] }, /Invalid tolerations\[0\]\.effect: "Never"/],
    ];
    test.each(cases)('%s', (_label, props, message) => {
      expect(errorOf((scope) => new VllmServer(scope, 'vllm', { ...base, ...props })).message).toMatch(message);
    });

    test('a request equal to its limit, in other units, is fine', () => {
      expect(build({ memoryRequest: '32768Mi', memoryLimit: '32Gi', cpuRequest: '500m', cpuLimit: '0.5' }).vllm.resources.requests.memory).toBe('32768Mi');
    });

    test('two replicas are fine with a ReadWriteMany cache', () => {
      const { deployment } = build({ replicas: 2, modelCache: ModelCache.newClaim({ accessMode: ModelCacheAccessMode.READ_WRITE_MANY }) });
      expect(deployment.spec.replicas).toBe(2);
    });
  });
});

test('a gated model without a Hugging Face token draws a warning from the server itself, for hand-built stacks too', () => {
  const warningsFor = (props: Partial<VllmServerProps>) => {
    const app = new App();
    const chart = new Chart(app, 'c');
    new VllmServer(chart, 'vllm', { name: 'llm', model: 'meta-llama/Llama-3.1-8B-Instruct', ...props });
    return Warnings.of(app).map((w) => w.message);
  };
  expect(warningsFor({})).toEqual([
    'meta-llama/* models are gated on Hugging Face: vLLM cannot download meta-llama/Llama-3.1-8B-Instruct without a token. '
    + 'Accept the license on huggingface.co, put a token in a Secret and set huggingFaceToken (--hf-token-secret NAME/KEY)',
  ]);
  expect(warningsFor({ huggingFaceToken: SecretKeyReference.fromSecret('hf', 'token') })).toEqual([]);
  expect(warningsFor({ model: 'Qwen/Qwen2.5-1.5B-Instruct' })).toEqual([]);
});
