import {
  analyzeObjects, EnvironmentValue, H2oGpt, H2oGptStack, H2oGptStackProps, MeshMode, VllmEndpoint, ModelCache, ModelCacheAccessMode, MtlsMode, SecretKeyReference, VllmServer, Warnings,
} from '../src/internal';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseAllDocuments, stringify } from 'yaml';
import { Dataplane } from '../src/mesh/mesh-profiles';
import { LINKERD } from '../src/mesh/meshes/linkerd';
import { allModeVariants } from '../src/startup/decision-table';
import { cli } from './support/cli-runner';
import { Testing } from 'cdk8s';
import { errorOf, find, Manifest, newChart, synth } from './helpers';
import { crossObjectProblems, schemaProblems } from './support/conformance';

// Issue #27: a model larger than one node, served by a LeaderWorkerSet group (kubernetes-sigs/lws
// v0.10.0) over vLLM's Ray backend (v0.11.0), under every mesh mode; LoRA adapters behind the
// same h2oGPT. Facts and sources: docs/group-facts.md.

const LLAMA_405B = 'meta-llama/Llama-3.1-405B-Instruct';
const TOKEN = SecretKeyReference.fromSecret('hf-token', 'token');
const LWS = 'leaderworkerset.x-k8s.io/v1';

const groupStack = (props: Partial<H2oGptStackProps> = {}): Manifest[] => synth((chart) => new H2oGptStack(chart, 'stack', {
  name: 'chat', ...props, vllm: { model: LLAMA_405B, gpus: 8, nodes: 2, huggingFaceToken: TOKEN, ...props.vllm },
}));
const setOf = (objects: Manifest[]) => find(objects, 'LeaderWorkerSet', 'chat-vllm-group');
const leaderOf = (objects: Manifest[]) => setOf(objects).spec.leaderWorkerTemplate.leaderTemplate;
const workerOf = (objects: Manifest[]) => setOf(objects).spec.leaderWorkerTemplate.workerTemplate;

