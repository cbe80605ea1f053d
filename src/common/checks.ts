import { ConfigurationError } from './errors';

// Internal validators shared by every construct; each throws a ConfigurationError naming the field.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// Kubernetes resource.Quantity, e.g. 500m, 4, 1.5, 24Gi, 1e3.
const QUANTITY = /^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/;

/** A DNS-1123 label: what Services and most names need (63 characters at most). */
export function checkDnsLabel(field: string, value: string | undefined, maxLength = 63): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength || !DNS1123_LABEL.test(value)) {
    throw new ConfigurationError(field, value,
      `Use a DNS-1123 label: at most ${maxLength} characters of lower-case letters, digits and '-', starting and ending with a letter or digit (for example "h2ogpt").`);
  }
  return value;
}

/**
 * A DNS-1035 label, what a Service name must be: a DNS-1123 label that starts with a letter. The
 * default `maxLength` leaves room for the longest suffix the caller adds.
 */
export function checkDns1035Label(field: string, value: string | undefined, maxLength = 63): string {
  checkDnsLabel(field, value, maxLength);
  if (!/^[a-z]/.test(value!)) {
    throw new ConfigurationError(field, value,
      `It names a Service, so it must be a DNS-1035 label: start with a lower-case letter (for example "chat-${value}").`);
  }
  return value!;
}

/** A DNS-1123 subdomain: what Secret and ConfigMap names may be. */
export function checkDnsSubdomain(field: string, value: string | undefined): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 253 || !DNS1123_SUBDOMAIN.test(value)) {
    throw new ConfigurationError(field, value,
      'Use a DNS-1123 subdomain: lower-case letters, digits, \'-\' and \'.\', starting and ending with a letter or digit.');
  }
  return value;
}

export function checkNonEmpty(field: string, value: string | undefined, hint: string): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw new ConfigurationError(field, value, hint);
  }
  return value;
}

export function checkInteger(field: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER, unit = ''): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
    throw new ConfigurationError(field, value, `Use a whole number ${range}${unit ? ` (${unit})` : ''}.`);
  }
  return value;
}

/** An optional boolean prop, `fallback` when unset. */
export function checkBoolean(field: string, value: boolean | undefined, fallback = false): boolean {
  if (value !== undefined && typeof value !== 'boolean') throw new ConfigurationError(field, value, 'Use true or false.');
  return value ?? fallback;
}

export function checkPort(field: string, value: number): number {
  return checkInteger(field, value, 1, 65535, 'a TCP port');
}

/** Two ports of one pod must differ: a Service or probe could not tell them apart. */
export function checkDistinctPorts(ports: Array<{ field: string; port: number }>): void {
  const seen = new Map<number, string>();
  for (const { field, port } of ports) {
    const other = seen.get(port);
    if (other) {
      throw new ConfigurationError(field, port, `It collides with ${other} (${port}); give each port its own number.`);
    }
    seen.set(port, field);
  }
}

export function checkQuantity(field: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !QUANTITY.test(value)) {
    throw new ConfigurationError(field, value, 'Use a Kubernetes quantity such as "500m", "4", "24Gi" or "512Mi".');
  }
  return value;
}

/**
 * A quantity of bytes (memory, shared memory, storage). A bare number is bytes to Kubernetes, so
 * "200" is 200 bytes, never what was meant: a unit is required, and the value must reach `floor`.
 */
export function checkByteQuantity(field: string, value: string | undefined, floor: string, example: string): string | undefined {
  if (value === undefined) return undefined;
  checkQuantity(field, value);
  if (/^[+]?[0-9.]+$/.test(value)) {
    throw new ConfigurationError(field, value, `A number without a unit is bytes to Kubernetes, so this is ${value} bytes. Give a unit, e.g. ${`${value}Gi` === example ? `"${example}"` : `"${value}Gi" or "${example}"`}.`);
  }
  if (quantityValue(value) < quantityValue(floor)) {
    throw new ConfigurationError(field, value, `It is below ${floor}, too small to be meant (the units are Ki, Mi, Gi, Ti). Give at least ${floor}, e.g. "${example}".`);
  }
  return value;
}

