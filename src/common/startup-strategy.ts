/** How h2oGPT waits for vLLM before it starts. */
export enum StartupStrategy {
  /** Pick the safe strategy for the mesh mode: INIT_CONTAINER where init containers are meshed or no mesh, IN_APP_WAIT under classic sidecars. */
  AUTO = 'auto',
  /** An init container polls vLLM's /health; h2oGPT starts once it succeeds. */
  INIT_CONTAINER = 'init-container',
  /** The h2oGPT container itself waits, after the proxy is ready, then execs generate.py. */
  IN_APP_WAIT = 'in-app-wait',
  /** The init container runs as the mesh proxy's UID, so its traffic escapes capture (plaintext). */
  PROXY_UID_BYPASS = 'proxy-uid-bypass',
  /** The vLLM port is excluded from capture for the whole pod (plaintext, app traffic too). */
  PORT_EXCLUSION = 'port-exclusion',
  /** No wait: h2oGPT starts at once; chats fail until vLLM is up (docs/mesh-facts.md §7). Never chosen by AUTO. */
  NONE = 'none',
}

/** Every concrete strategy, in the order the docs list them. */
export const CONCRETE_STRATEGIES: ReadonlyArray<StartupStrategy> = [
  StartupStrategy.INIT_CONTAINER,
  StartupStrategy.IN_APP_WAIT,
  StartupStrategy.PROXY_UID_BYPASS,
  StartupStrategy.PORT_EXCLUSION,
  StartupStrategy.NONE,
];

/** Which of h2oGPT's traffic to vLLM a strategy sends as plaintext, outside the mesh. */
export enum PlaintextTraffic {
  /** None: every request to vLLM is meshed (or there is no mesh). */
  NONE = 'none',
  /** Only the waiter's GET of vLLM's health URL. */
  HEALTH_CHECK = 'health-check',
  /** All of it, the app's requests included, for the pod's whole life. */
  ALL = 'all',
}

/** Why a strategy is refused; each code has one explanation. */
export enum RefusalCode {
  DEADLOCK = 'deadlock',
  PLAINTEXT_REJECTED = 'plaintext-rejected',
  NOTHING_TO_BYPASS = 'nothing-to-bypass',
  KUBERNETES_TOO_OLD = 'kubernetes-too-old',
  MESH_TOO_OLD = 'mesh-too-old',
}