describe('a model across nodes: a LeaderWorkerSet group', () => {
  const objects = groupStack();
  const set = setOf(objects);

  test('one group of 2 pods, 8 GPUs each, recreated whole, workers made with their leader; no vLLM Deployment', () => {
    expect(set.apiVersion).toBe(LWS);
    expect(set.spec).toMatchObject({
      replicas: 1, startupPolicy: 'LeaderCreated',
      leaderWorkerTemplate: { size: 2, restartPolicy: 'RecreateGroupOnPodRestart' },
    });
    for (const template of [leaderOf(objects), workerOf(objects)]) {
      expect(template.spec.containers[0].resources.limits['nvidia.com/gpu']).toBe(8);
      // 8 ranks of tensor parallelism in each pod: 64Gi of shared memory (docs/sizing.md).
      expect(template.spec.volumes.find((v: any) => v.name === 'dshm').emptyDir).toEqual({ medium: 'Memory', sizeLimit: '64Gi' });
    }
    expect(objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name)).toEqual(['chat']);
  });

  test('valid against the LeaderWorkerSet CRD of lws v0.10.0, and every object against its schema', () => {
    expect(objects.flatMap(schemaProblems)).toEqual([]);
    expect(crossObjectProblems(objects, { secrets: ['hf-token'] })).toEqual([]);
  });

  test('the schema check itself rejects a misspelt field and a restart policy LWS does not know', () => {
    const broken = JSON.parse(JSON.stringify(set));
    broken.spec.leaderWorkerTemplate.restartPolicy = 'RecreateGroup';
    broken.spec.leaderWorkerTemplate.sise = 2;
    const problems = schemaProblems(broken).join('\n');
    expect(problems).toMatch(/restartPolicy must be equal to one of the allowed values/);
    expect(problems).toMatch(/must NOT have additional properties.*sise/);
  });

  test('the leader starts Ray\'s head, waits for the group in vLLM\'s script, then serves with TP 8 x PP 2 over Ray', () => {
    const [leader] = leaderOf(objects).spec.containers;
    expect(leader.args).toBeUndefined();
    expect(leader.command.slice(0, 4)).toEqual([
      'sh', '-c',
      'bash /vllm-workspace/examples/online_serving/multi-node-serving.sh leader --ray_cluster_size="$LWS_GROUP_SIZE"; exec python3 -m vllm.entrypoints.openai.api_server "$@"',
      'vllm-leader',
    ]);
    const args: string[] = leader.command.slice(4);
    const value = (flag: string) => args[args.indexOf(flag) + 1];
    expect([value('--model'), value('--tensor-parallel-size'), value('--pipeline-parallel-size'), value('--distributed-executor-backend')])
      .toEqual([LLAMA_405B, '8', '2', 'ray']);
    expect(leader.ports).toEqual([{ name: 'http', containerPort: 8000, protocol: 'TCP' }]);
    expect(leader.startupProbe.httpGet.path).toBe('/health');
    // vLLM listens only once every rank has loaded: the budget covers the group forming too.
    expect(leader.startupProbe.failureThreshold * leader.startupProbe.periodSeconds).toBe(3600);
  });

  test('a worker joins the leader\'s Ray cluster at LWS_LEADER_ADDRESS: no port, no probe, the model\'s token and cache, no API key', () => {
    const [worker] = workerOf(objects).spec.containers;
    expect(worker.command).toEqual(['sh', '-c', 'exec bash /vllm-workspace/examples/online_serving/multi-node-serving.sh worker --ray_address="$LWS_LEADER_ADDRESS"']);
    expect(worker.ports).toBeUndefined();
    expect(worker.startupProbe ?? worker.readinessProbe ?? worker.livenessProbe).toBeUndefined();
    const env = Object.fromEntries(worker.env.map((e: any) => [e.name, e]));
    expect(env.HF_HOME.value).toBe('/models/huggingface');
    expect(env.HF_TOKEN.valueFrom.secretKeyRef).toEqual({ name: 'hf-token', key: 'token' });
    expect(env.VLLM_API_KEY).toBeUndefined();
    expect(workerOf(objects).spec.initContainers).toBeUndefined();
  });

  test('the Service and the PodMonitor select the leaders; h2oGPT waits for that Service', () => {
    const monitored = groupStack({ monitoring: {} });
    const leaders = { 'app.kubernetes.io/name': 'vllm', 'app.kubernetes.io/instance': 'chat', 'leaderworkerset.sigs.k8s.io/worker-index': '0' };
    expect(find(monitored, 'Service', 'chat-vllm').spec.selector).toEqual(leaders);
    expect(find(monitored, 'PodMonitor', 'chat-vllm').spec.selector.matchLabels).toEqual(leaders);
    const rules = JSON.stringify(find(monitored, 'PrometheusRule', 'chat').spec);
    expect(rules).toContain('pod=~\\"chat-vllm-group-[0-9]+\\"');
    expect(rules).toContain('kube_statefulset_status_replicas_ready{statefulset=\\"chat-vllm-group\\"} < 1');
    const wait = find(objects, 'Deployment', 'chat').spec.template.spec.initContainers[0];
    expect(wait.env.find((e: any) => e.name === 'WAIT_URL').value).toBe('http://chat-vllm:8000/health');
  });

  test('the model cache is one ReadWriteMany claim the group shares, sized for the weights', () => {
    const claim = find(objects, 'PersistentVolumeClaim', 'chat-vllm-model-cache');
    expect(claim.spec.accessModes).toEqual(['ReadWriteMany']);
    expect(claim.spec.resources.requests.storage).toBe('950Gi');
  });

  test('KEDA scales groups through the LeaderWorkerSet\'s scale subresource, which then carries no replica count', () => {
    const scaled = groupStack({ monitoring: {}, autoscaling: { vllmMaxReplicas: 2, availableGpus: 32 } });
    expect(find(scaled, 'ScaledObject', 'chat-vllm').spec.scaleTargetRef).toEqual({ apiVersion: LWS, kind: 'LeaderWorkerSet', name: 'chat-vllm-group' });
    expect(setOf(scaled).spec.replicas).toBeUndefined();
    // Two groups of 16 GPUs do not fit in 24.
    expect(errorOf((chart) => new H2oGptStack(chart, 's', {
      monitoring: {}, vllm: { model: LLAMA_405B, gpus: 8, nodes: 2 }, autoscaling: { vllmMaxReplicas: 2, availableGpus: 24 },
    })).message).toMatch(/2 replicas x 16 GPU\(s\) each need 32 GPUs, more than availableGpus \(24\)/);
  });

  test('NetworkPolicy: h2oGPT reaches the leaders\' port; each group\'s pods reach each other on every port, and nothing else does', () => {
    const twoGroups = groupStack({ vllm: { model: LLAMA_405B, replicas: 2 } });
    const served = find(twoGroups, 'NetworkPolicy', 'chat-vllm');
    expect(served.spec.podSelector.matchLabels['leaderworkerset.sigs.k8s.io/worker-index']).toBe('0');
    for (const index of ['0', '1']) {
      const policy = find(twoGroups, 'NetworkPolicy', `chat-vllm-group-${index}`);
      const members = { 'app.kubernetes.io/name': 'vllm', 'app.kubernetes.io/instance': 'chat', 'leaderworkerset.sigs.k8s.io/group-index': index };
      expect(policy.spec).toEqual({ podSelector: { matchLabels: members }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: members } }] }] });
    }
    expect(twoGroups.filter((o) => o.kind === 'NetworkPolicy' && o.metadata.name.startsWith('chat-vllm-group-'))).toHaveLength(2);
    const egress = find(groupStack({ trafficPolicy: { restrictEgress: true } }), 'NetworkPolicy', 'chat-vllm-group-0').spec.egress;
    expect(egress).toContainEqual({ to: [{ podSelector: { matchLabels: expect.objectContaining({ 'leaderworkerset.sigs.k8s.io/group-index': '0' }) } }] });
  });

  test('the startup check reads both templates of a LeaderWorkerSet and passes them', () => {
    const report = analyzeObjects(objects.map((object) => ({ object, source: 'test' })), MeshMode.none());
    const group = report.pods.filter((p) => p.kind === 'LeaderWorkerSet');
    expect(group.map((p) => p.specPath)).toEqual(['spec.leaderWorkerTemplate.leaderTemplate.spec', 'spec.leaderWorkerTemplate.workerTemplate.spec']);
    expect(report.failed).toBe(false);
  });
});

