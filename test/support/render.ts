import { H2oGpt, H2oGptStack, MeshMode, StartupRefusedError, StartupStrategy, VllmServer } from '../../src/internal';
import { meshPodMetadata } from '../../src/mesh/pod-metadata';
import { startupWaitFor } from '../../src/startup/decide';
import { Manifest, synth } from '../helpers';

/** The second model of a two-model cell: another server, on another port. */
export const SECOND_MODEL = { id: 'coder', model: 'c', port: 8001 } as const;

/**
 * What the stack synthesizes for a mode and strategy, or, for a refused combination, the same pod
 * rendered anyway: the wait plan the rules judged, without the decision that refuses it. With
 * `models: 2` the stack has a second vLLM server (SECOND_MODEL) behind the same h2oGPT.
 */
export function renderCell(mesh: MeshMode, strategy: StartupStrategy, models: 1 | 2 = 1): { objects: Manifest[]; refused: boolean } {
  const additionalModels = models === 2 ? [SECOND_MODEL] : undefined;
  try {
    return { objects: synth((chart) => new H2oGptStack(chart, 'stack', { name: 'chat', mesh, startupStrategy: strategy, vllm: { model: 'm' }, additionalModels })), refused: false };
  } catch (error) {
    if (!(error instanceof StartupRefusedError)) throw error;
  }
  // The wait the rules judged, rendered anyway.
  const startupWait = startupWaitFor(mesh, strategy, 8000, models === 2 ? [SECOND_MODEL.port] : []);
  const metadata = meshPodMetadata(mesh);
  const objects = synth((chart) => {
    const server = (name: string, instance: string, model: string, port: number) => new VllmServer(chart, name, {
      name, instance, model, port, podLabels: metadata.labels, podAnnotations: metadata.annotations,
    });
    const vllm = server('chat-vllm', 'chat', 'm', 8000);
    new H2oGpt(chart, 'h2ogpt', {
      name: 'chat', vllm,
      additionalVllm: models === 2 ? [server(`chat-vllm-${SECOND_MODEL.id}`, `chat-${SECOND_MODEL.id}`, SECOND_MODEL.model, SECOND_MODEL.port)] : undefined,
      startupWait,
      podLabels: metadata.labels,
      podAnnotations: metadata.annotations,
    });
  });
  return { objects, refused: true };
}
