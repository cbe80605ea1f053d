import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  checkBoolean, checkDns1035Label, checkDnsLabel, checkImage, checkByteQuantity, checkInteger, checkNonEmpty, checkPort, quantityValue,
} from '../common/checks';
import { ConfigurationError, HIDDEN_VALUE } from '../common/errors';
import { SecretKeyReference } from '../common/secret-key-reference';
import {
  checkNonRootId, hardenedContainerSecurityContext, restrictedPodSecurityContext, rootPodSecurityContext, scratchVolume,
} from './pod-security';
import { ModelCache } from './model-cache';
import { cacheHoldsOneNode, serverModelCache, SHARED_CACHE_CHOICES } from './server-checks';
import { IVllmWorkload, ServingGroup } from './pod-workload';
import { IVllmEndpoint, ServedLoraAdapters } from './vllm-endpoint';
import { DeployedWorkload, WorkloadPodSpec } from './deployed-workload';
import { platformPodSpec, userEnv, WorkloadOptions } from './workload-options';
import { checkPodMetadata, checkTolerations, credentialShape, nonEmpty, podResources } from './pod-helpers';
import { modelCacheClaimName, NAME_SUFFIXES, roomFor } from '../common/names';
import { MODEL_CACHE_PATH, VLLM_HOME, vllmArgs, vllmEnv } from './vllm-command';
import { cacheTooSmall, defaultCacheSize, gibibytes, modelSizeOf, vllmSizing, weightBytes } from './model-sizing';
import { Warnings } from '../common/warnings';
import { ANNOTATIONS } from '../common/labels';
import { MeshMode, profileOf } from '../mesh/mesh-mode';
import { GroupTrafficChoice, groupPodMetadata, meshKeysIn, meshPodMetadata } from '../mesh/pod-metadata';
import { checkLoraAdapters, isModelSource, LoraAdapter } from './lora-adapter';
import { LORA_ARGS } from './vllm-command';
import {
  DEFAULT_GPUS_PER_NODE, GROUP_NAME_ROOM, GROUP_NAME_SUFFIX, groupLeaderCommand, groupSpread, groupWorkerCommand, LWS_POD_LABELS,
} from './vllm-group';

/** The vLLM OpenAI-compatible server image, pinned. */
export const DEFAULT_VLLM_IMAGE = 'vllm/vllm-openai:v0.11.0';
/** vLLM's default port. */
export const DEFAULT_VLLM_PORT = 8000;
/** Name of vLLM's container port (the Service and probes refer to it). */
export const VLLM_PORT_NAME = 'http';
/** vLLM's health endpoint: 200 once the engine is up. */
export const VLLM_HEALTH_PATH = '/health';
/** The UID and GID vLLM runs as by default, as KServe's Hugging Face runtime does. */
export const DEFAULT_VLLM_UID = 1000;
export { MODEL_CACHE_PATH, VLLM_HOME };

