import { readFileSync } from 'fs';
import { join } from 'path';
import { parse } from 'yaml';
import { ConfigurationError } from '../common/errors';
import { closest } from '../common/suggest';
import { SecretKeyReference } from '../common/secret-key-reference';
import { MeshMode, MtlsMode } from '../mesh/mesh-mode';
import { H2oGptStackProps } from '../stack/h2ogpt-stack';
import { StartupStrategy } from '../common/startup-strategy';
import { ModelCache, ModelCacheAccessMode } from '../workloads/model-cache';
import { VllmServerOptions } from '../workloads/vllm-server';
import { EnvironmentValue } from '../workloads/workload-options';
import { Exposure, GatewayExposureOptions, IngressExposureOptions } from '../exposure/exposure';
import { UiAuthentication } from '../workloads/ui-authentication';

// `cdk8s-h2ogpt synth --config stack.yaml`: every prop of H2oGptStack in YAML, so that nothing needs
// TypeScript. Values are checked by the constructs themselves, with the same messages as the API;
// this file only turns YAML into props and refuses a field the stack does not have.

/** The props of a jsii interface, its bases' included, from the package's own .jsii assembly. */
function jsiiProps(assembly: any, fqn: string): Array<{ name: string; type: any }> {
  const type = assembly.types[fqn];
  if (!type) throw new Error(`cdk8s-h2ogpt: ${fqn} is missing from the .jsii assembly; rebuild with npm run build`);
  return [...(type.interfaces ?? []).flatMap((base: string) => jsiiProps(assembly, base)), ...(type.properties ?? [])];
}

let fields: { [section: string]: string[] } | undefined;
/** Per section, the fields whose type is a plain value (string, number or boolean), by name. */
let plainTypes: { [section: string]: { [field: string]: string } } = {};

/**
 * The fields each section accepts: a misspelt one is refused rather than ignored. The stack's
 * sections come from the jsii assembly, so a new prop is reachable from the file at once.
 */
function sectionFields(): { [section: string]: string[] } {
  if (!fields) {
    const assembly = JSON.parse(readFileSync(join(__dirname, '..', '..', '.jsii'), 'utf8'));
    const of = (name: string, section?: string) => {
      const props = jsiiProps(assembly, `cdk8s-h2ogpt.${name}`);
      // A prop whose type is a plain value, or an enum (a string in YAML), in jsii's words.
      if (section !== undefined) {
        plainTypes[section] = Object.fromEntries(props.flatMap((p) => (p.type?.primitive && p.type.primitive !== 'any' ? [[p.name, p.type.primitive]]
          : p.type?.fqn && assembly.types[p.type.fqn]?.kind === 'enum' ? [[p.name, 'string']] : [])));
      }
      return props.map((p) => p.name);
    };
    plainTypes = {};
    fields = {
      '': of('H2oGptStackProps', ''),
      'mesh': ['mode', 'cni', 'mtls', 'version'],
      'vllm': of('VllmServerOptions', 'vllm'),
      'additionalModels': of('AdditionalModelOptions', 'additionalModels'),
      'modelCache': ['size', 'storageClassName', 'accessMode', 'existingClaim', 'ephemeral', 'sizeLimit'],
      'h2ogpt': of('H2oGptOptions', 'h2ogpt'),
      'trafficPolicy': of('TrafficPolicyOptions', 'trafficPolicy'),
      'waiter': of('WaiterSettings', 'waiter'),
      'secret': ['secretName', 'key'],
      'env': ['value', 'secretName', 'key', 'configMapName'],
      'monitoring': of('MonitoringOptions', 'monitoring'),
      'autoscaling': of('AutoscalingOptions', 'autoscaling'),
      'exposure': ['gateway', 'ingress'],
      'exposure.gateway': of('GatewayExposureOptions', 'exposure.gateway'),
      'exposure.ingress': of('IngressExposureOptions', 'exposure.ingress'),
      'h2ogpt.authentication': ['secretName', 'key'],
    };
  }
  return fields;
}

