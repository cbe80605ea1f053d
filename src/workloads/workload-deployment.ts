import { Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { spreadAcrossNodes } from './availability';
import { PlatformPodSpec } from './workload-options';

/** What one workload's Deployment holds beyond what both workloads' pods share. Internal. */
export interface WorkloadPodSpec {
  readonly metadata: k8s.ObjectMeta;
  readonly selectorLabels: { [key: string]: string };
  /** The pod's labels: the user's, then the workload's. */
  readonly podLabels: { [key: string]: string };
  readonly podAnnotations?: { [key: string]: string };
  /** The replica count, or the most an autoscaler may set (which sizes the spread). */
  readonly replicas: number;
  readonly strategy?: k8s.DeploymentStrategy;
  readonly serviceAccountName: string;
  readonly platform: PlatformPodSpec;
  readonly securityContext: k8s.PodSecurityContext;
  readonly terminationGracePeriodSeconds?: number;
  readonly nodeSelector?: { [key: string]: string };
  readonly tolerations?: k8s.Toleration[];
  readonly initContainers?: k8s.Container[];
  readonly containers: k8s.Container[];
  readonly volumes: k8s.Volume[];
}

/**
 * The Deployment of `VllmServer` and `H2oGpt`: the pod fields both write the same way (their
 * ServiceAccount without a mounted token, the platform's pull secrets, affinity and priority,
 * a spread across nodes), around what each puts in its pod. Its replica count is written until
 * an autoscaler is marked (`markHasAutoscaler`, as cdk8s-plus's Deployment has it); from then on
 * the spec carries none, since a `kubectl apply` of a count would reset what the autoscaler chose
 * (Kubernetes' HorizontalPodAutoscaler docs, "Migrating Deployments and StatefulSets to
 * horizontal autoscaling").
 */
export class WorkloadDeployment {
  public readonly deployment: k8s.KubeDeployment;
  private autoscaled = false;

  public constructor(scope: Construct, spec: WorkloadPodSpec) {
    this.deployment = new k8s.KubeDeployment(scope, 'deployment', {
      metadata: spec.metadata,
      spec: {
        replicas: Lazy.any({ produce: () => (this.autoscaled ? undefined : spec.replicas) }),
        selector: { matchLabels: spec.selectorLabels },
        strategy: spec.strategy,
        template: {
          metadata: { labels: spec.podLabels, annotations: spec.podAnnotations },
          spec: {
            serviceAccountName: spec.serviceAccountName,
            imagePullSecrets: spec.platform.imagePullSecrets,
            affinity: spec.platform.affinity,
            priorityClassName: spec.platform.priorityClassName,
            // Neither workload calls the Kubernetes API.
            automountServiceAccountToken: false,
            securityContext: spec.securityContext,
            terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds,
            nodeSelector: spec.nodeSelector,
            tolerations: spec.tolerations,
            topologySpreadConstraints: spreadAcrossNodes(spec.selectorLabels, spec.replicas),
            initContainers: spec.initContainers,
            containers: spec.containers,
            volumes: spec.volumes,
          },
        },
      },
    });
  }

  /** Leaves the replica count to an autoscaler. */
  public markHasAutoscaler(): void {
    this.autoscaled = true;
  }

  /** Whether an autoscaler owns the replica count. */
  public get hasAutoscaler(): boolean {
    return this.autoscaled;
  }
}
