import { MeshMode } from '../mesh/mesh-mode';
import {
  autoStrategy, decideStartup, DEFAULT_KUBERNETES_VERSION, evaluateStrategy, NATIVE_SIDECAR_MIN_KUBERNETES_MINOR, parseKubernetesMinor,
  plaintextToUpstream, StartupContext, StartupDecision, StrategyEvaluation,
} from './decide';
import { renderDecisionTable } from './decision-table';
import { CONCRETE_STRATEGIES, PlaintextTraffic, StartupStrategy } from '../common/startup-strategy';

/**
 * The startup decision on its own, without synthesizing anything: which strategy a mesh mode
 * allows, why, and what it costs. `H2oGptStack` asks the same questions.
 */
export class StartupPlanner {
  /** Kubernetes turned SidecarContainers on by default in this minor version (1.29). */
  public static readonly NATIVE_SIDECAR_MIN_KUBERNETES_MINOR: number = NATIVE_SIDECAR_MIN_KUBERNETES_MINOR;
  /** The Kubernetes version assumed when a stack does not name one. */
  public static readonly DEFAULT_KUBERNETES_VERSION: string = DEFAULT_KUBERNETES_VERSION;

  /**
   * Resolves the requested strategy (AUTO included) under a mode. Throws, with a message that
   * says why and names the safe alternatives, when the combination would hang or be rejected;
   * read it with `Errors.inspect`.
   */
  public static decide(mesh: MeshMode, requested: StartupStrategy, context: StartupContext): StartupDecision {
    return decideStartup(mesh, requested, context);
  }

  /** The strategy AUTO picks for a mode. */
  public static auto(mesh: MeshMode): StartupStrategy {
    return autoStrategy(mesh);
  }

  /** One concrete strategy under a mode: allowed or refused, why, and its costs. */
  public static evaluate(mesh: MeshMode, strategy: StartupStrategy, context: StartupContext): StrategyEvaluation {
    return evaluateStrategy(mesh, strategy, context);
  }

  /** Every concrete strategy (all but AUTO), in the order the docs list them. */
  public static concreteStrategies(): StartupStrategy[] {
    return [...CONCRETE_STRATEGIES];
  }

  /** What an allowed strategy sends to vLLM as plaintext under a mode. */
  public static plaintextToUpstream(mesh: MeshMode, strategy: StartupStrategy): PlaintextTraffic {
    return plaintextToUpstream(mesh, strategy);
  }

  /** Parses a Kubernetes version such as "1.30" or "v1.30.2" into its minor version. */
  public static kubernetesMinor(version: string): number {
    return parseKubernetesMinor(version);
  }

  /** The decision table of every mode variant and strategy, as the README shows it (Markdown). */
  public static decisionTable(kubernetesVersion?: string): string {
    return renderDecisionTable(kubernetesVersion);
  }

  private constructor() {}
}
