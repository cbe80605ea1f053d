import { H2oGpt, H2oGptStack, MeshMode, StartupRefusedError, StartupStrategy, StartupWait, StartupWaitKind, VllmServer } from '../../src/internal';
import { meshPodMetadata } from '../../src/mesh/pod-metadata';
import { waitPlan } from '../../src/startup/decide';
import { Manifest, synth } from '../helpers';

/**
 * What the stack synthesizes for a mode and strategy, or, for a refused combination, the same pod
 * rendered anyway: the wait plan the rules judged, without the decision that refuses it.
 */
export function renderCell(mesh: MeshMode, strategy: StartupStrategy): { objects: Manifest[]; refused: boolean } {
  try {
    return { objects: synth((chart) => new H2oGptStack(chart, 'stack', { name: 'chat', mesh, startupStrategy: strategy, vllm: { model: 'm' } })), refused: false };
  } catch (error) {
    if (!(error instanceof StartupRefusedError)) throw error;
  }
  const plan = waitPlan(mesh, strategy, 8000);
  const metadata = meshPodMetadata(mesh);
  const objects = synth((chart) => {
    const vllm = new VllmServer(chart, 'vllm', { name: 'chat-vllm', model: 'm', podLabels: metadata.labels, podAnnotations: metadata.annotations });
    new H2oGpt(chart, 'h2ogpt', {
      name: 'chat', vllm,
      startupWait: plan.kind === StartupWaitKind.INIT_CONTAINER ? StartupWait.initContainer({ runAsUser: plan.initContainerUid })
        : plan.kind === StartupWaitKind.IN_APP ? StartupWait.inApp() : StartupWait.none(),
      podLabels: metadata.labels,
      podAnnotations: { ...metadata.annotations, ...plan.annotations },
    });
  });
  return { objects, refused: true };
}
