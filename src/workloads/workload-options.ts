import { k8s } from 'cdk8s-plus-28';
import { checkDnsSubdomain, checkLabels, checkNonEmpty, literalForKubernetes } from '../common/checks';
import { ConfigurationError, HIDDEN_VALUE } from '../common/errors';
import { SecretKeyReference } from '../common/secret-key-reference';
import { checkEnvName, credentialShape, isCredentialName, secretEnv } from './pod-helpers';

/** Where one environment variable's value comes from. */
export class EnvironmentValue {
  /** A literal value, written into the manifest: never a credential (use `fromSecret`). */
  public static fromValue(value: string): EnvironmentValue {
    return new EnvironmentValue(value, undefined, undefined);
  }

  /** A key of a Secret in the workload's namespace; only the reference enters the manifest. */
  public static fromSecret(secret: SecretKeyReference): EnvironmentValue {
    return new EnvironmentValue(undefined, secret, undefined);
  }

  /** A key of a ConfigMap in the workload's namespace. */
  public static fromConfigMap(configMapName: string, key: string): EnvironmentValue {
    return new EnvironmentValue(undefined, undefined, { configMapName, key });
  }

  /** The literal value, for `fromValue`. */
  public readonly value?: string;
  /** The Secret key, for `fromSecret`. */
  public readonly secret?: SecretKeyReference;
  /** The ConfigMap's name, for `fromConfigMap`. */
  public readonly configMapName?: string;
  /** The ConfigMap's key, for `fromConfigMap`. */
  public readonly configMapKey?: string;

  private constructor(value: string | undefined, secret: SecretKeyReference | undefined, configMap: { configMapName: string; key: string } | undefined) {
    this.value = value;
    this.secret = secret;
    this.configMapName = configMap?.configMapName;
    this.configMapKey = configMap?.key;
  }
}

/**
 * What both workloads, vLLM and h2oGPT, offer alike: placement, identity, pull credentials, extra
 * environment and pod metadata. `VllmServerOptions` and `H2oGptOptions` extend it.
 */
export interface WorkloadOptions {
  /**
   * Image, pinned to a tag other than latest or a digest.
   * @default VllmServer.DEFAULT_IMAGE or H2oGpt.DEFAULT_IMAGE
   */
  readonly image?: string;
  /**
   * Replicas: pods, or for a vLLM server across nodes (`nodes`), groups of pods.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * More environment variables for the main container, by name. Names the construct sets itself
   * are refused (use the prop that sets them), and so are literal values of names that look like
   * credentials (`*KEY`, `*TOKEN`, `*PASSWORD`, `*SECRET`, `AUTH`; not the `H2OGPT_ENFORCE_*` switches): use `EnvironmentValue.fromSecret`.
   * @default none
   */
  readonly env?: { [name: string]: EnvironmentValue };
  /**
   * Secrets holding registry credentials for pulling the images.
   * @default none
   */
  readonly imagePullSecrets?: string[];
  /**
   * An existing ServiceAccount for the pod, instead of the workload's own. It is the pod's mesh
   * identity, so the mesh policy names it; it must exist in the workload's namespace.
   * @default a ServiceAccount named after the workload, without a mounted token
   */
  readonly serviceAccountName?: string;
  /**
   * Node and pod affinity.
   * @default none (with more than one replica, a soft spread across nodes still applies)
   */
  readonly affinity?: k8s.Affinity;
  /**
   * PriorityClass of the pods.
   * @default the cluster's default priority
   */
  readonly priorityClassName?: string;
  /**
   * Node selector.
   * @default none
   */
  readonly nodeSelector?: { [key: string]: string };
  /**
   * Tolerations.
   * @default vLLM tolerates the `nvidia.com/gpu` NoSchedule taint; h2oGPT none
   */
  readonly tolerations?: k8s.Toleration[];
  /**
   * Extra pod-template labels (a mesh's enrolment label, a team label). Never used in selectors.
   * @default none
   */
  readonly podLabels?: { [key: string]: string };
  /**
   * Extra pod-template annotations.
   * @default none
   */
  readonly podAnnotations?: { [key: string]: string };
  /**
   * CPU request.
   * @default "4" for vLLM, "1" for h2oGPT
   */
  readonly cpuRequest?: string;
  /**
   * CPU limit.
   * @default no limit
   */
  readonly cpuLimit?: string;
  /**
   * Memory request.
   * @default "24Gi" for vLLM, "4Gi" for h2oGPT
   */
  readonly memoryRequest?: string;
  /**
   * Memory limit.
   * @default "32Gi" for vLLM, "8Gi" for h2oGPT
   */
  readonly memoryLimit?: string;
  /**
   * UID the main container runs as.
   * @default 1000
   */
  readonly runAsUser?: number;
  /**
   * GID it runs as; also the pod's fsGroup, which makes mounted claims writable.
   * @default 1000
   */
  readonly runAsGroup?: number;
  /**
   * Consecutive failed readiness checks (every 10 s) before the pod leaves the Service.
   * @default 3
   */
  readonly readinessFailureThreshold?: number;
  /**
   * Let the program and the Hugging Face libraries send usage statistics.
   * @default false
   */
  readonly usageStats?: boolean;
}