/** Options of a vLLM server; `VllmServerProps` adds its name. */
export interface VllmServerOptions extends WorkloadOptions {
  /** Hugging Face model id, e.g. "Qwen/Qwen2.5-1.5B-Instruct". */
  readonly model: string;
  /**
   * Name clients use for the model.
   * @default the model id
   */
  readonly servedModelName?: string;
  /**
   * GPUs per pod (`nvidia.com/gpu` limit), at most one node's (`gpusPerNode`). A model larger
   * than one node takes `nodes` too.
   * @default 1
   */
  readonly gpus?: number;
  /**
   * GPUs one node offers (`nvidia.com/gpu` allocatable): a pod asks for at most this many.
   * @default 8, as the usual GPU servers have
   */
  readonly gpusPerNode?: number;
  /**
   * Nodes that serve the model together. Above 1 the server is a LeaderWorkerSet group of this
   * many pods, each with `gpus` GPUs, spread across nodes: tensor parallel within each pod,
   * pipeline parallel across them, over Ray (README, "Larger than one node").
   * @default 1: one Deployment pod
   */
  readonly nodes?: number;
  /**
   * Memory of one GPU, with a unit, to warn when the model's weights plainly cannot fit the
   * GPUs of a pod (or of a group).
   * @default "80Gi" (an 80 GB A100 or H100)
   */
  readonly gpuMemory?: string;
  /**
   * LoRA adapters served beside the model, each under its own name; h2oGPT lists each as a model
   * of this server. Each is downloaded with the model's token into the model cache.
   * @default none
   */
  readonly loraAdapters?: LoraAdapter[];
  /**
   * `--tensor-parallel-size`; at most `gpus`, and equal to it with `nodes` above 1.
   * @default gpus
   */
  readonly tensorParallelSize?: number;
  /**
   * `--max-model-len`.
   * @default the model's own context length
   */
  readonly maxModelLen?: number;
  /**
   * `--gpu-memory-utilization`, in (0, 1].
   * @default 0.9
   */
  readonly gpuMemoryUtilization?: number;
  /**
   * More vLLM arguments, appended last.
   * @default none
   */
  readonly extraArgs?: string[];
  /**
   * Hugging Face token for gated models, as env `HF_TOKEN`.
   * @default no token
   */
  readonly huggingFaceToken?: SecretKeyReference;
  /**
   * API key that clients must send, as env `VLLM_API_KEY`.
   * @default no key
   */
  readonly apiKey?: SecretKeyReference;
  /**
   * Where downloaded weights live.
   * @default ModelCache.newClaim(): 100Gi, or the model's weights and a quarter more when its size is known and that is more (docs/sizing.md)
   */
  readonly modelCache?: ModelCache;
  /**
   * The model's parameter count in billions, e.g. "70B", for a name that does not carry it. It
   * sizes the default model cache and warns when a given cache cannot hold the weights.
   * @default read from the model's name (`Llama-3.3-70B-Instruct`: 70B), or unknown
   */
  readonly modelSize?: string;
  /**
   * Size of the memory-backed `/dev/shm` that tensor parallelism needs, with a unit.
   * @default 8Gi per tensor-parallel rank (docs/sizing.md)
   */
  readonly shmSize?: string;
  /**
   * Port the server listens on (and the Service exposes).
   * @default 8000
   */
  readonly port?: number;
  /**
   * How long the startup probe lets the model load before the kubelet restarts the container.
   * @default 1800 (30 minutes); 3600 with `nodes` above 1, as the group forms first (docs/group-facts.md §3)
   */
  readonly startupProbeBudgetSeconds?: number;
  /**
   * Consecutive failed liveness checks (every 15 s) before the container is restarted.
   * @default 4
   */
  readonly livenessFailureThreshold?: number;
  /**
   * Opt-out for an image that really needs root: runs as UID 0 with a writable root file system.
   * The pod then no longer meets Pod Security "restricted" (it stays within "baseline"); privilege
   * escalation and every capability stay off.
   * @default false
   */
  readonly runAsRoot?: boolean;
  /**
   * Never contact the Hugging Face Hub: the weights must already be in the model cache
   * (HF_HUB_OFFLINE=1). A restricted egress policy then allows no internet traffic.
   * @default false
   */
  readonly offline?: boolean;
}

/** Props of `VllmServer`. */
export interface VllmServerProps extends VllmServerOptions {
  /** Name of the Deployment and Service (a DNS-1123 label). */
  readonly name: string;
  /**
   * `app.kubernetes.io/instance`, shared by the workloads of one installation.
   * @default name
   */
  readonly instance?: string;
  /**
   * Namespace.
   * @default the chart's namespace
   */
  readonly namespace?: string;
  /**
   * The service mesh the pods run in, for a multi-node group: it decides how the group's own
   * traffic keeps out of the proxy (docs/group-facts.md §4). `H2oGptStack` passes its own. The
   * pods' mesh labels and annotations still come from `podLabels` and `podAnnotations`.
   * @default MeshMode.none()
   */
  readonly mesh?: MeshMode;
}

/** One GPU's memory when not given: an 80 GB A100 or H100. */
const DEFAULT_GPU_MEMORY = '80Gi';

