import { Testing } from 'cdk8s';
import { H2oGpt, ModelCache, VllmEndpoint, VllmServer, Warnings } from '../src/internal';
import {
  bytesPerParameterOfName, defaultCacheSize, modelSizeOf, parameterBillionsOfName, vllmSizing,
} from '../src/workloads/model-sizing';
import { container, errorOf, find, newChart, podSpec } from './helpers';

// Issue #26: sizes that fit the model. The rule is in docs/sizing.md and the README.

function server(props: Partial<ConstructorParameters<typeof VllmServer>[2]> = {}) {
  const { app, chart } = newChart();
  const vllm = new VllmServer(chart, 'vllm', { name: 'chat-vllm', model: 'Qwen/Qwen2.5-1.5B-Instruct', ...props });
  const objects = Testing.synth(chart) as any[];
  return { app, vllm, objects, deployment: find(objects, 'Deployment', 'chat-vllm') };
}

describe('the defaults scale with the GPUs', () => {
  test.each([
    [1, '4', '24Gi', '32Gi', '8Gi'],
    [2, '8', '48Gi', '64Gi', '16Gi'],
    [4, '16', '96Gi', '128Gi', '32Gi'],
    [8, '32', '192Gi', '256Gi', '64Gi'],
  ])('%i GPU(s): %s CPUs, %s requested, %s limit, %s of /dev/shm', (gpus, cpu, request, limit, shm) => {
    expect(vllmSizing(gpus, gpus)).toEqual({ cpuRequest: cpu, memoryRequest: request, memoryLimit: limit, shmSize: shm });
    const { deployment } = server({ gpus });
    const vllm = container(deployment, 'vllm');
    expect(vllm.resources).toEqual({ requests: { cpu, memory: request }, limits: { 'memory': limit, 'nvidia.com/gpu': gpus } });
    expect(podSpec(deployment).volumes.find((v: any) => v.name === 'dshm').emptyDir).toEqual({ medium: 'Memory', sizeLimit: shm });
    // shm is tmpfs, charged to the container's memory: it always fits well inside the limit.
    expect(Number(shm.replace('Gi', ''))).toBeLessThanOrEqual(Number(limit.replace('Gi', '')) / 4);
  });

  test('shared memory follows the tensor-parallel ranks, CPU and memory the GPUs', () => {
    expect(vllmSizing(8, 4)).toEqual({ cpuRequest: '32', memoryRequest: '192Gi', memoryLimit: '256Gi', shmSize: '32Gi' });
  });

  test('a value given wins over the rule', () => {
    const vllm = container(server({ gpus: 8, cpuRequest: '12', memoryRequest: '100Gi', memoryLimit: '120Gi', shmSize: '20Gi' }).deployment, 'vllm');
    expect(vllm.resources.requests).toEqual({ cpu: '12', memory: '100Gi' });
  });
});

