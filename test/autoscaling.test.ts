import { readdirSync, readFileSync, statSync } from 'fs';
import { join } from 'path';
import {
  H2oGpt, H2oGptStack, H2oGptStackProps, MeshMode, ModelCache, ModelCacheAccessMode, VllmServer,
} from '../src/internal';
import { allModeVariants } from '../src/startup/decision-table';
import { find, Manifest, synth } from './helpers';
import { crossObjectProblems, schemaProblems } from './support/conformance';

// Issue #14, autoscaling: vLLM on its queue with KEDA, never past the GPUs the user says exist,
// with windows that respect the model's load time; h2oGPT on CPU, with sticky sessions.

const RWX = ModelCache.newClaim({ accessMode: ModelCacheAccessMode.READ_WRITE_MANY, storageClassName: 'nfs' });

function build(props: Partial<H2oGptStackProps>): { objects: Manifest[]; stack: H2oGptStack } {
  let stack: H2oGptStack | undefined;
  const objects = synth((chart) => {
    stack = new H2oGptStack(chart, 'stack', { name: 'chat', namespace: 'ai', monitoring: {}, ...props, vllm: { model: 'm/m', modelCache: RWX, ...props.vllm } });
  });
  return { objects, stack: stack! };
}

describe('vLLM on its queue', () => {
  test('a KEDA ScaledObject on vllm:num_requests_waiting, min and max from props, windows of the model\'s load time, and no replica count in the Deployment', () => {
    const { objects, stack } = build({ vllm: { model: 'm/m', gpus: 2, startupProbeBudgetSeconds: 1200 }, autoscaling: { vllmMinReplicas: 2, vllmMaxReplicas: 4, availableGpus: 8, waitingRequestsPerReplica: 3 } });
    const scaled = find(objects, 'ScaledObject', 'chat-vllm');
    expect(scaled.apiVersion).toBe('keda.sh/v1alpha1');
    expect(scaled.spec).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'chat-vllm' },
      minReplicaCount: 2,
      maxReplicaCount: 4,
      triggers: [{
        type: 'prometheus',
        metadata: {
          serverAddress: 'http://prometheus-operated.monitoring.svc:9090',
          query: 'sum(vllm:num_requests_waiting{namespace="ai", pod=~"chat-vllm-[a-z0-9]+-[a-z0-9]+"})',
          threshold: '3',
        },
      }],
    });
    expect(scaled.spec.advanced.horizontalPodAutoscalerConfig.behavior).toEqual({
      scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 1, periodSeconds: 1200 }] },
      scaleDown: { stabilizationWindowSeconds: 1200, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] },
    });
    const deployment = find(objects, 'Deployment', 'chat-vllm');
    expect(deployment.spec.replicas).toBeUndefined();
    // Sized for the most replicas: spread over nodes, drained one at a time.
    expect(deployment.spec.template.spec.topologySpreadConstraints).toHaveLength(1);
    expect(find(objects, 'PodDisruptionBudget', 'chat-vllm').spec.maxUnavailable).toBe(1);
    expect(deployment.spec.template.spec.containers[0].resources.limits['nvidia.com/gpu']).toBe(2);
    expect(stack.autoscalers.map((o) => o.kind)).toEqual(['ScaledObject']);
    expect(schemaProblems(scaled)).toEqual([]);
  });

  test('never past the GPUs that exist; never without Prometheus; never on a claim only one node can mount', () => {
    expect(() => build({ vllm: { model: 'm/m', gpus: 4 }, autoscaling: { vllmMaxReplicas: 3, availableGpus: 8 } }))
      .toThrow(/^Invalid autoscaling\.vllmMaxReplicas: 3\. 3 replicas x 4 GPU\(s\) each need 12 GPUs, more than availableGpus \(8\): use at most 2/);
    expect(() => build({ vllm: { model: 'm/m', gpus: 4 }, autoscaling: { vllmMaxReplicas: 1, availableGpus: 2 } }))
      .toThrow(/^Invalid autoscaling\.vllmMaxReplicas: 1\. 1 replicas x 4 GPU\(s\) each need 4 GPUs, more than availableGpus \(2\): not even one replica fits; raise availableGpus if the cluster has 4 or more/);
    expect(() => build({ monitoring: undefined, autoscaling: { vllmMaxReplicas: 2 } }))
      .toThrow(/^Invalid autoscaling\.vllmMaxReplicas: \d+\. vLLM's autoscaler reads vllm:num_requests_waiting from Prometheus: set monitoring/);
    expect(() => build({ vllm: { model: 'm/m', modelCache: ModelCache.newClaim() }, autoscaling: { vllmMaxReplicas: 2 } }))
      .toThrow(/^Invalid autoscaling\.vllmMaxReplicas: 2\. New replicas land on other nodes, which cannot mount a ReadWriteOnce model-cache claim \(vllm\.modelCache\)/);
    expect(() => build({ vllm: { model: 'm/m', replicas: 2 }, autoscaling: { vllmMaxReplicas: 3 } }))
      .toThrow(/^Invalid vllm\.replicas: 2\. The autoscaler owns vLLM's replica count/);
  });

  test.each([
    [{ vllmMaxReplicas: 0 }, /^Invalid autoscaling\.vllmMaxReplicas: 0\./],
    [{ vllmMaxReplicas: 2, vllmMinReplicas: 3 }, /^Invalid autoscaling\.vllmMinReplicas: 3\./],
    [{ vllmMaxReplicas: 2, prometheusAddress: 'prometheus:9090' }, /^Invalid autoscaling\.prometheusAddress: "prometheus:9090"\. Use Prometheus's HTTP address/],
    [{ availableGpus: 4 }, /^Invalid autoscaling\.availableGpus: 4\. It applies to vLLM's autoscaler: set vllmMaxReplicas too/],
    [{ h2ogptCpuUtilizationPercent: 50 }, /^Invalid autoscaling\.h2ogptCpuUtilizationPercent: 50\. It applies to h2oGPT's autoscaler/],
  ])('%j is refused, naming the field', (autoscaling, message) => {
    expect(() => build({ autoscaling })).toThrow(message);
  });
});

describe('h2oGPT on CPU', () => {
  test('a HorizontalPodAutoscaler, with sticky sessions for the replicas it may add', () => {
    const { objects } = build({ mesh: MeshMode.istioSidecar(), autoscaling: { h2ogptMaxReplicas: 5, h2ogptCpuUtilizationPercent: 60 } });
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'chat');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'chat' },
      minReplicas: 1, maxReplicas: 5,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }],
    });
    expect(find(objects, 'Deployment', 'chat').spec.replicas).toBeUndefined();
    expect(find(objects, 'DestinationRule', 'chat').spec.trafficPolicy.portLevelSettings[0].loadBalancer.consistentHash.httpCookie.name).toBe('h2ogpt-session');
    expect(schemaProblems(hpa)).toEqual([]);
  });

  test('under Linkerd, which cannot keep sessions, more than one h2oGPT replica is refused, naming the autoscaler\'s field', () => {
    expect(() => build({ mesh: MeshMode.linkerdSidecar(), autoscaling: { h2ogptMaxReplicas: 3 } }))
      .toThrow(/^Invalid autoscaling\.h2ogptMaxReplicas: 3\. Under Linkerd, its proxies balance every request across replicas by latency, and only an ingress that picks pods itself .*\. Keep h2oGPT at one replica, or Istio or no mesh for several\.$/);
  });
});

