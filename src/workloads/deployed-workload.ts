import { ApiObject, Chart, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { checkDnsSubdomain } from '../common/checks';
import { ConfigurationError } from '../common/errors';
import { selectorLabels, standardLabels } from '../common/labels';
import { disruptionBudget, spreadAcrossNodes } from './availability';
import { IPodWorkload } from './pod-workload';
import { workloadServiceAccount } from './service-account';
import { PlatformPodSpec } from './workload-options';

/** Who a workload is: fixed before any of its objects is made. */
export interface WorkloadIdentity {
  /** Name of its Deployment, Service and own ServiceAccount, already checked. */
  readonly name: string;
  /** `app.kubernetes.io/instance`, already checked. */
  readonly instance: string;
  /** The namespace prop, already checked; the chart's applies when unset. */
  readonly namespace?: string;
  /** `app.kubernetes.io/name`: also what selects its pods. */
  readonly appName: string;
  /** `app.kubernetes.io/component`. */
  readonly component: string;
}

/** How an autoscaler names the object it scales. */
export interface ScaleTargetReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
}

/** What one workload's pod holds beyond what every workload's pod shares. @internal */
export interface WorkloadPodSpec {
  /** The pod's labels from the user; the workload's own labels are added after them. */
  readonly podLabels?: { [key: string]: string };
  readonly podAnnotations?: { [key: string]: string };
  /** The replica count, or the most an autoscaler may set (which sizes the spread). */
  readonly replicas: number;
  readonly strategy?: k8s.DeploymentStrategy;
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
 * A LeaderWorkerSet's pods: the leader's as a `WorkloadPodSpec`, and what the workers' differ in.
 * @internal
 */
export interface GroupPodSpec {
  /** The LeaderWorkerSet's name (the Service keeps the workload's own). */
  readonly name: string;
  /** Pods per group: a leader and `size - 1` workers. */
  readonly size: number;
  readonly leader: WorkloadPodSpec;
  readonly workerLabels: { [key: string]: string };
  readonly workerAnnotations?: { [key: string]: string };
  readonly workerContainers: k8s.Container[];
  /** How every pod of a group spreads across nodes. */
  readonly spread?: k8s.TopologySpreadConstraint[];
}

/** The API group and version of kubernetes-sigs/lws's LeaderWorkerSet (docs/group-facts.md §1). */
export const LEADER_WORKER_SET_API_VERSION = 'leaderworkerset.x-k8s.io/v1';

/**
 * What `VllmServer` and `H2oGpt` share: their names and labels, their mesh identity (a
 * ServiceAccount of their own without a mounted token, or an existing one), a disruption budget
 * with more than one replica, and one Deployment (or, for a vLLM server across nodes, one
 * LeaderWorkerSet) whose pods are built the same way (the platform's pull secrets, affinity and
 * priority, a spread across nodes).
 *
 * The pod stays open until synthesis, as cdk8s-plus's workloads are: `addContainer` and
 * `addVolume` add to it, and `markHasAutoscaler` leaves its replica count to an autoscaler, with no
 * patch of what was written. There is no `addInitContainer`: the pod's annotation names the init
 * containers that call the network, and the startup check trusts it, so an init container added
 * afterwards would escape the check; an init container is what deadlocks under a mesh.
 */
export abstract class DeployedWorkload extends Construct implements IPodWorkload {
  /** Name of its Deployment (or LeaderWorkerSet, with `-group`) and Service. */
  public readonly name: string;
  /** Namespace, if known at synthesis. */
  public readonly namespace?: string;
  /** Labels its Deployment and Service select on. */
  public readonly selectorLabels: { [key: string]: string };
  /** Labels on every object of this workload: the selector's plus `app.kubernetes.io/{component,part-of,managed-by}`. */
  public readonly labels: { [key: string]: string };
  /** Name of the pod's ServiceAccount: its own, or the existing one given as `serviceAccountName`. */
  public readonly serviceAccountName: string;

  private readonly namespaceProp?: string;
  private ownServiceAccount?: k8s.KubeServiceAccount;
  private budget?: k8s.KubePodDisruptionBudget;
  private kubeDeployment?: k8s.KubeDeployment;
  private groupObject?: ApiObject;
  private readonly workerContainers: k8s.Container[] = [];
  private autoscaled = false;
  private readonly containers: k8s.Container[] = [];
  private initContainerNames: string[] = [];
  private readonly volumes: k8s.Volume[] = [];

  protected constructor(scope: Construct, id: string, identity: WorkloadIdentity, serviceAccountName: string | undefined) {
    super(scope, id);
    this.name = identity.name;
    this.namespaceProp = identity.namespace;
    this.namespace = identity.namespace ?? Chart.of(this).namespace;
    this.selectorLabels = selectorLabels(identity.appName, identity.instance);
    this.labels = standardLabels(identity.appName, identity.instance, identity.component);
    this.serviceAccountName = serviceAccountName ?? this.name;
  }