const QUANTITY_SUFFIX: { [suffix: string]: number } = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** The number a valid Kubernetes quantity stands for, e.g. 1536 * 2^20 for "1.5Gi". */
export function quantityValue(quantity: string): number {
  const match = /^[+]?([0-9]*\.?[0-9]*)(?:[eE]([-+]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/.exec(quantity);
  if (!match) return NaN;
  return Number(match[1]) * (match[2] !== undefined ? 10 ** Number(match[2]) : QUANTITY_SUFFIX[match[3] ?? '']);
}

/** An image must carry an explicit tag or digest: `latest` or no tag makes rollouts unreproducible. */
export function checkImage(field: string, image: string): string {
  const ref = typeof image === 'string' ? image : '';
  const [name, digest] = ref.split('@', 2);
  const lastSegment = name.split('/').pop() ?? '';
  const tag = lastSegment.includes(':') ? lastSegment.split(':').pop() : undefined;
  if (digest !== undefined && !/^sha256:[a-f0-9]{64}$/.test(digest)) {
    throw new ConfigurationError(field, image,
      'A digest is "@sha256:" followed by 64 lower-case hex digits, e.g. "vllm/vllm-openai@sha256:<64 hex digits>".');
  }
  if (!ref || /\s/.test(ref) || !name || (digest === undefined && (!tag || tag === 'latest'))) {
    throw new ConfigurationError(field, image,
      'Pin the image with an explicit tag other than "latest" (for example "vllm/vllm-openai:v0.10.2") or a @sha256 digest.');
  }
  return image;
}

// Kubernetes label syntax (k8s.io/apimachinery validation IsQualifiedName and IsValidLabelValue;
// kubernetes.io "Labels and Selectors", Syntax and character set).
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** A label mapping (node selector, pod labels): each key `[prefix/]name`, each value 63 characters of the same set or empty. */
export function checkLabels(field: string, labels: { [key: string]: string } | undefined): void {
  if (labels === undefined) return;
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    throw new ConfigurationError(field, labels, 'Give a mapping of label keys to values, e.g. { "nvidia.com/gpu.product": "NVIDIA-L4" }.');
  }
  for (const [key, value] of Object.entries(labels)) {
    const slash = key.lastIndexOf('/');
    const [prefix, name] = slash < 0 ? [undefined, key] : [key.slice(0, slash), key.slice(slash + 1)];
    const prefixOk = prefix === undefined || (prefix.length <= 253 && DNS1123_SUBDOMAIN.test(prefix));
    if (!prefixOk || name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) {
      throw new ConfigurationError(`${field} key`, key,
        'Use a label key: an optional DNS subdomain prefix and "/", then at most 63 letters, digits, \'-\', \'_\' and \'.\', starting and ending with a letter or digit (for example "nvidia.com/gpu.product").');
    }
    if (typeof value !== 'string' || value.length > 63 || (value !== '' && !LABEL_NAME.test(value))) {
      throw new ConfigurationError(`${field}.${key}`, value,
        'Use a label value: at most 63 letters, digits, \'-\', \'_\' and \'.\', starting and ending with a letter or digit, or empty.');
    }
  }
}

/**
 * A user's string as a literal in a container's command, args or env value. Kubernetes expands
 * `$(VAR)` there and turns `$$` into `$` (API reference, Container.args and EnvVar.value:
 * "Double $$ are reduced to a single $, which allows for escaping the $(VAR_NAME) syntax"), so
 * a served model name `$(VLLM_API_KEY)` would become the key. Every `$` is doubled: the container
 * sees exactly the string given.
 */
export function literalForKubernetes(text: string): string {
  return text.replace(/\$/g, '$$$$');
}
