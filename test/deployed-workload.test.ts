import { Testing } from 'cdk8s';
import { DeployedWorkload, H2oGpt, H2oGptStack, ModelCache, VllmServer } from '../src/internal';
import { container, errorOf, find, newChart, podSpec, synth } from './helpers';
import { schemaProblems } from './support/conformance';

// Issue #25, one way to build a pod: both workloads are a DeployedWorkload, whose pod stays open
// until synthesis (addContainer, addVolume, markHasAutoscaler) with no patch of what it wrote.

const SHIPPER = { name: 'log-shipper', image: 'example.com/shipper@sha256:' + 'a'.repeat(64), volumeMounts: [{ name: 'logs', mountPath: '/logs' }] };

describe('the shared base', () => {
  test('both workloads are one, and the fields they share come from it', () => {
    const { chart } = newChart('ai');
    const vllm = new VllmServer(chart, 'vllm', { name: 'chat-vllm', model: 'm/m', replicas: 2, modelCache: ModelCache.ephemeral(), serviceAccountName: 'existing-sa' });
    const front = new H2oGpt(chart, 'front', { name: 'chat', vllm });
    expect(vllm).toBeInstanceOf(DeployedWorkload);
    expect(front).toBeInstanceOf(DeployedWorkload);
    expect([vllm.name, vllm.namespace, vllm.serviceAccountName]).toEqual(['chat-vllm', 'ai', 'existing-sa']);
    expect(vllm.serviceAccount).toBeUndefined();
    expect(front.serviceAccount?.name).toBe('chat');
    expect([front.serviceAccountName, front.disruptionBudget]).toEqual(['chat', undefined]);
    expect(vllm.selectorLabels).toEqual({ 'app.kubernetes.io/name': 'vllm', 'app.kubernetes.io/instance': 'chat-vllm' });
    expect(front.labels['app.kubernetes.io/component']).toBe('frontend');
    expect(vllm.deployment.name).toBe('chat-vllm');
  });
});

describe('a pod open until synthesis', () => {
  test('addContainer and addVolume join the pod after construction, after the workload\'s own', () => {
    const objects = synth((chart) => {
      const vllm = new VllmServer(chart, 'vllm', { name: 'chat-vllm', model: 'm/m' });
      vllm.addVolume({ name: 'logs', emptyDir: {} });
      vllm.addContainer(SHIPPER);
    });
    const spec = podSpec(find(objects, 'Deployment', 'chat-vllm'));
    expect(spec.containers.map((c: any) => c.name)).toEqual(['vllm', 'log-shipper']);
    expect(spec.volumes.map((v: any) => v.name)).toEqual(['model-cache', 'dshm', 'home', 'tmp', 'logs']);
    for (const object of objects) expect(schemaProblems(object)).toEqual([]);
  });

  test('an added container without a securityContext gets the main container\'s; one with its own keeps it', () => {
    const objects = synth((chart) => {
      const vllm = new VllmServer(chart, 'vllm', { name: 'chat-vllm', model: 'm/m' });
      const front = new H2oGpt(chart, 'front', { name: 'chat', vllm });
      vllm.addContainer({ name: 'plain', image: 'x' });
      front.addContainer({ name: 'own', image: 'x', securityContext: { runAsUser: 4242 } });
    });
    const vllmDeployment = find(objects, 'Deployment', 'chat-vllm');
    expect(container(vllmDeployment, 'plain').securityContext).toEqual(container(vllmDeployment, 'vllm').securityContext);
    expect(container(vllmDeployment, 'plain').securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(container(find(objects, 'Deployment', 'chat'), 'own').securityContext).toEqual({ runAsUser: 4242 });
  });

  test('a stack\'s workloads take additions too, and the stack still synthesizes', () => {
    const { app, chart } = newChart('ai');
    const stack = new H2oGptStack(chart, 'stack', { name: 'chat', vllm: { model: 'm/m' } });
    stack.h2ogpt.addContainer({ name: 'sidecar', image: 'x' });
    const objects = Testing.synth(chart) as any[];
    expect(podSpec(find(objects, 'Deployment', 'chat')).containers.map((c: any) => c.name)).toEqual(['h2ogpt', 'sidecar']);
    expect(() => app.synth()).not.toThrow();
  });

  test('a name already in the pod is refused, naming the method and the name, init containers included', () => {
    const names = (build: (vllm: VllmServer, front: H2oGpt) => void) => errorOf((chart) => {
      const vllm = new VllmServer(chart, 'vllm', { name: 'chat-vllm', model: 'm/m' });
      build(vllm, new H2oGpt(chart, 'front', { name: 'chat', vllm }));
    }).message;
    expect(names((vllm) => vllm.addContainer({ name: 'vllm', image: 'x' }))).toBe('Invalid addContainer: "vllm". The pod of chat-vllm already has a container of that name: pick another.');
    expect(names((_, front) => front.addContainer({ name: 'wait-for-vllm', image: 'x' }))).toMatch(/^Invalid addContainer: "wait-for-vllm"\. The pod of chat already/);
    expect(names((_, front) => front.addContainer({ name: 'prepare-workspace', image: 'x' }))).toMatch(/^Invalid addContainer: "prepare-workspace"/);
    expect(names((vllm) => vllm.addVolume({ name: 'tmp', emptyDir: {} }))).toBe('Invalid addVolume: "tmp". The pod of chat-vllm already has a volume of that name: pick another.');
    expect(names((vllm) => vllm.addContainer({ image: 'x' } as any))).toMatch(/^Invalid addContainer: "\(no name\)"\. Give a container with a name/);
    expect(names((vllm) => vllm.addVolume(undefined as any))).toMatch(/^Invalid addVolume: undefined\. Give a volume with a name/);
  });

  test('markHasAutoscaler drops the replica count at synthesis, whenever it is called', () => {
    const { chart } = newChart();
    const vllm = new VllmServer(chart, 'vllm', { name: 'chat-vllm', model: 'm/m', replicas: 3, modelCache: ModelCache.ephemeral() });
    expect(vllm.hasAutoscaler).toBe(false);
    const before = Testing.synth(chart) as any[];
    expect(find(before, 'Deployment', 'chat-vllm').spec.replicas).toBe(3);
    vllm.markHasAutoscaler();
    const after = Testing.synth(chart) as any[];
    expect(vllm.hasAutoscaler).toBe(true);
    expect(find(after, 'Deployment', 'chat-vllm').spec).not.toHaveProperty('replicas');
    // The spread and the budget stay sized for the most the autoscaler may set.
    expect(podSpec(find(after, 'Deployment', 'chat-vllm')).topologySpreadConstraints).toHaveLength(1);
    expect(find(after, 'PodDisruptionBudget', 'chat-vllm').spec.maxUnavailable).toBe(1);
  });
});