describe('the group under every mesh mode: its own traffic never meets a proxy, or the mesh carries it as L4', () => {
  const GROUP_ANNOTATION = 'cdk8s-h2ogpt.io/group-traffic';
  test.each(allModeVariants().map((mesh) => [mesh.describe(), mesh] as const))('%s', (_label, mesh) => {
    const objects = groupStack({ mesh });
    const leader = leaderOf(objects).metadata;
    const worker = workerOf(objects).metadata;
    expect(leader.annotations[GROUP_ANNOTATION]).toBe(worker.annotations[GROUP_ANNOTATION]);
    expect(objects.flatMap(schemaProblems)).toEqual([]);
    const policy = objects.find((o) => o.kind === 'AuthorizationPolicy' && o.metadata.name === 'chat-vllm');
    const groupRule = policy?.spec.rules?.find((r: any) => r.to === undefined);
    if (mesh.name.startsWith('istio') && mesh.dataplane !== 'ambient') {
      expect(leader.labels['sidecar.istio.io/inject']).toBe('true');
      expect(leader.annotations).toMatchObject({ 'traffic.sidecar.istio.io/includeInboundPorts': '8000', 'traffic.sidecar.istio.io/includeOutboundIPRanges': '' });
      expect(worker.labels['sidecar.istio.io/inject']).toBe('false');
      // No mesh settings on a pod without a sidecar, and nothing to scrape there.
      expect(Object.keys(worker.annotations).filter((k) => /istio\.io|prometheus\.io/.test(k))).toEqual([]);
      expect(groupRule).toBeUndefined();
    } else if (mesh.dataplane === 'ambient') {
      expect([leader.labels['istio.io/dataplane-mode'], worker.labels['istio.io/dataplane-mode']]).toEqual(['ambient', 'ambient']);
      // ztunnel carries the group: vLLM's policy admits the group's own identity, on every port.
      expect(groupRule).toEqual({ from: [{ source: { principals: ['*/sa/chat-vllm'] } }] });
    } else if (mesh.name.startsWith('linkerd')) {
      expect(leader.annotations).toMatchObject({
        'linkerd.io/inject': 'enabled', 'config.linkerd.io/skip-inbound-ports': '1-7999,8001-65535', 'config.linkerd.io/skip-outbound-ports': '1-65535',
      });
      expect(worker.annotations['linkerd.io/inject']).toBe('disabled');
      expect(Object.keys(worker.annotations).filter((k) => k.includes('linkerd.io') && k !== 'linkerd.io/inject')).toEqual([]);
    } else {
      expect(leader.annotations[GROUP_ANNOTATION]).toMatch(/^no mesh/);
    }
  });

  test('ambient with a namespace: the group\'s principal is exact', () => {
    const objects = groupStack({ namespace: 'ai', mesh: MeshMode.istioAmbient({ mtls: MtlsMode.STRICT }) });
    const rules = find(objects, 'AuthorizationPolicy', 'chat-vllm').spec.rules;
    expect(rules).toContainEqual({ from: [{ source: { principals: ['cluster.local/ns/ai/sa/chat-vllm'] } }] });
  });
});