describe('the model\'s size', () => {
  test.each([
    ['meta-llama/Llama-3.3-70B-Instruct', 70],
    ['meta-llama/Llama-3.1-405B-Instruct', 405],
    ['Qwen/Qwen2.5-1.5B-Instruct', 1.5],
    ['Qwen/Qwen3-235B-A22B', 235],
    ['Qwen/Qwen2.5-Coder-7B-Instruct-AWQ', 7],
    ['mistralai/Mixtral-8x7B-Instruct-v0.1', undefined],
    ['deepseek-ai/DeepSeek-V3', undefined],
    ['/models/custom', undefined],
  ])('%s: %s billion', (model, billions) => {
    expect(parameterBillionsOfName(model)).toBe(billions);
  });

  test('quantized names take fewer bytes per parameter', () => {
    expect([bytesPerParameterOfName('x/Llama-70B'), bytesPerParameterOfName('x/Llama-70B-FP8'), bytesPerParameterOfName('x/Llama-70B-AWQ')]).toEqual([2, 1, 0.5]);
  });

  test('the default cache holds the weights and a quarter more, in steps of 50Gi, never below 100Gi', () => {
    expect(defaultCacheSize(undefined)).toBe('100Gi');
    expect(defaultCacheSize(modelSizeOf('Qwen/Qwen2.5-1.5B-Instruct', undefined, 'modelSize'))).toBe('100Gi');
    // 70e9 x 2 bytes x 1.25 = 163Gi, so 200Gi; 405B: 943Gi, so 950Gi.
    expect(defaultCacheSize(modelSizeOf('meta-llama/Llama-3.3-70B-Instruct', undefined, 'modelSize'))).toBe('200Gi');
    expect(defaultCacheSize(modelSizeOf('m/custom', '405B', 'modelSize'))).toBe('950Gi');
    const { objects } = server({ model: 'meta-llama/Llama-3.3-70B-Instruct', gpus: 8 });
    expect(find(objects, 'PersistentVolumeClaim', 'chat-vllm-model-cache').spec.resources.requests.storage).toBe('200Gi');
  });

  test('a cache that plainly cannot hold the weights warns, from the name or from the hint; one that can does not', () => {
    const small = server({ model: 'meta-llama/Llama-3.3-70B-Instruct', modelCache: ModelCache.newClaim({ size: '100Gi' }) });
    const warnings = Warnings.of(small.app).map((w) => w.message);
    expect(warnings.filter((w) => w.includes('model cache'))).toEqual([
      'the model cache (100Gi) cannot hold meta-llama/Llama-3.3-70B-Instruct: by the 70B in its name, its weights take about 130.4Gi at 2 byte(s) per parameter, '
      + 'so vLLM\'s download would fill the volume and fail. Give the cache more room (vllm.modelCache, --cache-size), or correct the size hint (vllm.modelSize, --model-size)',
    ]);
    const hinted = server({ model: '/models/custom', modelSize: '70B', modelCache: ModelCache.ephemeral({ sizeLimit: '50Gi' }) });
    expect(Warnings.of(hinted.app).some((w) => w.message.startsWith('the model cache (50Gi) cannot hold /models/custom: by modelSize 70B'))).toBe(true);
    const fits = server({ model: 'meta-llama/Llama-3.3-70B-Instruct-AWQ', modelCache: ModelCache.newClaim({ size: '100Gi' }) });
    expect(Warnings.of(fits.app).filter((w) => w.message.includes('model cache'))).toEqual([]);
  });

  test('a bad size hint is refused with the form it takes', () => {
    expect(errorOf((chart) => new VllmServer(chart, 'v', { name: 'v', model: 'm/m', modelSize: '70 billion' })).message)
      .toBe('Invalid modelSize: "70 billion". Give the model\'s parameter count in billions with a B, e.g. "70B" or "1.5B".');
  });
});

describe('quantities of bytes need a unit and a sane size', () => {
  test.each([
    [() => ModelCache.newClaim({ size: '200' }), 'Invalid modelCache.size: "200". A number without a unit is bytes to Kubernetes, so this is 200 bytes. Give a unit, e.g. "200Gi".'],
    [() => ModelCache.newClaim({ size: '500Mi' }), 'Invalid modelCache.size: "500Mi". It is below 1Gi, too small to be meant (the units are Ki, Mi, Gi, Ti). Give at least 1Gi, e.g. "200Gi".'],
    [() => ModelCache.ephemeral({ sizeLimit: '10' }), /^Invalid modelCache.sizeLimit: "10"\. A number without a unit is bytes/],
  ])('%#', (build, message) => {
    expect(() => build()).toThrow(message as any);
  });

  test('vLLM\'s memory and shm, h2oGPT\'s memory', () => {
    const message = (props: any) => errorOf((chart) => new VllmServer(chart, 'v', { name: 'v', model: 'm/m', ...props })).message;
    expect(message({ memoryRequest: '24' })).toMatch(/^Invalid memoryRequest: "24"\. A number without a unit is bytes to Kubernetes, so this is 24 bytes\. Give a unit, e\.g\. "24Gi"/);
    expect(message({ memoryLimit: '512Mi' })).toMatch(/^Invalid memoryLimit: "512Mi"\. It is below 1Gi/);
    expect(message({ shmSize: '64Mi' })).toMatch(/^Invalid shmSize: "64Mi"\. It is below 1Gi/);
    expect(message({ shmSize: '8' })).toMatch(/^Invalid shmSize: "8"\. A number without a unit/);
    const front = (props: any) => errorOf((chart) => new H2oGpt(chart, 'f', { vllm: VllmEndpoint.fromUrl('http://v:8000', { servedModelName: 'm' }), ...props })).message;
    expect(front({ memoryLimit: '8' })).toMatch(/^Invalid memoryLimit: "8"\. A number without a unit/);
    expect(front({ memoryRequest: '100Mi' })).toMatch(/^Invalid memoryRequest: "100Mi"\. It is below 256Mi/);
  });
});
