import { k8s } from 'cdk8s-plus-28';
import { literalForKubernetes } from '../common/checks';
import { SecretKeyReference } from '../common/secret-key-reference';
import { secretEnv } from './pod-helpers';

// vLLM's command line and environment, as pure functions of checked props (docs/app-facts.md).

/** Where the model cache is mounted; vLLM downloads weights into it. */
export const MODEL_CACHE_PATH = '/models';
/** vLLM's HOME: an emptyDir, because the root file system is read-only. */
export const VLLM_HOME = '/home/vllm';

/** What vLLM's arguments are built from, every value already checked. */
export interface VllmArgsInput {
  readonly model: string;
  readonly servedModelName: string;
  readonly port: number;
  readonly tensorParallelSize: number;
  readonly gpuMemoryUtilization: number;
  readonly maxModelLen?: number;
  /** Pipeline-parallel ranks: one per node of a multi-node group. */
  readonly pipelineParallelSize?: number;
  /** LoRA adapters served beside the model, each under its own name. */
  readonly loraAdapters?: ReadonlyArray<{ readonly name: string; readonly source: string }>;
  /** Appended last, as given. */
  readonly extraArgs: string[];
}

/** The vLLM arguments the library sets for LoRA adapters: `extraArgs` may not repeat them. */
export const LORA_ARGS = ['--enable-lora', '--lora-modules', '--max-loras'];

/** `vllm serve`'s arguments. User strings are literals: Kubernetes would expand a $(VAR) in them (literalForKubernetes). */
export function vllmArgs(input: VllmArgsInput): string[] {
  return [
    '--model', literalForKubernetes(input.model),
    '--served-model-name', literalForKubernetes(input.servedModelName),
    '--port', String(input.port),
    '--tensor-parallel-size', String(input.tensorParallelSize),
    '--gpu-memory-utilization', String(input.gpuMemoryUtilization),
    '--download-dir', MODEL_CACHE_PATH,
    ...(input.maxModelLen !== undefined ? ['--max-model-len', String(input.maxModelLen)] : []),
    // Across nodes, by Ray: tensor parallel within a node, pipeline parallel across (docs/group-facts.md §3).
    ...(input.pipelineParallelSize !== undefined && input.pipelineParallelSize > 1
      ? ['--pipeline-parallel-size', String(input.pipelineParallelSize), '--distributed-executor-backend', 'ray'] : []),
    // Every adapter fits in one batch: --max-loras is how many a batch may mix (docs/group-facts.md §5).
    ...(input.loraAdapters !== undefined && input.loraAdapters.length > 0
      ? ['--enable-lora', '--max-loras', String(input.loraAdapters.length),
        '--lora-modules', ...input.loraAdapters.map((a) => literalForKubernetes(`${a.name}=${a.source}`))]
      : []),
    ...input.extraArgs.map(literalForKubernetes),
  ];
}

/** What vLLM's environment is built from. */
export interface VllmEnvInput {
  readonly usageStats: boolean;
  readonly offline: boolean;
  readonly huggingFaceToken?: SecretKeyReference;
  readonly apiKey?: SecretKeyReference;
}

/** vLLM's environment before the user's `env`: its caches, its telemetry and its Secrets. */
export function vllmEnv(input: VllmEnvInput): k8s.EnvVar[] {
  return [
    // Weights on the claim; every other cache under HOME (an emptyDir): the root is read-only.
    { name: 'HF_HOME', value: `${MODEL_CACHE_PATH}/huggingface` },
    { name: 'HOME', value: VLLM_HOME },
    // getpass.getuser() (torch inductor, triton) reads USER before the passwd file, which has no
    // entry for an arbitrary UID.
    { name: 'USER', value: 'vllm' },
    { name: 'XDG_CACHE_HOME', value: `${VLLM_HOME}/.cache` },
    { name: 'XDG_CONFIG_HOME', value: `${VLLM_HOME}/.config` },
    { name: 'VLLM_CACHE_ROOT', value: `${VLLM_HOME}/.cache/vllm` },
    { name: 'VLLM_CONFIG_ROOT', value: `${VLLM_HOME}/.config/vllm` },
    { name: 'TORCH_HOME', value: `${VLLM_HOME}/.cache/torch` },
    { name: 'TORCHINDUCTOR_CACHE_DIR', value: `${VLLM_HOME}/.cache/torchinductor` },
    { name: 'TRITON_CACHE_DIR', value: `${VLLM_HOME}/.cache/triton` },
    { name: 'NUMBA_CACHE_DIR', value: `${VLLM_HOME}/.cache/numba` },
    { name: 'TMPDIR', value: '/tmp' },
    ...(input.usageStats ? [] : [
      { name: 'VLLM_NO_USAGE_STATS', value: '1' },
      { name: 'DO_NOT_TRACK', value: '1' },
      { name: 'HF_HUB_DISABLE_TELEMETRY', value: '1' },
    ]),
    ...(input.offline ? [{ name: 'HF_HUB_OFFLINE', value: '1' }] : []),
    ...(input.huggingFaceToken ? [secretEnv('HF_TOKEN', input.huggingFaceToken)] : []),
    ...(input.apiKey ? [secretEnv('VLLM_API_KEY', input.apiKey)] : []),
  ];
}
