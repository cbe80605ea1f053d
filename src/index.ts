// The public API: what jsii publishes to every language and API.md documents. Only classes,
// interfaces and enums; helpers the CLI and the plugin share live in ./internal.

// Errors and well-known metadata
export * from './common/error-details';
export * from './common/secret-key-reference';
export * from './common/well-known';
export * from './common/warnings';

// Mesh knowledge
export { Mesh, Dataplane } from './mesh/mesh-profiles';
export { MeshMode, MtlsMode } from './mesh/mesh-mode';
export type { MeshOptions, SidecarMeshOptions } from './mesh/mesh-mode';
export { Network, Verdict, TimelineRole } from './mesh/capture-rules';

// Startup strategies
export { StartupStrategy } from './common/startup-strategy';
export { StartupWait, StartupWaitKind } from './startup/startup-wait';
export type { InitContainerWaitOptions } from './startup/startup-wait';
export * from './startup/startup-planner';
export { PlaintextTraffic, RefusalCode } from './common/startup-strategy';
export type { StartupDecision, StrategyEvaluation, StartupContext } from './startup/decide';
export type { WaiterSettings, ResolvedWaiterSettings } from './startup/waiter';

// Workloads, security and the stack
export * from './workloads/model-cache';
export { EnvironmentValue } from './workloads/workload-options';
export type { WorkloadOptions } from './workloads/workload-options';
export * from './workloads/vllm-endpoint';
export * from './workloads/pod-workload';
export { DeployedWorkload } from './workloads/deployed-workload';
export type { WorkloadIdentity, ScaleTargetReference } from './workloads/deployed-workload';
export type { LoraAdapter } from './workloads/lora-adapter';
export { VllmServer } from './workloads/vllm-server';
export type { VllmServerOptions, VllmServerProps } from './workloads/vllm-server';
export { H2oGpt } from './workloads/h2ogpt';
export type { H2oGptOptions, H2oGptProps } from './workloads/h2ogpt';
export * from './security/traffic-policy';

// Exposure: how users outside the cluster reach the UI, and who may log in
export { Exposure, ExposureKind } from './exposure/exposure';
export type { GatewayExposureOptions, IngressExposureOptions } from './exposure/exposure';
export { UiAuthentication, UiAuthenticationKind } from './workloads/ui-authentication';

// Observability: what watches vLLM
export type { MonitoringOptions } from './observability/monitoring';

// Autoscaling
export type { AutoscalingOptions } from './autoscaling/autoscaling';

export { H2oGptStack } from './stack/h2ogpt-stack';
export type { AdditionalModelOptions } from './stack/additional-model';
export type { H2oGptStackProps } from './stack/h2ogpt-stack';

// The analyzer for any pod
export * from './analyzer/startup-check';
export * from './analyzer/startup-analyzer';
export type { StartupReport } from './analyzer/analyze';
export type { SourcedObject } from './analyzer/manifest-reader';
export type { PodFinding, InitContainerFinding, TimelineStep } from './analyzer/startup-model';
