import { ConfigurationError, StartupRefusedError } from '../common/errors';
import { initContainerNetwork, initContainerVerdict, InitNetwork, Network, podDataplane, Verdict } from '../mesh/capture-rules';
import { MeshMode, profileOf } from '../mesh/mesh-mode';
import { Dataplane } from '../mesh/mesh-profiles';
import { meshPodMetadata, portExclusionMetadata } from '../mesh/pod-metadata';
import { KUBELET_BACKOFF_CAP_SECONDS, restartBackoffWorstCaseDelay } from './restart-backoff';
import { CONCRETE_STRATEGIES, PlaintextTraffic, RefusalCode, StartupStrategy } from '../common/startup-strategy';
import { DEFAULT_WAITER_IMAGE, DEFAULT_WAITER_UID, StartupWait, StartupWaitKind } from './startup-wait';

/** Kubernetes turned SidecarContainers on by default in 1.29 (docs/mesh-facts.md §1). */
export const NATIVE_SIDECAR_MIN_KUBERNETES_MINOR = 29;
/** The Kubernetes version assumed when a stack does not name one. */
export const DEFAULT_KUBERNETES_VERSION = '1.30';

/**
 * What an allowed strategy sends to vLLM as plaintext under a mode. The mesh policy emitted for
 * vLLM must admit exactly that traffic besides h2oGPT's mTLS identity, and no more.
 */
export function plaintextToUpstream(mode: MeshMode, strategy: StartupStrategy): PlaintextTraffic {
  if (!profileOf(mode) || mode.dataplane !== Dataplane.SIDECAR) return PlaintextTraffic.NONE;
  switch (strategy) {
    case StartupStrategy.PORT_EXCLUSION:
      return PlaintextTraffic.ALL;
    case StartupStrategy.PROXY_UID_BYPASS:
      return PlaintextTraffic.HEALTH_CHECK;
    case StartupStrategy.INIT_CONTAINER:
      // Without CNI the init container runs before the mesh's iptables init; with CNI it is refused.
      return mode.cni ? PlaintextTraffic.NONE : PlaintextTraffic.HEALTH_CHECK;
    case StartupStrategy.IN_APP_WAIT:
    case StartupStrategy.NONE:
      return PlaintextTraffic.NONE;
    case StartupStrategy.AUTO:
      throw new Error('plaintextToUpstream takes a concrete strategy; resolve AUTO with autoStrategy() first');
  }
}

/** What one concrete strategy means under one mode: allowed or refused, and why. */
export interface StrategyEvaluation {
  readonly strategy: StartupStrategy;
  readonly allowed: boolean;
  /** Present when refused. */
  readonly refusal?: RefusalCode;
  readonly reason: string;
  /** Costs the user should know about even though it is allowed. */
  readonly warnings: string[];
}

/** The strategy a stack uses, why, and any warnings. */
export interface StartupDecision {
  readonly requested: StartupStrategy;
  readonly strategy: StartupStrategy;
  readonly reason: string;
  readonly warnings: string[];
}

/** What the facts in an evaluation depend on besides the mode. */
export interface StartupContext {
  /** The port h2oGPT calls vLLM on (named in the port-exclusion text). */
  readonly upstreamPort: number;
  /** Kubernetes minor version of the target cluster, e.g. 30 for 1.30. */
  readonly kubernetesMinor: number;
  /** How long vLLM may take to load, for the NONE strategy's worst-case delay. */
  readonly upstreamStartupBudgetSeconds: number;
}

/** Parses "1.30" or "1.30.2" (a leading "v" is accepted) into the minor version. */
export function parseKubernetesMinor(version: string, field = 'kubernetesVersion'): number {
  const match = /^v?1\.(\d{1,3})(\.\d+)?$/.exec(typeof version === 'string' ? version : '');
  if (!match) {
    throw new ConfigurationError(field, version, 'Use a Kubernetes version such as "1.30" or "1.30.2".');
  }
  return Number(match[1]);
}

/** The strategy AUTO picks for a mode. */
export function autoStrategy(mode: MeshMode): StartupStrategy {
  return mode.dataplane === Dataplane.SIDECAR ? StartupStrategy.IN_APP_WAIT : StartupStrategy.INIT_CONTAINER;
}

/**
 * The wait a concrete strategy renders under a mode, decided once: H2oGpt renders exactly this,
 * and the rule engine judges exactly this. Every strategy has its own case. A port exclusion
 * covers `upstreamPort` and every one of `otherUpstreamPorts` (more vLLM servers).
 */
