import { k8s } from 'cdk8s-plus-28';
import { checkByteQuantity, checkQuantity, quantityValue } from '../common/checks';
import { ConfigurationError } from '../common/errors';
import { SecretKeyReference } from '../common/secret-key-reference';

// Internal helpers shared by the workload constructs.

export interface ResourceSettings {
  readonly cpuRequest?: string;
  readonly cpuLimit?: string;
  readonly memoryRequest?: string;
  readonly memoryLimit?: string;
}

/**
 * Requests and limits from flat props, each checked; `extraLimits` (such as GPUs) are passed as
 * numeric quantities because a string GPU count is silently dropped (a cdk8s-plus trap: only an L1 numeric quantity renders).
 */
export function podResources(fieldPrefix: string, settings: ResourceSettings,
  extraLimits: { [name: string]: k8s.Quantity } = {}, memoryFloor = '16Mi'): k8s.ResourceRequirements {
  const field = (name: string) => `${fieldPrefix}${name}`;
  const quantity = (name: keyof ResourceSettings) => {
    const value = name.startsWith('memory')
      ? checkByteQuantity(field(name), settings[name], memoryFloor, '8Gi')
      : checkQuantity(field(name), settings[name]);
    return value === undefined ? undefined : k8s.Quantity.fromString(value);
  };
  const requests: { [key: string]: k8s.Quantity } = {};
  const limits: { [key: string]: k8s.Quantity } = { ...extraLimits };
  const cpuRequest = quantity('cpuRequest');
  const cpuLimit = quantity('cpuLimit');
  const memoryRequest = quantity('memoryRequest');
  const memoryLimit = quantity('memoryLimit');
  // The API server rejects a request above its limit; say so before anything is written.
  for (const [request, limit] of [['cpuRequest', 'cpuLimit'], ['memoryRequest', 'memoryLimit']] as const) {
    const requested = settings[request];
    const limited = settings[limit];
    if (requested !== undefined && limited !== undefined && quantityValue(requested) > quantityValue(limited)) {
      throw new ConfigurationError(field(request), requested,
        `It is above ${field(limit)} (${limited}), and a container cannot request more than its limit: lower ${field(request)} or raise ${field(limit)}.`);
    }
  }
  if (cpuRequest) requests.cpu = cpuRequest;
  if (memoryRequest) requests.memory = memoryRequest;
  if (cpuLimit) limits.cpu = cpuLimit;
  if (memoryLimit) limits.memory = memoryLimit;
  return {
    requests: Object.keys(requests).length > 0 ? requests : undefined,
    limits: Object.keys(limits).length > 0 ? limits : undefined,
  };
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Throws unless `name` can be an environment variable's name. */
export function checkEnvName(field: string, name: string): void {
  if (!ENV_NAME.test(name)) {
    throw new ConfigurationError(field, name, 'Names are environment variable names: letters, digits and \'_\', not starting with a digit.');
  }
}

// Names that carry credentials, with or without h2oGPT's H2OGPT_ prefix: `auth` is h2oGPT's
// user:password list; ENFORCE_* are booleans.
const CREDENTIAL_NAME = /^(?!ENFORCE_).*(KEY|KEYS|TOKEN|PASSWORD|SECRET)$|(^|_)(PASS|PASSWD|PWD)$|^AUTH$/;

/**
 * Why a literal value looks like a credential by its shape, whatever its name, or undefined:
 * a PEM block, or a URL that carries a password. Values with these shapes must come from a Secret.
 */
export function credentialShape(value: string): string | undefined {
  if (/-----BEGIN [A-Z0-9 ]+-----/.test(value)) return 'it holds a PEM block (a key or certificate)';
  if (/[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/.test(value)) return 'it is a URL with a password in it';
  return undefined;
}

/** Whether a variable of this name likely holds a credential, so its value must not be written as a literal. */
export function isCredentialName(name: string): boolean {
  return CREDENTIAL_NAME.test(name.toUpperCase().replace(/^H2OGPT_/, ''));
}

export function secretEnv(name: string, ref: SecretKeyReference): k8s.EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: ref.secretName, key: ref.key } } };
}

const TOLERATION_OPERATORS = ['Exists', 'Equal'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export function checkTolerations(field: string, tolerations: k8s.Toleration[]): k8s.Toleration[] {
  tolerations.forEach((t, i) => {
    if (t.operator !== undefined && !TOLERATION_OPERATORS.includes(t.operator)) {
      throw new ConfigurationError(`${field}[${i}].operator`, t.operator, `Use one of: ${TOLERATION_OPERATORS.join(', ')}.`);
    }
    if (t.effect !== undefined && !TAINT_EFFECTS.includes(t.effect)) {
      throw new ConfigurationError(`${field}[${i}].effect`, t.effect, `Use one of: ${TAINT_EFFECTS.join(', ')}, or leave it unset for all.`);
    }
  });
  return tolerations;
}

const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Label and annotation keys must be qualified names, and values strings. */
export function checkPodMetadata(field: string, entries: { [key: string]: string } | undefined): void {
  for (const [key, value] of Object.entries(entries ?? {})) {
    if (!QUALIFIED_NAME.test(key)) {
      throw new ConfigurationError(`${field}`, key, 'Keys must be qualified names such as "example.com/team" or "team".');
    }
    if (typeof value !== 'string') {
      throw new ConfigurationError(`${field}["${key}"]`, value, 'Values must be strings; quote numbers and booleans.');
    }
  }
}

/** Undefined for an empty map, so manifests do not carry `annotations: {}`. */
export function nonEmpty(map: { [key: string]: string } | undefined): { [key: string]: string } | undefined {
  return map && Object.keys(map).length > 0 ? map : undefined;
}