/** A multi-node server's default startup budget: Ray's group forms before the model loads (docs/group-facts.md §3). */
const GROUP_STARTUP_BUDGET_SECONDS = 3600;

/** The model the default stack and the CLI serve: Qwen2.5-1.5B-Instruct, Apache-2.0 and not gated, so no token. */
export const DEFAULT_MODEL = 'Qwen/Qwen2.5-1.5B-Instruct';

// Model families whose Hugging Face repositories are gated (a license to accept, then a token).
const GATED_MODEL_FAMILIES = ['meta-llama/', 'google/gemma', 'mistralai/Mistral-Large', 'mistralai/Mixtral', 'CohereForAI/', 'bigcode/starcoder2'];

/** The period of the startup probe; its failureThreshold is derived from the budget. */
const STARTUP_PROBE_PERIOD_SECONDS = 10;

/**
 * A vLLM OpenAI-compatible server: a Deployment with GPUs, a ClusterIP Service and, by default,
 * a PersistentVolumeClaim for the model cache.
 */
export class VllmServer extends DeployedWorkload implements IVllmEndpoint, IVllmWorkload {
  /** The vLLM OpenAI-compatible server image the library pins. */
  public static readonly DEFAULT_IMAGE: string = DEFAULT_VLLM_IMAGE;
  /** vLLM's default port. */
  public static readonly DEFAULT_PORT: number = DEFAULT_VLLM_PORT;
  /** vLLM's health endpoint: 200 once the engine is up. */
  public static readonly HEALTH_PATH: string = VLLM_HEALTH_PATH;

  public readonly service: k8s.KubeService;
  /** The model-cache claim, when this construct creates one. */
  public readonly modelCacheClaim?: k8s.KubePersistentVolumeClaim;
  /** DNS name clients use: the Service name, qualified with the namespace when one is set. */
  public readonly host: string;
  public readonly port: number;
  /** Base URL, e.g. `http://chat-vllm.ai.svc:8000`. */
  public readonly url: string;
  /** The health endpoint: 200 once the engine is up. */
  public readonly healthUrl: string;
  public readonly model: string;
  public readonly servedModelName: string;
  public readonly apiKey?: SecretKeyReference;
  /** How long the startup probe allows for loading the model, in seconds. */
  public readonly startupBudgetSeconds: number;
  /** Whether the pod may download from the Hugging Face Hub. */
  public readonly offline: boolean;
  /** Whether the pod runs as root (the `runAsRoot` opt-out). */
  public readonly runsAsRoot: boolean;
  /** Nodes serving the model together: 1, or the size of each LeaderWorkerSet group. */
  public readonly nodes: number;
  /**
   * Labels of the pods that serve the API: a group's leaders; undefined where every pod serves
   * (selectorLabels). The Service, NetworkPolicy and PodMonitor select these.
   */
  public readonly servingSelectorLabels?: { [key: string]: string };
  /** The LoRA adapters served beside the model, as h2oGPT lists them, when there are any. */
  public readonly loraAdapters?: ServedLoraAdapters;
  /** Its groups, with more than one node. */
  public readonly group?: ServingGroup;
  /** The gated Hugging Face family of the model (e.g. "meta-llama/"), when it is in one. */
  public readonly gatedFamily?: string;