describe('refusals and warnings, each with the way out', () => {
  const vllmError = (props: object) => errorOf((chart) => new VllmServer(chart, 'v', { name: 'big', model: LLAMA_405B, huggingFaceToken: TOKEN, ...props })).message;

  test('more GPUs than a node has: the same GPUs in pods that fit, or the nodes\' real count', () => {
    expect(vllmError({ gpus: 16 })).toBe('Invalid gpus: 16. A pod runs on one node, and a node has 8 GPUs (gpusPerNode): '
      + 'serve the model across nodes with gpus: 8 and nodes: 2 (16 GPUs in all), or give your nodes\' real count in gpusPerNode.');
    expect(vllmError({ gpus: 16, nodes: 2 })).toMatch(/with gpus: 8 and nodes: 4 \(32 GPUs in all\)/);
    // Nodes with 16 GPUs (or time-sliced ones) take 16 a pod.
    const objects = synth((chart) => new VllmServer(chart, 'v', { name: 'big', model: 'm', gpus: 16, gpusPerNode: 16 }));
    expect(find(objects, 'Deployment', 'big').spec.template.spec.containers[0].resources.limits['nvidia.com/gpu']).toBe(16);
  });

  test('a tensor-parallel size other than a node\'s GPUs across nodes', () => {
    expect(vllmError({ gpus: 8, nodes: 2, tensorParallelSize: 4 })).toMatch(/^Invalid tensorParallelSize: 4\. Across nodes, tensor parallelism spans one node's GPUs .* leave it unset\.$/);
  });

  test('a ReadWriteOnce cache the group cannot share', () => {
    expect(vllmError({ gpus: 8, nodes: 2, modelCache: ModelCache.newClaim({ accessMode: ModelCacheAccessMode.READ_WRITE_ONCE }) }))
      .toMatch(/^Invalid nodes: 2\. The 2 pods of a group run on 2 nodes, .*ModelCache\.ephemeral\(\)\.$/);
  });

  test('a name with no room for the group\'s pod names', () => {
    expect(vllmError({ name: 'a'.repeat(43), nodes: 2 })).toMatch(/^Invalid name: "a{43}"\. .* use at most 42 characters\.$/);
  });

  test('parallelism in extraArgs, which the group sets', () => {
    expect(vllmError({ gpus: 8, nodes: 2, extraArgs: ['--pipeline-parallel-size=4'] })).toMatch(/^Invalid extraArgs\[0\]: "--pipeline-parallel-size=4"\./);
  });

  test('a model that plainly cannot fit its GPUs warns, naming the fix; across two nodes it fits', () => {
    const warningsOf = (props: object) => {
      const { app, chart } = newChart();
      new VllmServer(chart, 'v', { name: 'big', model: LLAMA_405B, huggingFaceToken: TOKEN, modelCache: ModelCache.ephemeral({ sizeLimit: '1000Gi' }), ...props });
      return Warnings.of(app).map((w) => w.message).filter((m) => m.includes('cannot fit'));
    };
    const [oneNode] = warningsOf({ gpus: 8 });
    expect(oneNode).toMatch(/meta-llama\/Llama-3.1-405B-Instruct cannot fit the 8 GPUs of its pod: by the 405B in its name, its weights take about 754.4Gi at 2 byte\(s\) per parameter, and 8 x 80Gi at 0.9 utilization hold less/);
    expect(oneNode).toMatch(/--nodes/);
    expect(warningsOf({ gpus: 8, nodes: 2 })).toEqual([]);
    // Given the real memory of larger GPUs, 8 of them hold it.
    expect(warningsOf({ gpus: 8, gpuMemory: '141Gi' })).toEqual([]);
  });
});

describe('the command line: --nodes, --lora, --gpu-memory', () => {
  const objectsOf = (yaml: string) => parseAllDocuments(yaml).map((d) => d.toJS()).filter(Boolean) as Manifest[];
  const synthCli = async (args: string[], config?: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'cdk8s-h2ogpt-multi-node-'));
    try {
      if (config !== undefined) writeFileSync(join(dir, 'stack.yaml'), config);
      const result = await cli(['synth', ...args, ...(config !== undefined ? ['--config', join(dir, 'stack.yaml')] : []), '--out', join(dir, 'out')]);
      const file = join(dir, 'out', 'h2ogpt.k8s.yaml');
      return { ...result, objects: result.code === 0 ? objectsOf(readFileSync(file, 'utf8')) : [] };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  // The command, under every mode the CLI takes.
  const modes = allModeVariants().map((mesh) => [mesh.describe(), [
    '--mesh', mesh.name, ...(mesh.dataplane === 'sidecar' ? [mesh.cni ? '--cni' : '--no-cni'] : []), ...(mesh.name === 'none' ? [] : ['--mtls', mesh.mtls]),
  ]] as const);
  test.each(modes)('synth --model %s: a LeaderWorkerSet of 2 pods with 8 GPUs each, valid, fenced group by group', async (_label, meshArgs) => {
    const { code, stderr, objects } = await synthCli(['--model', LLAMA_405B, '--gpus', '8', '--nodes', '2', ...meshArgs]);
    expect(`${code} ${stderr}`).toMatch(/^0 /);
    const set = find(objects, 'LeaderWorkerSet', 'h2ogpt-vllm-group');
    expect(set.spec.leaderWorkerTemplate.size).toBe(2);
    expect(set.spec.leaderWorkerTemplate.workerTemplate.spec.containers[0].resources.limits['nvidia.com/gpu']).toBe(8);
    expect(objects.flatMap(schemaProblems)).toEqual([]);
    expect(find(objects, 'NetworkPolicy', 'h2ogpt-vllm-group-0').spec.ingress).toHaveLength(1);
  });

  test('--lora serves the first --model\'s adapters only; --storage-class with --nodes makes the group\'s claim ReadWriteMany', async () => {
    const { code, stderr, objects } = await synthCli(['--model', 'Qwen/Qwen2.5-7B-Instruct', '--model', 'coder=Qwen/Qwen2.5-Coder-7B-Instruct', '--max-model-len', '8192',
      '--lora', 'sql=org/sql-lora', '--nodes', '2', '--storage-class', 'efs']);
    expect(`${code} ${stderr}`).toMatch(/^0 /);
    const argsOf = (name: string) => find(objects, 'LeaderWorkerSet', name).spec.leaderWorkerTemplate.leaderTemplate.spec.containers[0].command as string[];
    expect(argsOf('h2ogpt-vllm-group')).toContain('sql=org/sql-lora');
    expect(argsOf('h2ogpt-vllm-coder-group')).not.toContain('--enable-lora');
    const claims = objects.filter((o) => o.kind === 'PersistentVolumeClaim');
    expect(claims).toHaveLength(2);
    for (const claim of claims) expect(claim.spec).toMatchObject({ accessModes: ['ReadWriteMany'], storageClassName: 'efs' });
    expect(stderr).not.toMatch(/default storage class may not offer/);
  });

  test('two models behind one h2oGPT, from a config file: one across two nodes, one on a node with a LoRA adapter', async () => {
    const { code, stderr, objects } = await synthCli([], [
      'vllm: { model: meta-llama/Llama-3.1-405B-Instruct, gpus: 8, nodes: 2, huggingFaceToken: { secretName: hf-token, key: token } }',
      'additionalModels:',
      '  - id: qwen',
      '    model: Qwen/Qwen2.5-7B-Instruct',
      '    port: 8001',
      '    maxModelLen: 8192',
      '    modelCache: { ephemeral: true }',
      '    loraAdapters: [{ name: qwen-sql, source: org/qwen2.5-7b-sql-lora }]',
    ].join('\n'));
    expect(`${code} ${stderr}`).toMatch(/^0 /);
    expect(objects.flatMap(schemaProblems)).toEqual([]);
    expect(crossObjectProblems(objects, { secrets: ['hf-token'] })).toEqual([]);
    expect(objects.filter((o) => o.kind === 'LeaderWorkerSet').map((o) => o.metadata.name)).toEqual(['h2ogpt-vllm-group']);
    expect(objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name).sort()).toEqual(['h2ogpt', 'h2ogpt-vllm-qwen']);
    const args: string[] = find(objects, 'Deployment', 'h2ogpt-vllm-qwen').spec.template.spec.containers[0].args;
    expect(args.slice(args.indexOf('--enable-lora'))).toEqual(['--enable-lora', '--max-loras', '1', '--lora-modules', 'qwen-sql=org/qwen2.5-7b-sql-lora']);
    const front = find(objects, 'Deployment', 'h2ogpt').spec.template.spec;
    const lock = front.containers[0].env.find((e: any) => e.name === 'H2OGPT_MODEL_LOCK').value;
    // The adapter over the completions API, with its base model's tokenizer (docs/app-facts.md §7).
    expect(lock).toBe('[{"inference_server": "vllm_chat:h2ogpt-vllm:8000", "base_model": "meta-llama/Llama-3.1-405B-Instruct"}, '
      + '{"inference_server": "vllm_chat:h2ogpt-vllm-qwen:8001", "base_model": "Qwen/Qwen2.5-7B-Instruct"}, '
      + '{"inference_server": "vllm:h2ogpt-vllm-qwen:8001", "base_model": "qwen-sql", "tokenizer_base_model": "Qwen/Qwen2.5-7B-Instruct", "max_seq_len": 8192}]');
    // h2oGPT waits for both servers: the group's leader Service first.
    expect(front.initContainers.filter((c: any) => c.name !== 'prepare-workspace').map((c: any) => c.env.find((e: any) => e.name === 'WAIT_URL').value))
      .toEqual(['http://h2ogpt-vllm:8000/health', 'http://h2ogpt-vllm-qwen:8001/health']);
  });

  test.each([
    [['--gpus', '16'], 'Invalid --gpus: "16". A pod runs on one node, and a node has 8 GPUs (--gpus-per-node): serve the model across nodes with --gpus 8 --nodes 2 (16 GPUs in all), or give your nodes\' real count in --gpus-per-node.'],
    [['--nodes', '2', '--name', 'a'.repeat(38)], `Invalid --name: "${'a'.repeat(38)}". vLLM serves across nodes (--nodes), as a LeaderWorkerSet "${'a'.repeat(38)}-vllm-group" whose pods' names and labels add an index and a hash: use at most 37 characters.`],
    [['--nodes', '2', '--cache-access-mode', 'ReadWriteOnce'], 'Invalid --nodes: "2". The 2 pods of a group run on 2 nodes, which cannot all mount a ReadWriteOnce model-cache claim. Use --cache-access-mode ReadWriteMany'],
    [['--lora', 'sql'], 'Invalid --lora: "sql". Use NAME=HF_ID, e.g. --lora sql=yard1/llama-2-7b-sql-lora-test'],
    [['--lora', 'sql=../x', '--max-model-len', '4096'], 'Invalid --lora: "sql=../x". Use a Hugging Face repository id as org/name'],
    [['--lora', 'sql=org/sql'], 'Invalid --max-model-len: none. h2oGPT lists each LoRA adapter with a context length'],
    [['--gpu-memory', '80'], 'Invalid --gpu-memory: "80". A number without a unit is bytes'],
  ])('%j is refused, naming the flag and the way out', async (args, message) => {
    const { code, stderr } = await synthCli(args);
    expect(code).toBe(2);
    expect(stderr).toContain(`cdk8s-h2ogpt synth: ${message}`);
  });
});