test.each(allModeVariants().map((m) => [m.describe(), m] as const))('%s: monitored and autoscaled together, every object validates and the pods can start', (_label, mesh) => {
  const linkerd = mesh.describe().startsWith('Linkerd');
  const { objects, stack } = build({ mesh, autoscaling: { vllmMaxReplicas: 3, availableGpus: 3, h2ogptMaxReplicas: linkerd ? 1 : 3 } });
  expect(stack.autoscalers.map((o) => o.kind)).toEqual(['ScaledObject', 'HorizontalPodAutoscaler']);
  for (const o of objects) expect(schemaProblems(o)).toEqual([]);
  expect(crossObjectProblems(objects)).toEqual([]);
});

describe('a Deployment leaves its replica count to an autoscaler, without patching what the library wrote', () => {
  test('markHasAutoscaler on a hand-built VllmServer or H2oGpt drops spec.replicas, keeps the spread sized for the most replicas', () => {
    const objects = synth((chart) => {
      const vllm = new VllmServer(chart, 'vllm', { name: 'v', model: 'm/m', replicas: 3, modelCache: RWX });
      const h2ogpt = new H2oGpt(chart, 'h2ogpt', { name: 'h', vllm, replicas: 2 });
      const fixed = new VllmServer(chart, 'fixed', { name: 'f', model: 'm/m', replicas: 2, modelCache: RWX });
      expect([vllm.hasAutoscaler, h2ogpt.hasAutoscaler]).toEqual([false, false]);
      vllm.markHasAutoscaler();
      h2ogpt.markHasAutoscaler();
      expect([vllm.hasAutoscaler, h2ogpt.hasAutoscaler, fixed.hasAutoscaler]).toEqual([true, true, false]);
    });
    for (const name of ['v', 'h']) {
      const spec = find(objects, 'Deployment', name).spec;
      expect(spec).not.toHaveProperty('replicas');
      expect(spec.template.spec.topologySpreadConstraints).toHaveLength(1);
    }
    expect(find(objects, 'Deployment', 'f').spec.replicas).toBe(2);
  });

  test('src/ holds no JSON patch: every field is written by the construct that owns it', () => {
    const sources = (dir: string): string[] => readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : [];
    });
    expect(sources(join(__dirname, '..', 'src')).filter((file) => /JsonPatch|addJsonPatch/.test(readFileSync(file, 'utf8')))).toEqual([]);
  });
});