  public constructor(scope: Construct, id: string, props: VllmServerProps) {
    super(scope, id, {
      // A Service name, and `<name>-model-cache` must fit in 63 characters.
      name: checkDns1035Label('name', props.name, roomFor(NAME_SUFFIXES.modelCache)),
      instance: checkDnsLabel('instance', props.instance ?? props.name),
      namespace: props.namespace === undefined ? undefined : checkDnsLabel('namespace', props.namespace),
      appName: 'vllm',
      component: 'inference-server',
    }, props.serviceAccountName);
    this.model = checkNonEmpty('model', props.model, 'Set it to a Hugging Face model id such as "Qwen/Qwen2.5-1.5B-Instruct".');
    // A Hub id ([org/]name) or an absolute folder in the image; never a path that climbs out of one.
    if (!isModelSource(this.model)) {
      throw new ConfigurationError('model', this.model, 'Use a Hugging Face model id as org/name, e.g. Qwen/Qwen2.5-1.5B-Instruct, or an absolute path to a model folder in the image, without "..".');
    }
    const gated = GATED_MODEL_FAMILIES.find((prefix) => this.model.toLowerCase().startsWith(prefix.toLowerCase()));
    this.gatedFamily = gated;
    if (gated && props.huggingFaceToken === undefined) {
      Warnings.add(this, `${gated}* models are gated on Hugging Face: vLLM cannot download ${this.model} without a token. `
        + 'Accept the license on huggingface.co, put a token in a Secret and set huggingFaceToken (--hf-token-secret NAME/KEY)');
    }
    this.servedModelName = props.servedModelName === undefined ? this.model
      : checkNonEmpty('servedModelName', props.servedModelName, 'Leave it unset to serve the model under its id, or give a non-empty name.');
    const image = checkImage('image', props.image ?? DEFAULT_VLLM_IMAGE);
    const nodes = checkInteger('nodes', props.nodes ?? 1, 1, 64, 'nodes');
    this.nodes = nodes;
    const gpusPerNode = checkInteger('gpusPerNode', props.gpusPerNode ?? DEFAULT_GPUS_PER_NODE, 1, 64, 'GPUs');
    const gpus = checkInteger('gpus', props.gpus ?? 1, 1, 64, 'GPUs per pod');
    if (gpus > gpusPerNode) {
      // The same GPUs in all, in pods that each fit a node.
      const needed = Math.ceil((gpus * nodes) / gpusPerNode);
      throw new ConfigurationError('gpus', gpus, `A pod runs on one node, and a node has ${gpusPerNode} GPUs (gpusPerNode): `
        + `serve the model across nodes with gpus: ${gpusPerNode} and nodes: ${needed} (${gpusPerNode * needed} GPUs in all), or give your nodes' real count in gpusPerNode.`);
    }
    const tensorParallelSize = checkInteger('tensorParallelSize', props.tensorParallelSize ?? gpus, 1, 64);
    if (tensorParallelSize > gpus) {
      throw new ConfigurationError('tensorParallelSize', tensorParallelSize,
        `It cannot exceed gpus (${gpus}): each tensor-parallel rank needs its own GPU. Lower tensorParallelSize or raise gpus.`);
    }
    if (nodes > 1 && tensorParallelSize !== gpus) {
      throw new ConfigurationError('tensorParallelSize', tensorParallelSize,
        `Across nodes, tensor parallelism spans one node's GPUs and pipeline parallelism the ${nodes} nodes (vLLM's advice), so it must be gpus (${gpus}): leave it unset.`);
    }
    if (nodes > 1 && this.name.length > GROUP_NAME_ROOM) {
      throw new ConfigurationError('name', this.name, `A multi-node server's LeaderWorkerSet is "<name>${GROUP_NAME_SUFFIX}", and its worker pods' names and labels add an index and a hash: use at most ${GROUP_NAME_ROOM} characters.`);
    }
    const utilization = props.gpuMemoryUtilization ?? 0.9;
    if (typeof utilization !== 'number' || !(utilization > 0 && utilization <= 1)) {
      throw new ConfigurationError('gpuMemoryUtilization', utilization, 'Use a fraction greater than 0 and at most 1, e.g. 0.9.');
    }
    if (props.maxModelLen !== undefined) checkInteger('maxModelLen', props.maxModelLen, 1, 100_000_000, 'tokens');
    this.port = checkPort('port', props.port ?? DEFAULT_VLLM_PORT);
    this.startupBudgetSeconds = checkInteger('startupProbeBudgetSeconds', props.startupProbeBudgetSeconds ?? (nodes > 1 ? GROUP_STARTUP_BUDGET_SECONDS : 1800), 1, 86_400, 'seconds');
    const readinessFailureThreshold = checkInteger('readinessFailureThreshold', props.readinessFailureThreshold ?? 3, 1, 100);
    const livenessFailureThreshold = checkInteger('livenessFailureThreshold', props.livenessFailureThreshold ?? 4, 1, 100);
    const replicas = checkInteger('replicas', props.replicas ?? 1, 0, 1000);
    // Defaults that scale with the GPUs and ranks (docs/sizing.md); a unit and a floor for bytes.
    const sizing = vllmSizing(gpus, tensorParallelSize);
    const shmSize = checkByteQuantity('shmSize', props.shmSize ?? sizing.shmSize, '1Gi', sizing.shmSize)!;
    props.huggingFaceToken?.validate('huggingFaceToken');
    props.apiKey?.validate('apiKey');
    this.apiKey = props.apiKey;
    const extraArgs = props.extraArgs ?? [];
    const loraAdapters = checkLoraAdapters('loraAdapters', props.loraAdapters, this.servedModelName);
    if (loraAdapters.length > 0) {
      // h2oGPT lists an adapter with the base model's tokenizer and a given context length (docs/app-facts.md §7).
      if (props.maxModelLen === undefined) {
        throw new ConfigurationError('maxModelLen', undefined, 'h2oGPT lists each LoRA adapter with a context length, which it cannot read from an adapter\'s name: set maxModelLen, e.g. 8192.');
      }
      if (this.model.startsWith('/')) {
        throw new ConfigurationError('model', this.model, 'h2oGPT reads the tokenizer of a LoRA adapter\'s base model from Hugging Face, and this model is a folder in the vLLM image: serve adapters on a model given by its Hugging Face id.');
      }
      this.loraAdapters = { names: loraAdapters.map((a) => a.name), tokenizerModel: this.model, maxModelLen: props.maxModelLen };
    }
    extraArgs.forEach((arg, i) => {
      if (typeof arg !== 'string') throw new ConfigurationError(`extraArgs[${i}]`, arg, 'Each argument must be a string.');
      const loraArg = LORA_ARGS.find((flag) => new RegExp(`^${flag.replace(/-/g, '[-_]')}(=|$)`).test(arg));
      if (loraArg && loraAdapters.length > 0) {
        throw new ConfigurationError(`extraArgs[${i}]`, arg, `loraAdapters sets ${LORA_ARGS.join(', ')}, and vLLM would take whichever comes last: give adapters in loraAdapters only.`);
      }
      if (nodes > 1 && /^--(pipeline[-_]parallel[-_]size|distributed[-_]executor[-_]backend|tensor[-_]parallel[-_]size)(=|$)/.test(arg)) {
        throw new ConfigurationError(`extraArgs[${i}]`, arg, 'A multi-node server sets its parallelism and Ray backend from gpus and nodes: remove the argument.');
      }
      if (props.maxModelLen !== undefined && /^--max-model-len(=|$)/.test(arg)) {
        throw new ConfigurationError(`extraArgs[${i}]`, arg, 'maxModelLen is set too, and vLLM would take whichever comes last: keep one of them.');
      }
      // vLLM's argument parser takes both spellings (--api-key and --api_key).
      if (/^--(api[-_]key|port|hf[-_]token)(=|$)/.test(arg)) {
        throw new ConfigurationError(`extraArgs[${i}]`, /^--port/.test(arg) ? arg : HIDDEN_VALUE,
          'Set the port with the port prop, and the API key and Hugging Face token with apiKey and huggingFaceToken (Secret references), not as arguments: an argument would put the secret in the manifest.');
      }
      const shape = credentialShape(arg);
      if (shape) {
        throw new ConfigurationError(`extraArgs[${i}]`, HIDDEN_VALUE, `It looks like a credential (${shape}), and arguments are written into the manifest in plain text. Put it in a Secret and pass it as env: { NAME: EnvironmentValue.fromSecret(...) }.`);
      }
    });
    this.runsAsRoot = checkBoolean('runAsRoot', props.runAsRoot);
    this.offline = checkBoolean('offline', props.offline);
    const usageStats = checkBoolean('usageStats', props.usageStats);
    const identity = {
      uid: checkNonRootId('runAsUser', props.runAsUser ?? DEFAULT_VLLM_UID),
      gid: checkNonRootId('runAsGroup', props.runAsGroup ?? DEFAULT_VLLM_UID),
    };
    const tolerations = checkTolerations('tolerations', props.tolerations
      ?? [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    checkPodMetadata('podLabels', props.podLabels);
    checkPodMetadata('podAnnotations', props.podAnnotations);
    // A group's pods are on several nodes: by default one claim they all mount, downloaded once.
    const cache = serverModelCache(props.modelCache, nodes);
    const modelSize = modelSizeOf(this.model, props.modelSize, 'modelSize');
    const cacheSize = cache.createsClaim ? cache.size ?? defaultCacheSize(modelSize) : cache.sizeLimit;
    if (modelSize && cacheSize !== undefined && cacheTooSmall(cacheSize, modelSize)) {
      Warnings.add(this, `the model cache (${cacheSize}) cannot hold ${this.model}: by ${modelSize.source}, its weights take about `
        + `${gibibytes(weightBytes(modelSize))} at ${modelSize.bytesPerParameter} byte(s) per parameter, so vLLM's download would fill the volume and fail. `
        + 'Give the cache more room (vllm.modelCache, --cache-size), or correct the size hint (vllm.modelSize, --model-size)');
    }
    if (nodes > 1 && cache.createsClaim && cache.storageClassName === undefined) {
      Warnings.add(this, `the ${nodes} pods of each group of ${this.name} mount one ReadWriteMany model-cache claim, which the cluster's default storage class may not offer: `
        + 'name a class that does (the model cache\'s storageClassName, --storage-class), e.g. an NFS, EFS or Filestore class, or give an existing claim');
    }
    const sharedRwoClaim = cacheHoldsOneNode(cache);
    if (sharedRwoClaim && nodes > 1) {
      throw new ConfigurationError('nodes', nodes,
        `The ${nodes} pods of a group run on ${nodes} nodes, which cannot all mount a ReadWriteOnce model-cache claim. Use ${SHARED_CACHE_CHOICES}, or ModelCache.ephemeral().`);
    }
    if (sharedRwoClaim && replicas > 1) {
      throw new ConfigurationError('replicas', replicas,
        `A ReadWriteOnce model-cache claim cannot be mounted by pods on several nodes. Use ${SHARED_CACHE_CHOICES}, ModelCache.ephemeral(), or one replica.`);
    }

    const mesh = props.mesh ?? MeshMode.none();
    this.servingSelectorLabels = nodes > 1 ? { ...this.selectorLabels, [LWS_POD_LABELS.workerIndex]: '0' } : undefined;
    const groupMetadata = nodes > 1 ? groupPodMetadata(mesh, this.port) : undefined;
    if (groupMetadata && 'refused' in groupMetadata) {
      throw new ConfigurationError('nodes', nodes, `${groupMetadata.refused}: serve the model on one node (nodes: 1), or run the stack in another mesh mode.`);
    }
    if (groupMetadata && props.mesh === undefined && meshKeysIn(props.podLabels, props.podAnnotations).length > 0) {
      Warnings.add(this, `the pod metadata names a service mesh (${meshKeysIn(props.podLabels, props.podAnnotations).join(', ')}), but mesh is not set: `
        + 'the group\'s workers would join the mesh as the leader does, where the library keeps the group\'s Ray and NCCL traffic out of it (docs/group-facts.md §4). '
        + 'Pass the mesh the pods run in, e.g. mesh: MeshMode.istioSidecar()');
    }
    // Policies are written for every group there may be; with none at first, for the first one.
    this.group = groupMetadata
      ? { name: `${this.name}${GROUP_NAME_SUFFIX}`, size: nodes, maxGroups: Math.max(replicas, 1), meshCarried: groupMetadata.meshed }
      : undefined;
    const gpuMemory = checkByteQuantity('gpuMemory', props.gpuMemory ?? DEFAULT_GPU_MEMORY, '1Gi', DEFAULT_GPU_MEMORY)!;
    if (modelSize && weightBytes(modelSize) > quantityValue(gpuMemory) * gpus * nodes * utilization) {
      const where = nodes > 1 ? `the ${gpus * nodes} GPUs of a group of ${nodes} pods` : `the ${gpus} GPU${gpus > 1 ? 's' : ''} of its pod`;
      Warnings.add(this, `${this.model} cannot fit ${where}: by ${modelSize.source}, its weights take about ${gibibytes(weightBytes(modelSize))} `
        + `at ${modelSize.bytesPerParameter} byte(s) per parameter, and ${gpus * nodes} x ${gpuMemory} at ${utilization} utilization hold less, before any KV cache. `
        + `Serve it on more GPUs (vllm.gpus, --gpus up to ${gpusPerNode}; vllm.nodes, --nodes), give the GPUs' real memory (vllm.gpuMemory, --gpu-memory), `
        + 'or choose a quantized model');
    }

    this.host = this.namespace ? `${this.name}.${this.namespace}.svc` : this.name;
    this.url = `http://${this.host}:${this.port}`;
    this.healthUrl = `${this.url}${VLLM_HEALTH_PATH}`;
    const metadata = this._objectMetadata;

    const claimName = cache.createsClaim ? modelCacheClaimName(this.name) : cache.claimName;
    if (cache.createsClaim) {
      this.modelCacheClaim = new k8s.KubePersistentVolumeClaim(this, 'model-cache', {
        metadata: { ...metadata, name: claimName },
        spec: {
          accessModes: [cache.accessMode!],
          storageClassName: cache.storageClassName,
          resources: { requests: { storage: k8s.Quantity.fromString(cacheSize!) } },
        },
      });
    }

    const args = vllmArgs({
      model: this.model, servedModelName: this.servedModelName, port: this.port, tensorParallelSize,
      gpuMemoryUtilization: utilization, maxModelLen: props.maxModelLen, extraArgs,
      pipelineParallelSize: nodes, loraAdapters,
    });
    const env = vllmEnv({ usageStats, offline: this.offline, huggingFaceToken: props.huggingFaceToken, apiKey: props.apiKey });
    this._addIdentity(props.serviceAccountName, replicas);
    const platform = platformPodSpec(props);
    const httpGetHealth = { path: VLLM_HEALTH_PATH, port: k8s.IntOrString.fromString(VLLM_PORT_NAME) };

    const podSpec = {
      podLabels: props.podLabels,
      podAnnotations: nonEmpty(props.podAnnotations),
      replicas,
      // An RWO cache cannot be attached to an old and a new pod on different nodes at once,
      // and GPUs are scarce: replace pods rather than surge.
      strategy: sharedRwoClaim
        ? { type: 'Recreate' }
        : { type: 'RollingUpdate', rollingUpdate: { maxSurge: k8s.IntOrString.fromNumber(0), maxUnavailable: k8s.IntOrString.fromNumber(1) } },
      platform,
      securityContext: this.runsAsRoot ? rootPodSecurityContext() : restrictedPodSecurityContext(identity),
      terminationGracePeriodSeconds: 60,
      nodeSelector: props.nodeSelector,
      tolerations,
      containers: [{
        name: 'vllm',
        image,
        imagePullPolicy: 'IfNotPresent',
        ...(nodes > 1 ? { command: groupLeaderCommand(args) } : { args }),
        env: [...env, ...userEnv(props.env, env.map((e) => e.name))],
        ports: [{ name: VLLM_PORT_NAME, containerPort: this.port, protocol: 'TCP' }],
        resources: podResources('', {
          cpuRequest: props.cpuRequest ?? sizing.cpuRequest, cpuLimit: props.cpuLimit,
          memoryRequest: props.memoryRequest ?? sizing.memoryRequest, memoryLimit: props.memoryLimit ?? sizing.memoryLimit,
        }, { 'nvidia.com/gpu': k8s.Quantity.fromNumber(gpus) }, '1Gi'),
        startupProbe: {
          httpGet: httpGetHealth,
          periodSeconds: STARTUP_PROBE_PERIOD_SECONDS,
          timeoutSeconds: 5,
          failureThreshold: Math.ceil(this.startupBudgetSeconds / STARTUP_PROBE_PERIOD_SECONDS),
        },
        readinessProbe: { httpGet: httpGetHealth, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: readinessFailureThreshold },
        livenessProbe: { httpGet: httpGetHealth, periodSeconds: 15, timeoutSeconds: 10, failureThreshold: livenessFailureThreshold },
        securityContext: hardenedContainerSecurityContext({ root: this.runsAsRoot }),
        volumeMounts: [
          { name: 'model-cache', mountPath: MODEL_CACHE_PATH },
          { name: 'dshm', mountPath: '/dev/shm' },
          { name: 'home', mountPath: VLLM_HOME },
          { name: 'tmp', mountPath: '/tmp' },
        ],
      }],
      volumes: [
        claimName
          ? { name: 'model-cache', persistentVolumeClaim: { claimName } }
          : { name: 'model-cache', emptyDir: { sizeLimit: k8s.Quantity.fromString(cache.sizeLimit!) } },
        scratchVolume('dshm', shmSize, 'Memory'),
        // torch.compile, Triton and CUDA caches: a few GiB, rebuilt after a restart.
        scratchVolume('home', '20Gi'),
        scratchVolume('tmp', '10Gi'),
      ],
    };
    if (nodes === 1) {
      this._addDeployment(podSpec);
    } else {
      this.addGroup(podSpec, mesh, groupMetadata!, vllmEnv({ usageStats, offline: this.offline, huggingFaceToken: props.huggingFaceToken }));
    }

    this.service = new k8s.KubeService(this, 'service', {
      metadata,
      spec: {
        type: 'ClusterIP',
        // A group's leader alone serves the API.
        selector: this.servingSelectorLabels ?? this.selectorLabels,
        ports: [{ name: VLLM_PORT_NAME, port: this.port, targetPort: k8s.IntOrString.fromString(VLLM_PORT_NAME), protocol: 'TCP', appProtocol: 'http' }],
      },
    });
  }

  /**
   * The group: the leader's pod as built, starting Ray's head before vLLM; workers that join it,
   * with no port and no probe (the leader's health covers the group, and a worker that dies
   * takes its group with it). The mesh's metadata keeps the group's traffic out of the proxy.
   */
  private addGroup(leader: WorkloadPodSpec, mesh: MeshMode, group: GroupTrafficChoice, workerEnv: k8s.EnvVar[]): void {
    const [serving] = leader.containers;
    // Off the workers, unless the mesh carries the group: the mesh's own metadata, and the
    // scrape annotations of a merged scrape (a worker serves no metrics).
    const meshOwn = meshPodMetadata(mesh);
    const scrape = profileOf(mesh)?.metricsScrape[mesh.dataplane];
    const leaderOnly = new Set([
      ...(group.meshed ? [] : [...Object.keys(meshOwn.labels), ...Object.keys(meshOwn.annotations)]),
      ...(scrape?.method === 'merged' ? Object.values(scrape.annotations) : []),
    ]);
    const without = (metadata: { [key: string]: string } | undefined) => Object.fromEntries(Object.entries(metadata ?? {}).filter(([key]) => !leaderOnly.has(key)));
    const reason = { [ANNOTATIONS.groupTraffic]: group.reason };
    this._addLeaderWorkerSet({
      name: this.group!.name,
      size: this.nodes,
      spread: groupSpread(this.group!.name),
      leader: {
        ...leader,
        podLabels: { ...leader.podLabels, ...group.leader.labels },
        podAnnotations: { ...leader.podAnnotations, ...group.leader.annotations, ...reason },
      },
      workerLabels: { ...without(leader.podLabels), ...group.worker.labels },
      workerAnnotations: { ...without(leader.podAnnotations), ...group.worker.annotations, ...reason },
      workerContainers: [{
        name: serving.name,
        image: serving.image,
        imagePullPolicy: serving.imagePullPolicy,
        command: groupWorkerCommand(),
        env: [...workerEnv, ...(serving.env ?? []).filter((e) => !workerEnv.some((w) => w.name === e.name) && e.name !== 'VLLM_API_KEY')],
        resources: serving.resources,
        securityContext: serving.securityContext,
        volumeMounts: serving.volumeMounts,
      }],
    });
  }
}
