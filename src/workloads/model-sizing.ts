import { ConfigurationError } from '../common/errors';
import { quantityValue } from '../common/checks';

// How big a vLLM pod and its model cache are by default, from its GPUs and its model's size
// (docs/sizing.md): the rule, its reasons and its sources.

const GI = 2 ** 30;

/** Per GPU, the defaults one GPU always had: 4 CPUs, 24Gi requested, 32Gi the limit. */
const CPU_PER_GPU = 4;
const MEMORY_REQUEST_GI_PER_GPU = 24;
const MEMORY_LIMIT_GI_PER_GPU = 32;
/** `/dev/shm` per tensor-parallel rank: 8Gi, what one GPU always had. */
const SHM_GI_PER_RANK = 8;
/** The model cache's default, and the least the default grows from. */
const DEFAULT_CACHE_GI = 100;

/** A vLLM pod's default resources for its GPU count and tensor-parallel size. */
export interface VllmSizing {
  readonly cpuRequest: string;
  readonly memoryRequest: string;
  readonly memoryLimit: string;
  readonly shmSize: string;
}

/**
 * The defaults scale with the pod's GPUs: each GPU runs a worker process of its own, with its
 * own host memory for loading weights and its own CPU threads, so CPU and memory are per GPU.
 * `/dev/shm` carries what the tensor-parallel ranks exchange (PyTorch's shared memory), so it is
 * per rank. At one GPU the result is the defaults of earlier releases.
 */
export function vllmSizing(gpus: number, tensorParallelSize: number): VllmSizing {
  return {
    cpuRequest: String(CPU_PER_GPU * gpus),
    memoryRequest: `${MEMORY_REQUEST_GI_PER_GPU * gpus}Gi`,
    memoryLimit: `${MEMORY_LIMIT_GI_PER_GPU * gpus}Gi`,
    shmSize: `${SHM_GI_PER_RANK * tensorParallelSize}Gi`,
  };
}

/** A model's size: billions of parameters, and the fewest bytes each can plausibly take on disk. */
export interface ModelSize {
  readonly billions: number;
  readonly bytesPerParameter: number;
  /** Where the count came from: the model's name, or a hint. */
  readonly source: string;
}

/**
 * The parameter count a model's name carries, e.g. 70 for `meta-llama/Llama-3.3-70B-Instruct` and
 * 235 for `Qwen/Qwen3-235B-A22B` (the largest count: the total, not the active experts). A name
 * like `Mixtral-8x7B` (experts share layers, so 8 x 7 overstates it) or one with no count gives
 * undefined: no guess.
 */
export function parameterBillionsOfName(model: string): number | undefined {
  const name = model.split('/').pop() ?? model;
  if (/\d+x\d+(\.\d+)?[bB]/.test(name)) return undefined;
  const counts = [...name.matchAll(/(?:^|[^A-Za-z0-9.])[aA]?(\d+(?:\.\d+)?)[bB](?![A-Za-z])/g)].map((m) => Number(m[1]));
  return counts.length > 0 ? Math.max(...counts) : undefined;
}

/**
 * The fewest bytes per parameter the weights can take, from the quantization a name announces:
 * 4-bit (AWQ, GPTQ, Int4, 4bit, NF4, Q4) half a byte, 8-bit (FP8, Int8, 8bit) one, else two
 * (bfloat16 or float16, what `--dtype auto` loads most checkpoints in).
 */
export function bytesPerParameterOfName(model: string): number {
  if (/(awq|gptq|int4|4bit|4-bit|nf4|q4|w4a16|mxfp4)/i.test(model)) return 0.5;
  if (/(fp8|int8|8bit|8-bit|w8a8|w8a16)/i.test(model)) return 1;
  return 2;
}

/** The model's size from a hint such as "70B", or from its name; undefined when neither says. */
export function modelSizeOf(model: string, hint: string | undefined, hintField: string): ModelSize | undefined {
  const bytesPerParameter = bytesPerParameterOfName(model);
  if (hint !== undefined) {
    const match = typeof hint === 'string' ? /^(\d+(?:\.\d+)?)[bB]$/.exec(hint.trim()) : null;
    if (!match || Number(match[1]) <= 0) {
      throw new ConfigurationError(hintField, hint, 'Give the model\'s parameter count in billions with a B, e.g. "70B" or "1.5B".');
    }
    return { billions: Number(match[1]), bytesPerParameter, source: `${hintField} ${hint}` };
  }
  const billions = parameterBillionsOfName(model);
  return billions === undefined ? undefined : { billions, bytesPerParameter, source: `the ${billions}B in its name` };
}

/** The weights' size on disk, in bytes. */
export function weightBytes(size: ModelSize): number {
  return size.billions * 1e9 * size.bytesPerParameter;
}

/**
 * A new cache claim's default size: 100Gi, or for a model that needs more, its weights and a
 * quarter more (the tokenizer, configs, and a second revision being downloaded), in steps of 50Gi.
 */
export function defaultCacheSize(size: ModelSize | undefined): string {
  if (size === undefined) return `${DEFAULT_CACHE_GI}Gi`;
  const needed = Math.ceil((weightBytes(size) * 1.25) / GI / 50) * 50;
  return `${Math.max(DEFAULT_CACHE_GI, needed)}Gi`;
}

/** Whether a cache of this quantity plainly cannot hold the weights. */
export function cacheTooSmall(cacheQuantity: string, size: ModelSize): boolean {
  return quantityValue(cacheQuantity) < weightBytes(size);
}

/** A byte count as GiB with one decimal, e.g. "130.4Gi". */
export function gibibytes(bytes: number): string {
  return `${Math.round((bytes / GI) * 10) / 10}Gi`;
}