function checkFields(path: string, section: string, value: unknown): { [key: string]: any } {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigurationError(path || '(the file)', value, 'Expected a mapping of fields.');
  }
  for (const key of Object.keys(value)) {
    const known = sectionFields()[section];
    const field = path ? `${path}.${key}` : key;
    if (!known.includes(key)) {
      const near = closest(key, known);
      throw new ConfigurationError(field, (value as any)[key], near !== undefined
        ? `There is no such field here. Did you mean ${path ? `${path}.` : ''}${near}?`
        : `There is no such field here. The fields are: ${known.join(', ')}.`);
    }
    // A plain field given a list, a mapping or a tagged value (!!binary, a timestamp): refused here
    // with its path, rather than failing somewhere inside the stack.
    const expected = plainTypes[section]?.[key];
    const given = (value as any)[key];
    if (expected && given !== null && typeof given === 'object') {
      const what = Array.isArray(given) ? 'a list' : given instanceof Uint8Array ? 'binary data (!!binary)' : given instanceof Date ? 'a timestamp' : 'a mapping';
      throw new ConfigurationError(field, what, `Expected a ${expected}: write it as a plain YAML ${expected === 'string' ? 'string (quoted if need be)' : expected}.`);
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

function modelCache(path: string, value: unknown): ModelCache | undefined {
  if (value === undefined) return undefined;
  const fields = checkFields(path, 'modelCache', value);
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
    // MeshMode names its fields as props (mesh, cni, mtls); in the file they are keys of mesh:, and the mode is `mode`.
    try {
      return MeshMode.fromName(m.mode ?? 'none', { cni: m.cni, mtls: m.mtls as MtlsMode, version: m.version === undefined ? undefined : String(m.version) });
    } catch (error) {
      if (error instanceof ConfigurationError) throw error.renamed(`mesh.${error.field === 'mesh' ? 'mode' : error.field}`);
      throw error;
    }
  })();
  const vllm = checkFields('vllm', 'vllm', top.vllm);
  if (top.additionalModels !== undefined && !Array.isArray(top.additionalModels)) {
    throw new ConfigurationError('additionalModels', top.additionalModels, 'Expected a list of models, e.g. [{ id: coder, model: Qwen/Qwen2.5-Coder-1.5B-Instruct }].');
  }
  const additionalModels = (top.additionalModels as unknown[] | undefined)?.map((m, i) => {
    const path = `additionalModels[${i}]`;
    return { ...vllmServer(path, checkFields(path, 'additionalModels', m)), id: (m as any).id };
  });
  const h2ogpt = checkFields('h2ogpt', 'h2ogpt', top.h2ogpt);
  checkFields('trafficPolicy', 'trafficPolicy', top.trafficPolicy);
  checkFields('monitoring', 'monitoring', top.monitoring);
  checkFields('autoscaling', 'autoscaling', top.autoscaling);
  checkFields('waiter', 'waiter', top.waiter);
  const secretEnv = h2ogpt.secretEnv === undefined ? undefined
    : Object.fromEntries(Object.entries(checkAnyMapping('h2ogpt.secretEnv', h2ogpt.secretEnv)).map(([name, ref]) => [name, secret(`h2ogpt.secretEnv.${name}`, ref)!]));
  return {
    ...top,
    kubernetesVersion: top.kubernetesVersion === undefined ? undefined : String(top.kubernetesVersion),
    mesh,
    startupStrategy: top.startupStrategy as StartupStrategy | undefined,
    exposure: exposure(top.exposure),
    // `monitoring: {}` (or `monitoring:` with no fields) turns monitoring on with its defaults.
    monitoring: 'monitoring' in top ? (top.monitoring ?? {}) : undefined,
    vllm: vllmServer('vllm', vllm),
    additionalModels,
    h2ogpt: top.h2ogpt === undefined ? undefined : {
      ...h2ogpt,
      openAiApiKey: secret('h2ogpt.openAiApiKey', h2ogpt.openAiApiKey),
      authentication: authentication(h2ogpt.authentication),
      secretEnv,
      env: env('h2ogpt.env', h2ogpt.env),
    },
  };
}

/** A vLLM server's options, `vllm` or one of `additionalModels`: its Secrets, cache and env. */
function vllmServer(path: string, fields: { [key: string]: any }): VllmServerOptions {
  return {
    ...fields,
    model: fields.model,
    huggingFaceToken: secret(`${path}.huggingFaceToken`, fields.huggingFaceToken),
    apiKey: secret(`${path}.apiKey`, fields.apiKey),
    modelCache: modelCache(`${path}.modelCache`, fields.modelCache),
    env: env(`${path}.env`, fields.env),
  };
}

/** `exposure: { gateway: {...} }` or `exposure: { ingress: {...} }`. */
function exposure(value: unknown): Exposure | undefined {
  if (value === undefined) return undefined;
  const ways = checkFields('exposure', 'exposure', value);
  const given = Object.keys(ways);
  if (given.length !== 1) throw new ConfigurationError('exposure', value, 'Give exactly one of gateway: {...} or ingress: {...}.');
  return given[0] === 'gateway'
    ? Exposure.gateway(checkFields('exposure.gateway', 'exposure.gateway', ways.gateway) as GatewayExposureOptions)
    : Exposure.ingress(checkFields('exposure.ingress', 'exposure.ingress', ways.ingress) as IngressExposureOptions);
}

/** `authentication: disabled` or `authentication: { secretName, key }`. */
function authentication(value: unknown): UiAuthentication | undefined {
  if (value === undefined) return undefined;
  if (value === 'disabled') return UiAuthentication.disabled();
  const fields = checkFields('h2ogpt.authentication', 'h2ogpt.authentication', value);
  return UiAuthentication.fromSecret(fields.secretName, fields.key);
}

/**
 * `env: { NAME: "value" | { secretName, key } | { configMapName, key } }` as EnvironmentValues.
 * A bare string is a literal; the constructs refuse literals of credential-like names.
 */
function env(path: string, value: unknown): { [name: string]: EnvironmentValue } | undefined {
  if (value === undefined) return undefined;
  return Object.fromEntries(Object.entries(checkAnyMapping(path, value)).map(([name, source]) => {
    const at = `${path}.${name}`;
    if (typeof source === 'string' || typeof source === 'number' || typeof source === 'boolean') return [name, EnvironmentValue.fromValue(String(source))];
    const f = checkFields(at, 'env', source);
    if (f.configMapName !== undefined) return [name, EnvironmentValue.fromConfigMap(f.configMapName, f.key)];
    if (f.secretName !== undefined) return [name, EnvironmentValue.fromSecret(SecretKeyReference.fromSecret(f.secretName, f.key))];
    if (typeof f.value === 'string') return [name, EnvironmentValue.fromValue(f.value)];
    throw new ConfigurationError(at, source, 'Give a string, { secretName, key } or { configMapName, key }.');
  }));
}

function checkAnyMapping(path: string, value: unknown): { [key: string]: unknown } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigurationError(path, value, 'Expected a mapping.');
  return value as { [key: string]: unknown };
}
