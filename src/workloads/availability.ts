import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';

// Internal: what a workload with several replicas needs to survive a node drain.

/**
 * Spreads replicas across nodes. Soft (ScheduleAnyway): GPUs are scarce, and a hard rule would
 * leave a replica Pending rather than share a node. pod-template-hash keeps a rollout's old
 * pods from skewing the count for the new ones.
 */
export function spreadAcrossNodes(selector: { [key: string]: string }, replicas: number): k8s.TopologySpreadConstraint[] | undefined {
  if (replicas <= 1) return undefined;
  return [{
    maxSkew: 1,
    topologyKey: 'kubernetes.io/hostname',
    whenUnsatisfiable: 'ScheduleAnyway',
    labelSelector: { matchLabels: selector },
    matchLabelKeys: ['pod-template-hash'],
  }];
}

/**
 * With more than one replica, a PodDisruptionBudget that lets a drain take one pod at a time.
 * With one replica none: a budget of zero disruptions would block every drain of that node.
 */
export function disruptionBudget(scope: Construct, metadata: k8s.ObjectMeta, selector: { [key: string]: string },
  replicas: number): k8s.KubePodDisruptionBudget | undefined {
  if (replicas <= 1) return undefined;
  return new k8s.KubePodDisruptionBudget(scope, 'disruption-budget', {
    metadata,
    spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: selector } },
  });
}
