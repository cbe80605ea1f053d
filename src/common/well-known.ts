import { ANNOTATIONS, MANAGED_BY, PART_OF } from './labels';

/** The label values and pod annotations this library writes, for tools that read them. */
export class H2oGptMetadata {
  /** Value of `app.kubernetes.io/managed-by` on everything the library renders. */
  public static readonly MANAGED_BY: string = MANAGED_BY;
  /** Value of `app.kubernetes.io/part-of`. */
  public static readonly PART_OF: string = PART_OF;
  /** Pod annotation: the startup strategy the stack chose. */
  public static readonly STARTUP_STRATEGY_ANNOTATION: string = ANNOTATIONS.startupStrategy;
  /** Pod annotation: why it chose it. */
  public static readonly STARTUP_REASON_ANNOTATION: string = ANNOTATIONS.startupReason;
  /**
   * Pod annotation: comma-separated names of the init containers that call the network (empty:
   * none do). The analyzer trusts it, on any pod, instead of guessing from commands.
   */
  public static readonly NETWORK_INIT_CONTAINERS_ANNOTATION: string = ANNOTATIONS.networkInitContainers;
  /** Pod annotation: digest of the waiter script, so a changed script rolls the pods. */
  public static readonly WAITER_SHA256_ANNOTATION: string = ANNOTATIONS.waiterSha256;
  /** Pod annotation on a multi-node group's pods: how the group's own traffic passes the mesh, and why. */
  public static readonly GROUP_TRAFFIC_ANNOTATION: string = ANNOTATIONS.groupTraffic;

  private constructor() {}
}