describe('LoRA adapters: served beside the model, listed by h2oGPT, refused where they would clash', () => {
  const QWEN = 'Qwen/Qwen2.5-7B-Instruct';
  const adapters = [{ name: 'sql', source: 'org/sql-lora' }, { name: 'chat-de', source: '/models/adapters/de' }];
  const stackError = (props: Partial<H2oGptStackProps>) => errorOf((chart) => new H2oGptStack(chart, 's', { name: 'chat', vllm: { model: QWEN, maxModelLen: 8192 }, ...props })).message;

  test('vLLM enables LoRA for every adapter in one batch; h2oGPT lists each after its base model', () => {
    const objects = synth((chart) => new H2oGptStack(chart, 's', { name: 'chat', vllm: { model: QWEN, maxModelLen: 8192, loraAdapters: adapters } }));
    const args: string[] = find(objects, 'Deployment', 'chat-vllm').spec.template.spec.containers[0].args;
    expect(args.slice(args.indexOf('--enable-lora'))).toEqual(['--enable-lora', '--max-loras', '2', '--lora-modules', 'sql=org/sql-lora', 'chat-de=/models/adapters/de']);
    const env = find(objects, 'Deployment', 'chat').spec.template.spec.containers[0].env;
    expect(env.find((e: any) => e.name === 'H2OGPT_INFERENCE_SERVER')).toBeUndefined();
    const lock = env.find((e: any) => e.name === 'H2OGPT_MODEL_LOCK').value;
    expect(lock).toBe(`[{"inference_server": "vllm_chat:chat-vllm:8000", "base_model": "${QWEN}"}, `
      + `{"inference_server": "vllm:chat-vllm:8000", "base_model": "sql", "tokenizer_base_model": "${QWEN}", "max_seq_len": 8192}, `
      + `{"inference_server": "vllm:chat-vllm:8000", "base_model": "chat-de", "tokenizer_base_model": "${QWEN}", "max_seq_len": 8192}]`);
  });

  test('a keyed server\'s adapters send its key too, expanded by Kubernetes', () => {
    const objects = synth((chart) => new H2oGptStack(chart, 's', {
      name: 'chat', vllm: { model: QWEN, maxModelLen: 8192, loraAdapters: [adapters[0]], apiKey: SecretKeyReference.fromSecret('k', 'key') },
    }));
    const lock = find(objects, 'Deployment', 'chat').spec.template.spec.containers[0].env.find((e: any) => e.name === 'H2OGPT_MODEL_LOCK').value;
    expect(lock).toContain('{"inference_server": "vllm:http://chat-vllm:8000:/v1:$(VLLM_API_KEY)", "base_model": "sql"');
  });

  test.each([
    [{ vllm: { model: QWEN, loraAdapters: adapters } }, 'Invalid vllm.maxModelLen: undefined. h2oGPT lists each LoRA adapter with a context length'],
    [{ vllm: { model: '/models/qwen', maxModelLen: 8192, loraAdapters: adapters } }, 'Invalid vllm.model: "/models/qwen". h2oGPT reads the tokenizer of a LoRA adapter\'s base model from Hugging Face'],
    [{ vllm: { model: QWEN, maxModelLen: 8192, loraAdapters: [{ name: QWEN, source: 'org/x' }] } }, `Invalid vllm.loraAdapters[0].name: "${QWEN}". Use 1-128 letters`],
    [{ vllm: { model: QWEN, servedModelName: 'qwen', maxModelLen: 8192, loraAdapters: [{ name: 'qwen', source: 'org/x' }] } }, 'Invalid vllm.loraAdapters[0].name: "qwen". The base model is served under that name already'],
    [{ vllm: { model: QWEN, maxModelLen: 8192, loraAdapters: [adapters[0], { name: 'sql', source: 'org/y' }] } }, 'Invalid vllm.loraAdapters[1].name: "sql". The adapter from "org/sql-lora" is served under that name already'],
    [{ vllm: { model: QWEN, maxModelLen: 8192, loraAdapters: adapters, extraArgs: ['--max-loras=4'] } }, 'Invalid vllm.extraArgs[0]: "--max-loras=4". loraAdapters sets --enable-lora, --lora-modules, --max-loras'],
    [{ vllm: { model: QWEN, maxModelLen: 8192, loraAdapters: [adapters[0]] }, additionalModels: [{ id: 'b', model: 'org/b', servedModelName: 'sql' }] },
      'Invalid additionalModels[0].servedModelName: "sql". vllm.loraAdapters[0] already serves that name, and h2oGPT tells models apart by it: give each model its own (servedModelName).'],
    [{ vllm: { model: QWEN }, additionalModels: [{ id: 'b', model: 'org/b', maxModelLen: 8192, loraAdapters: [{ name: QWEN.split('/')[1], source: 'org/x' }] }, { id: 'c', model: 'org/c', servedModelName: 'Qwen2.5-7B-Instruct' }] },
      'Invalid additionalModels[1].servedModelName: "Qwen2.5-7B-Instruct". additionalModels[0].loraAdapters[0] already serves that name'],
    [{ vllm: { model: QWEN, maxModelLen: 8192 }, additionalModels: [{ id: 'b', model: 'org/b', maxModelLen: 8192, loraAdapters: [{ name: 'x', source: 'org/x' }] }, { id: 'c', model: 'org/c', maxModelLen: 8192, loraAdapters: [{ name: 'x', source: 'org/y' }] }] },
      'Invalid additionalModels[1].loraAdapters[0].name: "x". additionalModels[0].loraAdapters[0] already serves that name, and h2oGPT tells models apart by it: give the adapter a name of its own.'],
  ] as Array<[Partial<H2oGptStackProps>, string]>)('%j is refused', (props, message) => {
    expect(stackError(props)).toContain(message);
  });
});

