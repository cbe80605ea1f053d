import { parse } from 'yaml';
import { ConfigurationError } from '../common/errors';
import { SecretKeyReference } from '../common/secret-key-reference';
import { MeshMode, MtlsMode } from '../mesh/mesh-mode';
import { H2oGptStackProps } from '../stack/h2ogpt-stack';
import { StartupStrategy } from '../startup/startup-strategy';
import { ModelCache, ModelCacheAccessMode } from '../workloads/model-cache';

// `cdk8s-h2ogpt synth --config stack.yaml`: every prop of H2oGptStack in YAML, so that nothing needs
// TypeScript. Values are checked by the constructs themselves, with the same messages as the API;
// this file only turns YAML into props and refuses a field the stack does not have.

/** The fields each section accepts: a misspelt one is refused rather than ignored. */
const FIELDS: { [section: string]: string[] } = {
  '': ['name', 'namespace', 'mesh', 'startupStrategy', 'kubernetesVersion', 'vllm', 'h2ogpt', 'trafficPolicy', 'waiter', 'waiterImage'],
  'mesh': ['mode', 'cni', 'mtls', 'version'],
  'vllm': ['model', 'servedModelName', 'image', 'gpus', 'tensorParallelSize', 'maxModelLen', 'gpuMemoryUtilization', 'extraArgs',
    'huggingFaceToken', 'apiKey', 'modelCache', 'shmSize', 'port', 'cpuRequest', 'cpuLimit', 'memoryRequest', 'memoryLimit',
    'nodeSelector', 'tolerations', 'replicas', 'startupProbeBudgetSeconds', 'readinessFailureThreshold', 'livenessFailureThreshold',
    'podLabels', 'podAnnotations', 'runAsUser', 'runAsGroup', 'runAsRoot', 'usageStats', 'offline'],
  'vllm.modelCache': ['size', 'storageClassName', 'accessMode', 'existingClaim', 'ephemeral', 'sizeLimit'],
  'h2ogpt': ['image', 'chatApi', 'settings', 'uiPort', 'openAiApi', 'openAiApiPort', 'openAiApiKey', 'secretEnv', 'usageStats',
    'runAsUser', 'runAsGroup', 'cpuRequest', 'cpuLimit', 'memoryRequest', 'memoryLimit', 'replicas', 'saveDirClaimName',
    'saveDirSizeLimit', 'startupProbeBudgetSeconds', 'readinessFailureThreshold', 'nodeSelector', 'tolerations', 'podLabels', 'podAnnotations'],
  'trafficPolicy': ['networkPolicies', 'restrictEgress', 'meshPolicies', 'meshControlPlaneNamespace', 'trustDomain'],
  'waiter': ['deadlineSeconds', 'initialDelaySeconds', 'maxDelaySeconds', 'attemptTimeoutSeconds'],
  'secret': ['secretName', 'key'],
};

function checkFields(path: string, section: string, value: unknown): { [key: string]: any } {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigurationError(path || '(the file)', value, 'Expected a mapping of fields.');
  }
  for (const key of Object.keys(value)) {
    if (!FIELDS[section].includes(key)) {
      throw new ConfigurationError(path ? `${path}.${key}` : key, (value as any)[key], `There is no such field here. The fields are: ${FIELDS[section].join(', ')}.`);
    }
  }
  return value as { [key: string]: any };
}

/** `{ secretName, key }` as a SecretKeyReference. */
function secret(path: string, value: unknown): SecretKeyReference | undefined {
  if (value === undefined) return undefined;
  const fields = checkFields(path, 'secret', value);
  return SecretKeyReference.fromSecret(fields.secretName, fields.key);
}

function modelCache(value: unknown): ModelCache | undefined {
  if (value === undefined) return undefined;
  const fields = checkFields('vllm.modelCache', 'vllm.modelCache', value);
  if (fields.existingClaim !== undefined) return ModelCache.existingClaim(fields.existingClaim);
  if (fields.ephemeral === true) return ModelCache.ephemeral({ sizeLimit: fields.sizeLimit });
  return ModelCache.newClaim({ size: fields.size, storageClassName: fields.storageClassName, accessMode: fields.accessMode as ModelCacheAccessMode });
}

/**
 * The stack's props from a config file's text. Errors name the field by its path in the file
 * (`vllm.gpus`), as the API would; `source` names the file in YAML syntax errors.
 */
export function stackPropsFromConfig(text: string, source: string): Partial<H2oGptStackProps> {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new ConfigurationError('--config', source, `It is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const top = checkFields('', '', document);
  const mesh = top.mesh === undefined ? undefined : (() => {
    const m = checkFields('mesh', 'mesh', top.mesh);
    return MeshMode.fromName(m.mode ?? 'none', { cni: m.cni, mtls: m.mtls as MtlsMode, version: m.version === undefined ? undefined : String(m.version) });
  })();
  const vllm = checkFields('vllm', 'vllm', top.vllm);
  const h2ogpt = checkFields('h2ogpt', 'h2ogpt', top.h2ogpt);
  checkFields('trafficPolicy', 'trafficPolicy', top.trafficPolicy);
  checkFields('waiter', 'waiter', top.waiter);
  const secretEnv = h2ogpt.secretEnv === undefined ? undefined
    : Object.fromEntries(Object.entries(checkAnyMapping('h2ogpt.secretEnv', h2ogpt.secretEnv)).map(([name, ref]) => [name, secret(`h2ogpt.secretEnv.${name}`, ref)!]));
  return {
    ...top,
    kubernetesVersion: top.kubernetesVersion === undefined ? undefined : String(top.kubernetesVersion),
    mesh,
    startupStrategy: top.startupStrategy as StartupStrategy | undefined,
    vllm: {
      ...vllm,
      model: vllm.model,
      huggingFaceToken: secret('vllm.huggingFaceToken', vllm.huggingFaceToken),
      apiKey: secret('vllm.apiKey', vllm.apiKey),
      modelCache: modelCache(vllm.modelCache),
    },
    h2ogpt: top.h2ogpt === undefined ? undefined : {
      ...h2ogpt,
      openAiApiKey: secret('h2ogpt.openAiApiKey', h2ogpt.openAiApiKey),
      secretEnv,
    },
  };
}

function checkAnyMapping(path: string, value: unknown): { [key: string]: unknown } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigurationError(path, value, 'Expected a mapping.');
  return value as { [key: string]: unknown };
}