  /** The Deployment. A workload served by a group of pods has none: see `leaderWorkerSet`. */
  public get deployment(): k8s.KubeDeployment {
    if (this.groupObject) throw new Error(`${this.node.path} runs as a LeaderWorkerSet (nodes > 1), not a Deployment: read leaderWorkerSet`);
    if (!this.kubeDeployment) throw new Error(`${this.node.path}: its Deployment is read before it is made`);
    return this.kubeDeployment;
  }

  /** The LeaderWorkerSet, when the workload is served by a group of pods on several nodes. */
  public get leaderWorkerSet(): ApiObject | undefined {
    return this.groupObject;
  }

  /** The object an autoscaler scales: the Deployment, or the LeaderWorkerSet (whose scale subresource counts groups). */
  public get scaleTarget(): ScaleTargetReference {
    return this.groupObject
      ? { apiVersion: LEADER_WORKER_SET_API_VERSION, kind: 'LeaderWorkerSet', name: this.groupObject.name }
      : { apiVersion: 'apps/v1', kind: 'Deployment', name: this.name };
  }

  /** The pod's own ServiceAccount (its mesh identity), unless an existing one was named. */
  public get serviceAccount(): k8s.KubeServiceAccount | undefined {
    return this.ownServiceAccount;
  }

  /** The PodDisruptionBudget, with more than one replica. */
  public get disruptionBudget(): k8s.KubePodDisruptionBudget | undefined {
    return this.budget;
  }

  /** Whether an autoscaler owns the replica count (`markHasAutoscaler`). */
  public get hasAutoscaler(): boolean {
    return this.autoscaled;
  }

  /**
   * Leaves the replica count of the Deployment (or LeaderWorkerSet) to an autoscaler (a KEDA
   * ScaledObject or an HPA on it): from then on its spec carries none, since a `kubectl apply` of a count would
   * reset what the autoscaler chose (Kubernetes' HorizontalPodAutoscaler docs, "Migrating
   * Deployments and StatefulSets to horizontal autoscaling"). Size `replicas` for the most the
   * autoscaler may set: it spreads the pods and sets the disruption budget.
   */
  public markHasAutoscaler(): void {
    this.autoscaled = true;
  }

  /**
   * Adds a container to the pod, e.g. a log shipper. Its name must be new in the pod. Without a
   * `securityContext` it gets the main container's, so the pod stays within the Pod Security
   * level it had.
   */
  public addContainer(container: k8s.Container): void {
    this.checkNewContainer('addContainer', container);
    const added = container.securityContext === undefined ? { ...container, securityContext: this.containers[0]?.securityContext } : container;
    this.containers.push(added);
    // A group's every pod, workers too: a log shipper or an agent belongs beside each.
    if (this.groupObject) this.workerContainers.push(added);
  }

  /** Adds a volume to the pod, for a container's mount. Its name must be new in the pod. */
  public addVolume(volume: k8s.Volume): void {
    if (volume === null || typeof volume !== 'object' || typeof volume.name !== 'string' || volume.name === '') {
      throw new ConfigurationError('addVolume', volume === null || typeof volume !== 'object' ? volume : '(no name)', 'Give a volume with a name, e.g. { name: "logs", emptyDir: {} }.');
    }
    if (this.volumes.some((v) => v.name === volume.name)) {
      throw new ConfigurationError('addVolume', volume.name, `The pod of ${this.name} already has a volume of that name: pick another.`);
    }
    this.volumes.push(volume);
  }

  /**
   * The metadata of each object this workload makes under its own name.
   * @internal
   */
  protected get _objectMetadata(): k8s.ObjectMeta {
    return { name: this.name, namespace: this.namespaceProp, labels: this.labels };
  }

  /**
   * Makes the pod's own ServiceAccount (unless an existing one was named) and, with more than one replica, a disruption budget.
   * @internal
   */
  protected _addIdentity(existingServiceAccountName: string | undefined, replicas: number): void {
    if (existingServiceAccountName !== undefined) checkDnsSubdomain('serviceAccountName', existingServiceAccountName);
    const metadata = this._objectMetadata;
    this.ownServiceAccount = existingServiceAccountName === undefined ? workloadServiceAccount(this, metadata) : undefined;
    this.budget = disruptionBudget(this, metadata, this.selectorLabels, replicas);
  }

