/** The value of `app.kubernetes.io/managed-by` on everything this library renders. */
export const MANAGED_BY = 'cdk8s-h2ogpt';
/** The value of `app.kubernetes.io/part-of`. */
export const PART_OF = 'h2ogpt';
/** Annotations this library writes on pod templates. */
export const ANNOTATIONS = {
  /** The startup strategy the stack chose. */
  startupStrategy: 'cdk8s-h2ogpt.io/startup-strategy',
  /** Why it chose it. */
  startupReason: 'cdk8s-h2ogpt.io/startup-reason',
  /**
   * Comma-separated names of the init containers that call the network (empty: none do).
   * The analyzer trusts it instead of guessing from commands.
   */
  networkInitContainers: 'cdk8s-h2ogpt.io/network-init-containers',
  /** Digest of the waiter script, so a changed script rolls the pods. */
  waiterSha256: 'cdk8s-h2ogpt.io/waiter-sha256',
  /** On a multi-node group's pods: how the group's own traffic passes the mesh, and why. */
  groupTraffic: 'cdk8s-h2ogpt.io/group-traffic',
} as const;

/**
 * The labels a workload's selector uses. Only stable, user-named values go here, never a
 * construct-path hash, so renaming a construct id cannot change an immutable selector.
 */
export function selectorLabels(name: string, instance: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/instance': instance,
  };
}

/** Selector labels plus the descriptive ones, for metadata and pod templates. */
export function standardLabels(name: string, instance: string, component: string): Record<string, string> {
  return {
    ...selectorLabels(name, instance),
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/managed-by': MANAGED_BY,
  };
}