export function startupWaitFor(mode: MeshMode, strategy: StartupStrategy, upstreamPort: number, otherUpstreamPorts: readonly number[] = [],
  image: string = DEFAULT_WAITER_IMAGE): StartupWait {
  switch (strategy) {
    case StartupStrategy.INIT_CONTAINER:
      return StartupWait.initContainer({ image, runAsUser: DEFAULT_WAITER_UID });
    case StartupStrategy.PROXY_UID_BYPASS:
      return StartupWait.initContainer({ image, runAsUser: profileOf(mode)?.proxyUid ?? DEFAULT_WAITER_UID });
    case StartupStrategy.PORT_EXCLUSION:
      return StartupWait.initContainer({ image, runAsUser: DEFAULT_WAITER_UID, podAnnotations: portExclusionMetadata(mode, upstreamPort, ...otherUpstreamPorts).annotations });
    case StartupStrategy.IN_APP_WAIT:
      return StartupWait.inApp();
    case StartupStrategy.NONE:
      return StartupWait.none();
    case StartupStrategy.AUTO:
      throw new Error('startupWaitFor takes a concrete strategy; resolve AUTO with autoStrategy() first');
  }
}

/**
 * What the rule engine says of the waiter init container a plan renders: the same question the
 * analyzer asks of any pod, so a refusal here and a finding there give one reason.
 */
export function judgeInitContainerWait(mode: MeshMode, wait: StartupWait, upstreamPort: number): InitNetwork & { verdict: Verdict; outcome: string } {
  const mesh = meshPodMetadata(mode);
  const metadata = { labels: mesh.labels, annotations: { ...mesh.annotations, ...wait.podAnnotations } };
  const plane = podDataplane(mode, { metadata, spec: {} });
  const network = initContainerNetwork(mode, plane, { uid: wait.runAsUser, port: upstreamPort }, metadata.annotations);
  return { ...network, ...initContainerVerdict(network.network, mode, true) };
}