  /**
   * Makes the Deployment; containers and volumes added later join its pod at synthesis.
   * @internal
   */
  protected _addDeployment(spec: WorkloadPodSpec): void {
    this.containers.push(...spec.containers);
    this.initContainerNames = (spec.initContainers ?? []).map((c) => c.name);
    this.volumes.push(...spec.volumes);
    this.kubeDeployment = new k8s.KubeDeployment(this, 'deployment', {
      metadata: this._objectMetadata,
      spec: {
        replicas: Lazy.any({ produce: () => (this.autoscaled ? undefined : spec.replicas) }),
        selector: { matchLabels: this.selectorLabels },
        strategy: spec.strategy,
        template: {
          metadata: { labels: { ...spec.podLabels, ...this.labels }, annotations: spec.podAnnotations },
          spec: this.podSpec(spec, this.containers, spreadAcrossNodes(this.selectorLabels, spec.replicas)),
        },
      },
    });
  }

  /**
   * Makes a LeaderWorkerSet (kubernetes-sigs/lws): `replicas` groups of `size` pods, a leader and
   * its workers, each group created and restarted as one (docs/group-facts.md). Containers and
   * volumes added later join every pod of it at synthesis.
   * @internal
   */
  protected _addLeaderWorkerSet(spec: GroupPodSpec): void {
    const leader = spec.leader;
    this.containers.push(...leader.containers);
    this.initContainerNames = (leader.initContainers ?? []).map((c) => c.name);
    this.workerContainers.push(...spec.workerContainers);
    this.volumes.push(...leader.volumes);
    this.groupObject = new ApiObject(this, 'leader-worker-set', {
      apiVersion: LEADER_WORKER_SET_API_VERSION,
      kind: 'LeaderWorkerSet',
      metadata: { ...this._objectMetadata, name: spec.name },
      spec: {
        // Groups; the scale subresource an autoscaler sets is this count.
        replicas: Lazy.any({ produce: () => (this.autoscaled ? undefined : leader.replicas) }),
        // Workers are made with their leader, not once it is Ready: the leader turns Ready only
        // when its workers have joined, so LeaderReady would wait forever (docs/group-facts.md §2).
        startupPolicy: 'LeaderCreated',
        leaderWorkerTemplate: {
          size: spec.size,
          // A pod that restarts has lost its rank: the group is recreated whole (docs/group-facts.md §2).
          restartPolicy: 'RecreateGroupOnPodRestart',
          // A custom resource's object: its pod templates are rendered here as KubeDeployment
          // renders its own (quantities and int-or-strings to JSON), once containers are complete.
          leaderTemplate: Lazy.any({
            produce: () => k8s.toJson_PodTemplateSpec({
              metadata: { labels: { ...leader.podLabels, ...this.labels }, annotations: leader.podAnnotations },
              spec: { ...this.podSpec(leader, this.containers, spec.spread), containers: this.containers, volumes: this.volumes },
            }),
          }),
          workerTemplate: Lazy.any({
            produce: () => k8s.toJson_PodTemplateSpec({
              metadata: { labels: { ...spec.workerLabels, ...this.labels }, annotations: spec.workerAnnotations },
              spec: { ...this.podSpec({ ...leader, initContainers: undefined }, this.workerContainers, spec.spread), containers: this.workerContainers, volumes: this.volumes },
            }),
          }),
        },
      },
    });
  }

  private podSpec(spec: WorkloadPodSpec, containers: k8s.Container[], spread: k8s.TopologySpreadConstraint[] | undefined): k8s.PodSpec {
    return {
      serviceAccountName: this.serviceAccountName,
      imagePullSecrets: spec.platform.imagePullSecrets,
      affinity: spec.platform.affinity,
      priorityClassName: spec.platform.priorityClassName,
      // Neither workload calls the Kubernetes API.
      automountServiceAccountToken: false,
      securityContext: spec.securityContext,
      terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds,
      nodeSelector: spec.nodeSelector,
      tolerations: spec.tolerations,
      topologySpreadConstraints: spread,
      initContainers: spec.initContainers,
      containers: Lazy.any({ produce: () => containers }),
      volumes: Lazy.any({ produce: () => this.volumes }),
    };
  }

  private checkNewContainer(method: string, container: k8s.Container): void {
    if (container === null || typeof container !== 'object' || typeof container.name !== 'string' || container.name === '') {
      throw new ConfigurationError(method, container === null || typeof container !== 'object' ? container : '(no name)', 'Give a container with a name and an image, e.g. { name: "log-shipper", image: "..." }.');
    }
    if ([...this.initContainerNames, ...this.containers.map((c) => c.name), ...this.workerContainers.map((c) => c.name)].includes(container.name)) {
      throw new ConfigurationError(method, container.name, `The pod of ${this.name} already has a container of that name: pick another.`);
    }
  }
}