/** The pod-spec fields the platform props set, checked. */
export interface PlatformPodSpec {
  readonly imagePullSecrets?: k8s.LocalObjectReference[];
  readonly affinity?: k8s.Affinity;
  readonly priorityClassName?: string;
}

export function platformPodSpec(options: WorkloadOptions): PlatformPodSpec {
  const pullSecrets = options.imagePullSecrets;
  if (pullSecrets !== undefined && !Array.isArray(pullSecrets)) {
    throw new ConfigurationError('imagePullSecrets', pullSecrets, 'Give a list of Secret names, e.g. ["registry-credentials"].');
  }
  pullSecrets?.forEach((name, i) => checkDnsSubdomain(`imagePullSecrets[${i}]`, name));
  if (options.priorityClassName !== undefined) checkDnsSubdomain('priorityClassName', options.priorityClassName);
  checkLabels('nodeSelector', options.nodeSelector);
  checkLabels('podLabels', options.podLabels);
  if (options.affinity !== undefined && (typeof options.affinity !== 'object' || options.affinity === null || Array.isArray(options.affinity))) {
    throw new ConfigurationError('affinity', options.affinity, 'Give a Kubernetes Affinity: { nodeAffinity, podAffinity, podAntiAffinity }.');
  }
  return {
    imagePullSecrets: pullSecrets?.length ? pullSecrets.map((name) => ({ name })) : undefined,
    affinity: options.affinity,
    priorityClassName: options.priorityClassName,
  };
}

/**
 * The user's `env` as container variables. `taken` are the names the construct sets; a user
 * value would silently fight them, so they are refused.
 */
export function userEnv(env: { [name: string]: EnvironmentValue } | undefined, taken: string[],
  explained: { [name: string]: string } = {}): k8s.EnvVar[] {
  if (env === undefined) return [];
  if (typeof env !== 'object' || env === null || Array.isArray(env)) {
    throw new ConfigurationError('env', env, 'Give a mapping of variable names to EnvironmentValue.fromValue/fromSecret/fromConfigMap.');
  }
  return Object.entries(env).map(([name, source]) => {
    const field = `env["${name}"]`;
    checkEnvName(field, name);
    if (explained[name] !== undefined) throw new ConfigurationError(field, name, explained[name]);
    if (taken.includes(name)) {
      throw new ConfigurationError(field, name, `The construct sets ${name} itself; change the prop that sets it instead.`);
    }
    if (!(source instanceof EnvironmentValue) && !(source && typeof source === 'object' && ('value' in source || 'secret' in source || 'configMapName' in source))) {
      throw new ConfigurationError(field, typeof source, 'Use EnvironmentValue.fromValue("..."), .fromSecret(SecretKeyReference.fromSecret(...)) or .fromConfigMap(name, key).');
    }
    if (source.secret !== undefined) {
      source.secret.validate(field);
      return secretEnv(name, source.secret);
    }
    if (source.configMapName !== undefined) {
      checkDnsSubdomain(`${field}.configMapName`, source.configMapName);
      checkNonEmpty(`${field}.key`, source.configMapKey, `Name the key inside ConfigMap "${source.configMapName}".`);
      return { name, valueFrom: { configMapKeyRef: { name: source.configMapName, key: source.configMapKey! } } };
    }
    if (typeof source.value !== 'string') throw new ConfigurationError(field, source.value, 'Values must be strings; quote numbers and booleans.');
    const shape = isCredentialName(name) ? `${name} names one` : credentialShape(source.value);
    if (shape) {
      throw new ConfigurationError(field, HIDDEN_VALUE,
        `It looks like a credential (${shape}), and a literal value is written into the manifest in plain text. Put it in a Secret: EnvironmentValue.fromSecret(SecretKeyReference.fromSecret("<secret>", "<key>")).`);
    }
    return { name, value: literalForKubernetes(source.value) };
  });
}