/** Evaluates one concrete strategy under a mode. This is the decision table the README shows. */
export function evaluateStrategy(mode: MeshMode, strategy: StartupStrategy, context: StartupContext): StrategyEvaluation {
  const profile = profileOf(mode);
  const where = mode.describe();
  const allow = (reason: string, warnings: string[] = []): StrategyEvaluation => ({ strategy, allowed: true, reason, warnings });
  const refuse = (refusal: RefusalCode, reason: string): StrategyEvaluation => ({ strategy, allowed: false, refusal, reason, warnings: [] });

  if (strategy === StartupStrategy.AUTO) {
    throw new Error('evaluateStrategy takes a concrete strategy; resolve AUTO with autoStrategy() first');
  }

  // Policy first: what the cluster or the mode rules out before any traffic flows.
  if (mode.dataplane === Dataplane.NATIVE_SIDECAR && context.kubernetesMinor < NATIVE_SIDECAR_MIN_KUBERNETES_MINOR) {
    return refuse(RefusalCode.KUBERNETES_TOO_OLD,
      `native sidecars need the SidecarContainers feature, on by default from Kubernetes 1.${NATIVE_SIDECAR_MIN_KUBERNETES_MINOR}; `
      + `the target is 1.${context.kubernetesMinor}. Set kubernetesVersion to the cluster's real version (>= 1.29), or use the classic sidecar mode`);
  }
  if (profile && mode.dataplane === Dataplane.NATIVE_SIDECAR && mode.releaseAtLeast(profile.nativeSidecarPerPodSince[0], profile.nativeSidecarPerPodSince[1]) === false) {
    return refuse(RefusalCode.MESH_TOO_OLD,
      `${profile.displayName} ${mode.version} does not honour the per-pod native-sidecar opt-in (from ${profile.nativeSidecarPerPodSince.join('.')}), `
      + 'so the pod would get a classic sidecar. Upgrade the mesh, or use the classic sidecar mode');
  }
  const bypass = strategy === StartupStrategy.PROXY_UID_BYPASS || strategy === StartupStrategy.PORT_EXCLUSION;
  const nothingToBypass = bypass && (!profile || mode.dataplane !== Dataplane.SIDECAR);

  const wait = startupWaitFor(mode, strategy, context.upstreamPort);
  switch (wait.kind) {
    case StartupWaitKind.INIT_CONTAINER: {
      // The rules: what the waiter init container's connections meet in the pod as rendered.
      const judged = judgeInitContainerWait(mode, wait, context.upstreamPort);
      if (judged.verdict === Verdict.DEADLOCK) {
        return refuse(RefusalCode.DEADLOCK, `it deadlocks: ${judged.why}, and ${judged.outcome}`);
      }
      if (judged.verdict === Verdict.FAILS) {
        return refuse(RefusalCode.PLAINTEXT_REJECTED, `its traffic to vLLM leaves the pod as plaintext outside the mesh (${judged.why}), `
          + `and vLLM's ${judged.outcome}${profile ? ` (enforced by ${profile.identityPolicyDescription})` : ''}`);
      }
      // Policy: a bypass that would work but has nothing to work around only costs plaintext.
      if (nothingToBypass) {
        return refuse(RefusalCode.NOTHING_TO_BYPASS,
          `${strategy} only works around a classic sidecar's traffic capture; under ${where} there is nothing to work around`);
      }
      if (!profile) return allow('no mesh: the init container reaches vLLM directly, so h2oGPT starts only once vLLM is healthy');
      if (judged.network === Network.MESHED) {
        const assumed = mode.dataplane === Dataplane.NATIVE_SIDECAR && mode.version === undefined
          ? ` (assumes ${profile.displayName} ${profile.nativeSidecarPerPodSince.join('.')} or later, which honours the per-pod opt-in; give the mesh version to have it checked)`
          : '';
        return allow(`the init-container wait is meshed: ${judged.why}${assumed}`);
      }
      const plaintext = `the init container reaches vLLM in plaintext (${judged.why}), which permissive mTLS accepts`;
      switch (strategy) {
        case StartupStrategy.PROXY_UID_BYPASS:
          return allow(plaintext, [`proxy-uid-bypass relies on ${profile.displayName} exempting UID ${profile.proxyUid} from capture, an implementation detail; on OpenShift the proxy UID is assigned per namespace and must be pinned`]);
        case StartupStrategy.PORT_EXCLUSION:
          return allow(plaintext, [`port-exclusion makes all of h2oGPT's traffic to vLLM port ${context.upstreamPort} plaintext for the pod's whole life, not only the startup check`]);
        default:
          return allow(plaintext, [`the init-container wait under ${where} is plaintext; it breaks if vLLM's mTLS becomes STRICT`]);
      }
    }
    case StartupWaitKind.IN_APP:
      if (profile && mode.dataplane === Dataplane.SIDECAR) {
        return allow(`${profile.displayName} sidecar: init containers cannot use the mesh (${mode.cni ? 'captured by ' + profile.cniPluginName + ' before the proxy runs' : 'plaintext before ' + profile.iptablesInitContainerName}), `
          + `so h2oGPT waits for vLLM in its own container once ${profile.proxyContainerName} is ready (${profile.holdUntilProxyReady.key}), then execs generate.py`);
      }
      return allow('h2oGPT waits for vLLM in its own container, then execs generate.py');
    case StartupWaitKind.NONE: {
      const worst = restartBackoffWorstCaseDelay(context.upstreamStartupBudgetSeconds);
      return allow('no wait: h2oGPT starts at once; the 0.2.1 image turns Ready and its chats fail until vLLM is up (newer images, told to fail on an unreachable model, restart with back-off)',
        [`startup strategy "none": h2oGPT starts without waiting. The pinned 0.2.1 image turns Ready at once and every chat fails `
          + 'until vLLM is up. Newer images drop an unreachable model for good unless told to fail; the stack sets '
          + `H2OGPT_FAIL_IF_INVALID_CLIENT=True, so they crash and the kubelet's restart back-off retries them: with a vLLM load of up to `
          + `${context.upstreamStartupBudgetSeconds} s they may start up to ${worst} s after vLLM is ready (10 s doubling to `
          + `${KUBELET_BACKOFF_CAP_SECONDS} s, a model, not a measurement). Use "auto" to start as soon as vLLM is ready`]);
    }
  }
}

/**
 * Resolves the requested strategy (AUTO included) under a mode. Throws a StartupRefusedError that
 * says why and names the safe alternatives when the combination would hang or be rejected.
 */
export function decideStartup(mode: MeshMode, requested: StartupStrategy, context: StartupContext): StartupDecision {
  if (!Object.values(StartupStrategy).includes(requested)) {
    throw new ConfigurationError('startupStrategy', requested, `Use one of: ${Object.values(StartupStrategy).join(', ')}.`);
  }
  const strategy = requested === StartupStrategy.AUTO ? autoStrategy(mode) : requested;
  const evaluation = evaluateStrategy(mode, strategy, context);
  if (!evaluation.allowed) {
    const safe = CONCRETE_STRATEGIES.filter((s) => evaluateStrategy(mode, s, context).allowed);
    const alternatives = safe.length > 0
      ? `Safe alternatives under ${mode.describe()}: ${safe.join(', ')}${safe.includes(autoStrategy(mode)) ? ` (auto picks ${autoStrategy(mode)})` : ''}.`
      : 'No strategy is safe under this mode as configured; fix the setting named above.';
    throw new StartupRefusedError(strategy, evaluation.refusal!, mode.describe(), `${evaluation.reason}. ${alternatives}`);
  }
  const reason = requested === StartupStrategy.AUTO ? `auto: ${evaluation.reason}` : evaluation.reason;
  return { requested, strategy, reason, warnings: evaluation.warnings };
}
