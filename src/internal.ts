// Not part of the public API: helpers the CLI, the validation plugin and the tests share, for
// TypeScript only (`cdk8s-h2ogpt/lib/internal`). They may change in any release.
export * from './index';
export { ConfigurationError, StartupRefusedError, ManifestError, withFieldPrefix, errorKindOf } from './common/errors';
export { ANNOTATIONS, MANAGED_BY, PART_OF } from './common/labels';
export { profileOf } from './mesh/mesh-mode';
export { CONCRETE_STRATEGIES } from './common/startup-strategy';
export {
  decideStartup, autoStrategy, evaluateStrategy, plaintextToUpstream, parseKubernetesMinor,
  DEFAULT_KUBERNETES_VERSION, NATIVE_SIDECAR_MIN_KUBERNETES_MINOR,
} from './startup/decide';
export { DEFAULT_WAITER_IMAGE, DEFAULT_WAITER_UID } from './startup/startup-wait';
export { WAITER_SCRIPT_KEY, WAITER_SCRIPT_PATH, DEFAULT_WAITER_SETTINGS } from './startup/waiter';
export { DEFAULT_MODEL, DEFAULT_VLLM_IMAGE, DEFAULT_VLLM_PORT, MODEL_CACHE_PATH, VLLM_HEALTH_PATH, VLLM_HOME, VLLM_PORT_NAME, DEFAULT_VLLM_UID } from './workloads/vllm-server';
export { DEFAULT_H2OGPT_IMAGE, H2OGPT_UI_CONTAINER_PORT, H2OGPT_COMMAND, WAIT_INIT_CONTAINER_NAME, DEFAULT_H2OGPT_UID } from './workloads/h2ogpt';
export { checkStackName } from './stack/h2ogpt-stack';
export { StartupValidation } from './analyzer/validation-plugin';
export type { StartupValidationProperties } from './analyzer/validation-plugin';
export { analyzeObjects, reportJson, reportText } from './analyzer/analyze';
export { readManifests } from './analyzer/manifest-reader';