test('a gated base model\'s adapters: h2oGPT needs a token for the tokenizer, and is told so until it has one', () => {
  const warningsOf = (h2ogpt: object) => {
    const { app, chart } = newChart();
    new H2oGptStack(chart, 's', {
      name: 'chat', h2ogpt,
      vllm: { model: 'meta-llama/Llama-3.1-8B-Instruct', maxModelLen: 8192, huggingFaceToken: TOKEN, loraAdapters: [{ name: 'sql', source: 'org/sql' }] },
    });
    return Warnings.of(app).map((w) => w.message).filter((m) => m.includes('give h2oGPT a token'));
  };
  expect(warningsOf({})).toHaveLength(1);
  expect(warningsOf({ env: { HUGGING_FACE_HUB_TOKEN: EnvironmentValue.fromSecret(TOKEN) } })).toEqual([]);
});

test('check reads both templates of a LeaderWorkerSet, names each, and catches the wait-loop trap in a worker', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cdk8s-h2ogpt-multi-node-check-'));
  try {
    const objects = groupStack({ mesh: MeshMode.istioSidecar() });
    const file = join(dir, 'group.yaml');
    const write = () => writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
    write();
    const clean = await cli(['check', '--mesh', 'istio-sidecar', file]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/^LeaderWorkerSet chat-vllm-group \(leaderTemplate\): OK/m);
    expect(clean.stdout).toMatch(/^LeaderWorkerSet chat-vllm-group \(workerTemplate\): OK/m);
    // A worker that waits for its leader in an init container, under a mesh that injects it.
    const worker = workerOf(objects);
    worker.metadata.labels['sidecar.istio.io/inject'] = 'true';
    worker.spec.initContainers = [{ name: 'wait-for-leader', image: 'busybox:1.36.1', command: ['sh', '-c', 'until nc -z chat-vllm-group-0.chat-vllm-group 6379; do sleep 2; done'] }];
    write();
    const trapped = await cli(['check', '--mesh', 'istio-sidecar', file]);
    expect(trapped.code).toBe(1);
    expect(trapped.stdout).toMatch(/^LeaderWorkerSet chat-vllm-group \(workerTemplate\): DEADLOCK/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a mesh dataplane with no known way for a group\'s traffic refuses nodes, naming the reason and the way out', () => {
  // The refusal path, with Linkerd's native-sidecar entry taken away for this test only.
  const traffic = LINKERD.groupTraffic as Partial<Record<Dataplane, unknown>>;
  const entry = traffic[Dataplane.NATIVE_SIDECAR];
  delete traffic[Dataplane.NATIVE_SIDECAR];
  try {
    expect(errorOf((chart) => new VllmServer(chart, 'v', { name: 'big', model: 'm', nodes: 2, mesh: MeshMode.linkerdNativeSidecar() })).message)
      .toBe('Invalid nodes: 2. Linkerd native sidecar, mTLS strict has no way known to this library to keep a group\'s Ray and NCCL traffic out of its proxy: '
        + 'serve the model on one node (nodes: 1), or run the stack in another mesh mode.');
  } finally {
    traffic[Dataplane.NATIVE_SIDECAR] = entry;
  }
  expect(synth((chart) => new VllmServer(chart, 'v', { name: 'big', model: 'm', nodes: 2, mesh: MeshMode.linkerdNativeSidecar() }))
    .some((o) => o.kind === 'LeaderWorkerSet')).toBe(true);
});

describe('a group as its next owner finds it: names, policies, spread, the pod API, warnings', () => {
  test('an additional model cannot take a name a server\'s group takes', () => {
    for (const [ids, message] of [
      [['group'], 'Invalid additionalModels[0].id: "group". "chat-vllm-group" is a name the first vLLM server takes for its multi-node group'],
      [['group-0'], 'Invalid additionalModels[0].id: "group-0". "chat-vllm-group-0" is a name the first vLLM server takes'],
      [['coder', 'coder-group-1'], 'Invalid additionalModels[1].id: "coder-group-1". "chat-vllm-coder-group-1" is a name additionalModels[0] takes'],
    ] as Array<[string[], string]>) {
      expect(errorOf((chart) => new H2oGptStack(chart, 's', { name: 'chat', vllm: { model: 'm' }, additionalModels: ids.map((id) => ({ id, model: 'c' })) })).message)
        .toContain(message);
    }
  });

  test('a model across nodes in a further model: its id has room for the group, or the error says how much', () => {
    expect(errorOf((chart) => new H2oGptStack(chart, 's', { name: 'chat', vllm: { model: 'm' }, additionalModels: [{ id: 'a'.repeat(33), model: 'c', nodes: 2 }] })).message)
      .toMatch(/^Invalid additionalModels\[0\]\.id: "a{33}"\. This model serves across nodes \(additionalModels\[0\]\.nodes\), .* use at most 32 characters, or a shorter stack name\.$/);
  });

  test('with replicas 0 the first group still has its policy; two groups, a disruption budget of one pod', () => {
    const scaledToZero = groupStack({ vllm: { model: LLAMA_405B, replicas: 0 } });
    expect(scaledToZero.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name)).toEqual(['chat-vllm', 'chat-vllm-group-0', 'chat']);
    expect(crossObjectProblems(scaledToZero, { secrets: ['hf-token'] })).toEqual([]);
    const budget = find(groupStack({ vllm: { model: LLAMA_405B, replicas: 2 } }), 'PodDisruptionBudget', 'chat-vllm');
    expect(budget.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'vllm', 'app.kubernetes.io/instance': 'chat' } } });
  });

  test('every pod of a group spreads across nodes by its own group, softly', () => {
    const objects = groupStack();
    for (const template of [leaderOf(objects), workerOf(objects)]) {
      expect(template.spec.topologySpreadConstraints).toEqual([{
        maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: { 'leaderworkerset.sigs.k8s.io/name': 'chat-vllm-group' } }, matchLabelKeys: ['leaderworkerset.sigs.k8s.io/group-key'],
      }]);
    }
  });

  test('addContainer reaches every pod of a group; deployment names leaderWorkerSet; the scale target is the set', () => {
    const { chart } = newChart();
    const server = new VllmServer(chart, 'v', { name: 'big', model: 'm', nodes: 2 });
    server.addContainer({ name: 'log-shipper', image: 'fluent/fluent-bit:3.1.9' });
    expect(() => server.addContainer({ name: 'log-shipper', image: 'x:1' })).toThrow(/already has a container of that name/);
    const objects = Testing.synth(chart) as Manifest[];
    const set = find(objects, 'LeaderWorkerSet', 'big-group').spec.leaderWorkerTemplate;
    for (const template of [set.leaderTemplate, set.workerTemplate]) {
      const added = template.spec.containers.find((c: any) => c.name === 'log-shipper');
      expect(added.securityContext).toEqual(template.spec.containers[0].securityContext);
    }
    expect(() => server.deployment).toThrow('runs as a LeaderWorkerSet (nodes > 1), not a Deployment: read leaderWorkerSet');
    expect(server.scaleTarget).toEqual({ apiVersion: LWS, kind: 'LeaderWorkerSet', name: 'big-group' });
  });

  test('warnings: no NetworkPolicy around a group outside the mesh; an unknown namespace in ambient; a mesh label without mesh; a shared claim without a class', () => {
    const stackWarnings = (props: Partial<H2oGptStackProps>) => {
      const { app, chart } = newChart();
      new H2oGptStack(chart, 's', { name: 'chat', vllm: { model: 'm', nodes: 2 }, ...props });
      return Warnings.of(app).map((w) => w.message);
    };
    expect(stackWarnings({ mesh: MeshMode.linkerdSidecar(), trafficPolicy: { networkPolicies: false } }).join('\n'))
      .toMatch(/networkPolicies is off, and the pods of chat-vllm-group talk over Ray and NCCL outside the mesh: nothing fences Ray's ports/);
    // Ambient carries the group: with no NetworkPolicy, only the identity check is left, for that ServiceAccount in any namespace.
    const ambientOpen = stackWarnings({ mesh: MeshMode.istioAmbient(), trafficPolicy: { networkPolicies: false } }).join('\n');
    expect(ambientOpen).toMatch(/networkPolicies is off, so only the mesh's identity check fences Ray's ports on the pods of chat-vllm-group, .*ServiceAccount "chat-vllm" in any namespace does/);
    expect(ambientOpen).toMatch(/to the pods of chat-vllm's group on every port; with networkPolicies off, nothing else keeps them out/);
    expect(ambientOpen).not.toMatch(/NetworkPolicy still admits|only its NetworkPolicy/);
    expect(stackWarnings({ mesh: MeshMode.istioAmbient() }).join('\n'))
      .toMatch(/admits ServiceAccount "chat-vllm" of any namespace to the pods of chat-vllm's group on every port; only its NetworkPolicy keeps/);
    // A further model's group is named in the warnings too.
    const twoGroups = stackWarnings({ mesh: MeshMode.istioAmbient(), additionalModels: [{ id: 'coder', model: 'c', nodes: 2, modelCache: ModelCache.ephemeral() }] }).join('\n');
    expect(twoGroups).toMatch(/to the pods of chat-vllm-coder's group on every port/);
    expect(stackWarnings({}).join('\n')).toMatch(/the 2 pods of each group of chat-vllm mount one ReadWriteMany model-cache claim, which the cluster's default storage class may not offer/);

    const { app, chart } = newChart();
    new VllmServer(chart, 'v', { name: 'big', model: 'm', nodes: 2, podLabels: { 'sidecar.istio.io/inject': 'true' } });
    expect(Warnings.of(app).map((w) => w.message).join('\n')).toMatch(/the pod metadata names a service mesh \(sidecar.istio.io\/inject\), but mesh is not set/);
  });

  test('the Helm chart\'s notes name the group', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cdk8s-h2ogpt-multi-node-helm-'));
    try {
      const result = await cli(['synth', '--nodes', '2', '--format', 'helm', '--out', join(dir, 'chart')]);
      expect(result.code).toBe(0);
      expect(readFileSync(join(dir, 'chart', 'templates', 'NOTES.txt'), 'utf8')).toMatch(/^h2oGPT "h2ogpt" with vLLM "h2ogpt-vllm-group", in namespace/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('H2oGpt built by hand refuses a further server whose model is named as an adapter it already lists', () => {
  const message = errorOf((chart) => {
    const vllm = new VllmServer(chart, 'v', { name: 'v', model: 'Qwen/Qwen2.5-7B-Instruct', maxModelLen: 8192, loraAdapters: [{ name: 'sql', source: 'org/sql' }] });
    const other = VllmEndpoint.fromUrl('http://other.ai.svc:8000', { servedModelName: 'sql' });
    return new H2oGpt(chart, 'h', { name: 'h', vllm, additionalVllm: [other] });
  }).message;
  expect(message).toBe('Invalid additionalVllm[0].servedModelName: "sql". vllm.loraAdapters.names[0] already serves that name, and h2oGPT tells models apart by it: give each server its own servedModelName.');
});
