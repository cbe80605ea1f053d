export * from './common/errors';
export * from './common/secret-key-reference';
export { ANNOTATIONS, MANAGED_BY, PART_OF } from './common/labels';
export { Mesh, Dataplane } from './mesh/mesh-profiles';
export * from './mesh/mesh-mode';
export * from './startup/startup-strategy';
export {
  decideStartup, autoStrategy, evaluateStrategy, StartupRefusedError, RefusalCode,
  DEFAULT_KUBERNETES_VERSION, NATIVE_SIDECAR_MIN_KUBERNETES_MINOR,
} from './startup/decide';
export type { StartupDecision, StrategyEvaluation, StartupContext } from './startup/decide';
export * from './startup/startup-wait';
export { WAITER_SCRIPT_KEY, WAITER_SCRIPT_PATH, DEFAULT_WAITER_SETTINGS } from './startup/waiter';
export type { WaiterSettings } from './startup/waiter';
export { PlaintextTraffic } from './startup/decide';
export * from './security/traffic-policy';
export * from './workloads/model-cache';
export * from './workloads/vllm-server';
export * from './workloads/h2ogpt';
export * from './stack/h2ogpt-stack';
export * from './analyzer/startup-check';
export { StartupValidation } from './analyzer/validation-plugin';
export type { StartupValidationProperties } from './analyzer/validation-plugin';
export { analyzeObjects, reportJson, reportText } from './analyzer/analyze';
export type { StartupReport } from './analyzer/analyze';
export { readManifests, ManifestError } from './analyzer/manifest-reader';
export type { PodFinding, InitContainerFinding, TimelineStep, Verdict, Network } from './analyzer/startup-model';
