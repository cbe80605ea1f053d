import {
  analyzeObjects, H2oGptStack, H2oGptStackProps, MeshMode, ModelCache, ModelCacheAccessMode, MtlsMode, SecretKeyReference, VllmServer, Warnings,
} from '../src/internal';
import { allModeVariants } from '../src/startup/decision-table';
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
      'bash /vllm-workspace/examples/online_serving/multi-node-serving.sh leader --ray_cluster_size="$LWS_GROUP_SIZE"; exec vllm serve "$@"',
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

  test('more GPUs than a node has, without nodes', () => {
    expect(vllmError({ gpus: 16 })).toBe('Invalid gpus: 16. A pod runs on one node, and a node has at most 8 GPUs: serve the model across nodes with gpus: 8 and nodes: 2 (16 GPUs in all).');
  });

  test('a tensor-parallel size other than a node\'s GPUs across nodes', () => {
    expect(vllmError({ gpus: 8, nodes: 2, tensorParallelSize: 4 })).toMatch(/^Invalid tensorParallelSize: 4\. Across nodes, tensor parallelism spans one node's GPUs .* leave it unset\.$/);
  });

  test('a ReadWriteOnce cache the group cannot share', () => {
    expect(vllmError({ gpus: 8, nodes: 2, modelCache: ModelCache.newClaim({ accessMode: ModelCacheAccessMode.READ_WRITE_ONCE }) }))
      .toMatch(/^Invalid modelCache: "ReadWriteOnce"\. The 2 pods of a group run on 2 nodes, .*ModelCache\.ephemeral\(\)\.$/);
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
