import { ApiObject, Chart } from 'cdk8s';
import { refuseDuplicateObjects } from '../common/unique-objects';
import { Construct } from 'constructs';
import { StartupCheck } from '../analyzer/startup-check';
import { AdditionalModelOptions, checkAdditionalModelIds } from './additional-model';
import { AutoscalingOptions, h2ogptAutoscaler, resolveAutoscaling, ResolvedAutoscaling, vllmScaledObject } from '../autoscaling/autoscaling';
import { checkDns1035Label, checkDnsLabel, checkImage } from '../common/checks';
import { ConfigurationError, withFieldPrefix } from '../common/errors';
import { Warnings } from '../common/warnings';
import { ANNOTATIONS } from '../common/labels';
import { Exposure, ExposureKind } from '../exposure/exposure';
import { UiAuthentication, UiAuthenticationKind } from '../workloads/ui-authentication';
import { exposeUi } from '../exposure/ui-exposure';
import { metricsScrapeOf, MonitoringOptions, resolveMonitoring, stackMonitoring } from '../observability/monitoring';
import { MeshMode, profileOf } from '../mesh/mesh-mode';
import { Dataplane } from '../mesh/mesh-profiles';
import { meshPodMetadata } from '../mesh/pod-metadata';
import { sessionsRefusal, stickySessions } from '../mesh/session-affinity';
import { TrafficPolicy, TrafficPolicyOptions, UiClients } from '../security/traffic-policy';
import { decideStartup, DEFAULT_KUBERNETES_VERSION, parseKubernetesMinor, plaintextToUpstream, startupWaitFor } from '../startup/decide';
import { StartupStrategy } from '../common/startup-strategy';
import { DEFAULT_WAITER_IMAGE } from '../startup/startup-wait';
import { resolveWaiterSettings, WaiterSettings } from '../startup/waiter';
import { H2oGpt, H2oGptOptions } from '../workloads/h2ogpt';
import { cacheHoldsOneNode, ListedModel, repeatedModelName, serverModelCache, SHARED_CACHE_CHOICES } from '../workloads/server-checks';
import { IVllmEndpoint } from '../workloads/vllm-endpoint';
import { DEFAULT_VLLM_PORT, VLLM_PORT_NAME, VllmServer, VllmServerOptions } from '../workloads/vllm-server';
import { NAME_SUFFIXES, roomFor, stackVllmName } from '../common/names';
import { GROUP_NAME_ROOM, GROUP_NAME_SUFFIX } from '../workloads/vllm-group';

/** Props of `H2oGptStack`. */
export interface H2oGptStackProps {
  /**
   * Installation name: the h2oGPT Deployment and Service take it, vLLM's objects add `-vllm`.
   * A DNS-1035 label (it names Services) of at most 46 characters, so the longest derived name,
   * `<name>-vllm-model-cache`, stays within 63.
   * @default "h2ogpt"
   */
  readonly name?: string;
  /**
   * Namespace of every object.
   * @default the chart's namespace
   */
  readonly namespace?: string;
  /**
   * The service mesh the pods run in.
   * @default MeshMode.none()
   */
  readonly mesh?: MeshMode;
  /**
   * How h2oGPT waits for vLLM. AUTO picks one that cannot deadlock in the mesh; an explicit
   * strategy that would deadlock or be rejected fails with an error naming the safe ones.
   * @default StartupStrategy.AUTO
   */
  readonly startupStrategy?: StartupStrategy;
  /**
   * Kubernetes version of the target cluster, e.g. "1.30". Native sidecars need 1.29 or later.
   * @default "1.30"
   */
  readonly kubernetesVersion?: string;
  /**
   * The vLLM server the stack deploys. Give this or `vllmEndpoint`.
   * @default none: `vllmEndpoint` is used
   */
  readonly vllm?: VllmServerOptions;
  /**
   * An existing vLLM server h2oGPT uses instead of one the stack deploys, e.g.
   * `VllmEndpoint.fromUrl(...)` (KServe, the vLLM production-stack, another team's), as
   * aws-ecs-patterns take an existing load balancer. The stack then writes h2oGPT and its wait
   * for that server only: no vLLM objects, and no NetworkPolicy or mesh policy, since it has no
   * vLLM pods to fence. Give this or `vllm`.
   * @default none: the stack deploys `vllm`
   */
  readonly vllmEndpoint?: IVllmEndpoint;
  /**
   * More models, each on a vLLM server of its own with its own GPUs, cache and policy. h2oGPT
   * lists them all beside `vllm`'s (its model_lock) and waits for every one before it starts,
   * because it drops a model it cannot reach at start for good.
   * @default none: one model
   */
  readonly additionalModels?: AdditionalModelOptions[];
  /**
   * The h2oGPT front end.
   * @default see H2oGptOptions
   */
  readonly h2ogpt?: H2oGptOptions;
  /**
   * How the waiter polls vLLM.
   * @default see WaiterSettings
   */
  readonly waiter?: WaiterSettings;
  /**
   * Who may talk to whom: NetworkPolicies and the mesh's mTLS and authorization objects, all on
   * by default; egress restriction is opt-in.
   * @default see TrafficPolicyOptions
   */
  readonly trafficPolicy?: TrafficPolicyOptions;
  /**
   * Istio ambient with more than one h2oGPT replica: an existing waypoint to route h2oGPT's
   * Service through, for the sticky-session DestinationRule (ztunnel alone is L4).
   * @default the stack emits a waypoint named `<name>-waypoint`
   */
  readonly waypointName?: string;
  /**
   * How users outside the cluster reach the UI: `Exposure.gateway(...)` (an HTTPRoute on an
   * existing Gateway) or `Exposure.ingress(...)`. Either needs `h2ogpt.authentication`.
   * @default Exposure.none(): two ClusterIP Services
   */
  readonly exposure?: Exposure;
  /**
   * Watch vLLM: a prometheus-operator PodMonitor (the mesh's way of scraping under mTLS), a
   * PrometheusRule with the alerts that matter, and a Grafana dashboard ConfigMap.
   * @default no monitoring objects
   */
  readonly monitoring?: MonitoringOptions;
  /**
   * Autoscale vLLM on its queue (a KEDA ScaledObject; needs `monitoring`) and h2oGPT on CPU (a
   * HorizontalPodAutoscaler). The autoscalers then own the replica counts.
   * @default no autoscaling
   */
  readonly autoscaling?: AutoscalingOptions;
  /**
   * Image of the init-container waiter (sh and nc), pinned.
   * @default DEFAULT_WAITER_IMAGE
   */
  readonly waiterImage?: string;
}

/**
 * vLLM plus h2oGPT for one mesh mode, with a startup strategy chosen so the h2oGPT pod cannot
 * deadlock waiting for vLLM. The choice and its reason are attributes and pod annotations.
 */
export class H2oGptStack extends Construct {
  /** The first vLLM server, when the stack deploys it (not with `vllmEndpoint`). */
  public readonly vllm?: VllmServer;
  /** The vLLM server h2oGPT calls first: `vllm`, or the `vllmEndpoint` given. */
  public readonly vllmEndpoint: IVllmEndpoint;
  /** The vLLM servers of `additionalModels`, in order. */
  public readonly additionalVllm: VllmServer[];
  /** Every vLLM server: `vllm`, then `additionalVllm`. */
  public readonly vllmServers: VllmServer[];
  public readonly h2ogpt: H2oGpt;
  /** The NetworkPolicies and mesh policy objects; none with `vllmEndpoint`, which has no pods here to fence. */
  public readonly trafficPolicy?: TrafficPolicy;
  /**
   * What keeps each browser session on one h2oGPT replica under the mesh: an Istio
   * DestinationRule (and, in ambient, a waypoint). Empty with one replica or no mesh.
   */
  public readonly sessionAffinity: ApiObject[];
  public readonly mesh: MeshMode;
  /** The strategy in use (never AUTO). */
  public readonly startupStrategy: StartupStrategy;
  /** Why that strategy. */
  public readonly startupReason: string;
  /** Costs of the choice worth a reviewer's attention; also recorded for `Warnings.of(app)`. */
  public readonly warnings: string[];
  /** The HTTPRoute, or the Ingress and its Certificate, that expose the UI; empty when not exposed. */
  public readonly uiRoute: ApiObject[];
  /** Where users reach the UI from outside the cluster, e.g. `https://chat.example.com/`, when exposed. */
  public readonly publicUrl?: string;
  /** The PodMonitor, PrometheusRule and dashboard ConfigMap; empty without `monitoring`. */
  public readonly monitoring: ApiObject[];
  /** vLLM's ScaledObject and h2oGPT's HorizontalPodAutoscaler, as turned on. */
  public readonly autoscalers: ApiObject[];

  public constructor(scope: Construct, id: string, props: H2oGptStackProps) {
    super(scope, id);
    const name = checkStackName('name', props.name ?? 'h2ogpt');
    if (props.namespace !== undefined) checkDnsLabel('namespace', props.namespace);
    this.mesh = props.mesh ?? MeshMode.none();
    // The mesh's objects are written in versions it serves from some release (Istio: docs/mesh-facts.md §11).
    const oldest = profileOf(this.mesh)?.oldestRelease;
    if (oldest && this.mesh.releaseAtLeast(oldest.release[0], oldest.release[1]) === false) {
      throw new ConfigurationError('version', this.mesh.version, oldest.why);
    }
    checkUpstream(props);
    const kubernetesMinor = parseKubernetesMinor(props.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION);
    const waiterImage = checkImage('waiterImage', props.waiterImage ?? DEFAULT_WAITER_IMAGE);
    const meshMetadata = meshPodMetadata(this.mesh);
    const exposure = checkExposure(props.exposure, props.h2ogpt?.authentication);
    const monitoring = props.monitoring === undefined ? undefined : resolveMonitoring(props.monitoring);
    const scrape = monitoring ? metricsScrapeOf(this.mesh) : undefined;
    const modelIds = checkAdditionalModelIds(name, props.additionalModels);
    const models = (props.additionalModels ?? []).map((options, i) => ({ field: `additionalModels[${i}]`, id: modelIds[i], options }));
    checkGroupNames(name, props.vllm, models);
    const scaling = checkAutoscaling(props, this.mesh, monitoring !== undefined);
    // Istio's merging reads what to scrape from these pod annotations (docs/mesh-facts.md §10).
    const scrapeAnnotations = (port: number | undefined): { [key: string]: string } => (scrape?.method === 'merged'
      ? { [scrape.annotations.scrape]: 'true', [scrape.annotations.port]: String(port ?? DEFAULT_VLLM_PORT), [scrape.annotations.path]: '/metrics' }
      : {});
    const vllmServer = (id: string, options: VllmServerOptions, serverName: string, instance: string) => new VllmServer(this, id, {
      ...options,
      // Autoscaled: sized for the most replicas (spread, disruption budget), the count left to KEDA.
      ...(scaling.vllm ? { replicas: scaling.vllm.max } : {}),
      name: serverName,
      instance,
      namespace: props.namespace,
      mesh: this.mesh,
      podLabels: { ...options?.podLabels, ...meshMetadata.labels },
      podAnnotations: { ...options?.podAnnotations, ...meshMetadata.annotations, ...scrapeAnnotations(options?.port) },
    });

    this.vllm = props.vllmEndpoint ? undefined : withFieldPrefix('vllm.', () => vllmServer('vllm', props.vllm!, stackVllmName(name), name));
    this.vllmEndpoint = this.vllm ?? props.vllmEndpoint!;
    // Each further server has its own instance label, so its selector never picks another's pods.
    this.additionalVllm = models.map(({ field, id, options }) => withFieldPrefix(`${field}.`, () => {
      const { id: _id, ...serverOptions } = options;
      return vllmServer(`vllm-${id}`, serverOptions, stackVllmName(name, id), `${name}-${id}`);
    }));
    this.vllmServers = [...(this.vllm ? [this.vllm] : []), ...this.additionalVllm];
    const upstreams: IVllmEndpoint[] = [this.vllmEndpoint, ...this.additionalVllm];
    checkDistinctModels(this.vllmServers, props.additionalModels ?? []);

    // Every server is judged: the strategy is one per pod, so it must hold for each upstream.
    const requested = props.startupStrategy ?? StartupStrategy.AUTO;
    const decisions = upstreams.map((server) => decideStartup(this.mesh, requested, {
      upstreamPort: server.port,
      kubernetesMinor,
      upstreamStartupBudgetSeconds: server.startupBudgetSeconds,
    }));
    const decision = decisions[0];
    // Checked here so an error names the stack's own `waiter` prop.
    upstreams.forEach((server) => resolveWaiterSettings('waiter', props.waiter ?? {}, server.startupBudgetSeconds));
    this.startupStrategy = decision.strategy;
    // h2oGPT drops a model it cannot reach at start, so it waits for all of them (README, "More than one model").
    this.startupReason = upstreams.length === 1 || decision.strategy === StartupStrategy.NONE ? decision.reason
      : `${decision.reason}; it waits for each of its ${upstreams.length} vLLM servers in turn, since h2oGPT drops a model it cannot reach at start`;
    this.warnings = [...new Set(decisions.flatMap((d) => d.warnings))];
    this.warnings.push(...podSecurityWarnings(this.mesh, this.vllmServers));
    // h2oGPT reads the tokenizer of an adapter's base model from Hugging Face (docs/app-facts.md §7).
    const tokenInH2oGpt = Object.keys(props.h2ogpt?.env ?? {}).some((name) => ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN'].includes(name));
    this.vllmServers.filter((server) => server.loraAdapters && server.gatedFamily && !tokenInH2oGpt).forEach((server) => {
      this.warnings.push(`h2oGPT lists the LoRA adapters of ${server.model} with that model's tokenizer, which it downloads from Hugging Face, and ${server.gatedFamily}* models are gated: `
        + 'give h2oGPT a token too (h2ogpt.env: { HUGGING_FACE_HUB_TOKEN: EnvironmentValue.fromSecret(SecretKeyReference.fromSecret(...)) })');
    });

    const h2ogptAnnotations: { [key: string]: string } = {
      ...props.h2ogpt?.podAnnotations,
      ...meshMetadata.annotations,
      [ANNOTATIONS.startupStrategy]: decision.strategy,
      [ANNOTATIONS.startupReason]: this.startupReason,
    };
    // The wait the rules judged, decided once: its UID, and its annotations, which H2oGpt writes.
    const startupWait = startupWaitFor(this.mesh, decision.strategy, this.vllmEndpoint.port, this.additionalVllm.map((s) => s.port), waiterImage);

    this.h2ogpt = withFieldPrefix('h2ogpt.', () => new H2oGpt(this, 'h2ogpt', {
      ...props.h2ogpt,
      ...(scaling.h2ogpt ? { replicas: scaling.h2ogpt.max } : {}),
      name,
      instance: name,
      namespace: props.namespace,
      vllm: this.vllmEndpoint,
      additionalVllm: this.additionalVllm.length > 0 ? this.additionalVllm : undefined,
      startupWait,
      waiter: props.waiter,
      podLabels: { ...props.h2ogpt?.podLabels, ...meshMetadata.labels },
      podAnnotations: h2ogptAnnotations,
    }));

    const vllm = this.vllm;
    this.trafficPolicy = vllm && withFieldPrefix('trafficPolicy.', () => new TrafficPolicy(this, 'traffic-policy', {
      ...props.trafficPolicy,
      vllm,
      additionalVllm: this.additionalVllm.length > 0 ? this.additionalVllm : undefined,
      h2ogpt: this.h2ogpt,
      mesh: this.mesh,
      plaintextToVllm: plaintextToUpstream(this.mesh, decision.strategy),
      uiClients: uiClientsOf(exposure),
      metricsScraper: monitoring && scrape ? {
        namespace: monitoring.prometheusNamespace,
        podLabels: monitoring.prometheusPodLabels,
        serviceAccount: monitoring.prometheusServiceAccount,
        port: scrape.method === 'merged' ? scrape.port : undefined,
        overMesh: scrape.method === 'over-mesh',
      } : undefined,
    }));
    if (this.trafficPolicy) {
      this.warnings.push(...this.trafficPolicy.warnings);
    } else {
      this.warnings.push(`vllmEndpoint: h2oGPT calls ${this.vllmEndpoint.url}, which this stack does not deploy: it writes no NetworkPolicy or mesh policy, `
        + 'so fence that server, and h2oGPT\'s pods, where they are deployed');
    }

    const monitored = {
      // Built only with monitoring, which needs the stack's own vLLM (checkUpstream).
      name, namespace: this.vllm?.namespace, labels: this.vllm?.labels ?? this.h2ogpt.labels,
      vllm: this.vllmServers.map((server) => ({
        name: server.name, selector: server.servingSelectorLabels ?? server.selectorLabels, portName: VLLM_PORT_NAME, port: server.port, startupBudgetSeconds: server.startupBudgetSeconds,
        group: server.leaderWorkerSet?.name,
      })),
      h2ogpt: { name: this.h2ogpt.name },
    };
    this.monitoring = monitoring ? stackMonitoring(this, this.mesh, monitored, monitoring) : [];
    // One ScaledObject per server, each on its own queue; the first keeps its construct id.
    this.autoscalers = [
      ...(scaling.vllm ? this.vllmServers.map((server, i) => vllmScaledObject(this, i === 0 ? 'vllm-scaled-object' : `vllm-scaled-object-${server.name}`,
        server,
        monitored.vllm[i], scaling.vllm!, monitoring!.prometheusNamespace)) : []),
      ...(scaling.h2ogpt ? [h2ogptAutoscaler(this, this.h2ogpt, scaling.h2ogpt)] : []),
    ];
    if (scrape?.method === 'over-mesh') {
      this.warnings.push(`monitoring under ${this.mesh.describe()}: Prometheus scrapes vLLM over the mesh, so it must run in the mesh; vLLM admits ServiceAccount `
        + `"${monitoring!.prometheusServiceAccount}" of namespace "${monitoring!.prometheusNamespace}" on its port, where only vLLM's apiKey guards /v1`);
    }

    if (this.h2ogpt.image === H2oGpt.DEFAULT_IMAGE) {
      // h2oGPT's CI has rebuilt this tag (issue #23); only a digest names what was reviewed.
      this.warnings.push(`h2ogpt.image is the tag ${H2oGpt.DEFAULT_IMAGE}, which upstream has rebuilt, so two clusters may run different code; `
        + 'pin the digest you tested with h2ogpt.image (--h2ogpt-image), e.g. gcr.io/vorvan/h2oai/h2ogpt-runtime@sha256:<digest> from '
        + '`crane digest gcr.io/vorvan/h2oai/h2ogpt-runtime:0.2.1`');
    }

    const ui = exposeUi(this, exposure, {
      name: this.h2ogpt.name, namespace: this.h2ogpt.namespace, labels: this.h2ogpt.labels, uiPort: this.h2ogpt.uiPort,
    }, this.mesh);
    this.uiRoute = ui.objects;
    this.publicUrl = ui.url;
    this.warnings.push(...ui.warnings);
    if (exposure.kind !== ExposureKind.NONE && props.h2ogpt?.authentication?.kind === UiAuthenticationKind.DISABLED) {
      const inCluster = uiClientsOf(exposure) === undefined
        ? 'so does every pod in the cluster, straight to the UI port'
        : 'so does every pod in the cluster that reaches the gateway or ingress controller, and under a mesh every meshed pod the mesh lets through';
      this.warnings.push(`h2ogpt.authentication is disabled: anyone who reaches ${ui.url} uses the UI, and through it vLLM; ${inCluster}`);
    }
    if (exposure.kind === ExposureKind.INGRESS && uiClientsOf(exposure) === undefined) {
      this.warnings.push(`exposure.ingress: the ingress controller of class "${exposure.className}" is unknown here, so h2oGPT's UI port stays open to every pod; `
        + 'set proxyNamespace (and proxyPodLabels) to the controller\'s pods');
    }

    if (props.waypointName !== undefined) {
      checkDnsLabel('waypointName', props.waypointName);
      if (this.mesh.dataplane !== Dataplane.AMBIENT) {
        throw new ConfigurationError('waypointName', props.waypointName, `Only Istio ambient routes through a waypoint; under ${this.mesh.describe()} leave it unset.`);
      }
    }
    const front = this.h2ogpt;
    const sessions = stickySessions(this, this.mesh, {
      name: front.name, namespace: front.namespace, labels: front.labels, uiPort: front.uiPort, replicas: front.replicas, service: front.service,
    }, { waypointName: props.waypointName, exposed: exposure.kind !== ExposureKind.NONE });
    this.sessionAffinity = sessions.objects;
    this.warnings.push(...sessions.warnings);

    // This stack's own pods, under this stack's mesh; other pods only if the chart asks (StartupCheck.addToChart).
    StartupCheck.addToScope(this, this.mesh);
    // Two stacks (or a stack and other objects) of one chart must not write the same object.
    refuseDuplicateObjects(Chart.of(this));
    this.warnings.forEach((w) => Warnings.add(this, w));
  }
}

/**
 * A multi-node server's pods are named `<server>-group-<n>-<n>` and need room (vllm-group.ts):
 * refused here, naming the stack's own fields, before a server names its own.
 */
function checkGroupNames(name: string, vllm: VllmServerOptions | undefined, models: Array<{ field: string; id: string; options: VllmServerOptions }>): void {
  if ((vllm?.nodes ?? 1) > 1 && stackVllmName(name).length > GROUP_NAME_ROOM) {
    throw new ConfigurationError('name', name, `vLLM serves across nodes (vllm.nodes), as a LeaderWorkerSet "${stackVllmName(name)}${GROUP_NAME_SUFFIX}" whose pods' names and labels add an index and a hash: `
      + `use at most ${GROUP_NAME_ROOM - stackVllmName('').length} characters.`);
  }
  for (const { field, id, options } of models) {
    if ((options.nodes ?? 1) > 1 && stackVllmName(name, id).length > GROUP_NAME_ROOM) {
      throw new ConfigurationError(`${field}.id`, id, `This model serves across nodes (${field}.nodes), as a LeaderWorkerSet "${stackVllmName(name, id)}${GROUP_NAME_SUFFIX}" whose pods' names and labels add an index and a hash: `
        + `use at most ${GROUP_NAME_ROOM - stackVllmName(name, '').length} characters, or a shorter stack name.`);
    }
  }
}

/**
 * Exactly one upstream: `vllm`, which the stack deploys, or an existing `vllmEndpoint`. What needs
 * the stack's own vLLM pods is refused with an endpoint, naming the key.
 */
function checkUpstream(props: H2oGptStackProps): void {
  if (props.vllm !== undefined && props.vllmEndpoint !== undefined) {
    throw new ConfigurationError('vllmEndpoint', props.vllmEndpoint.url,
      'Give vllm (a server the stack deploys) or vllmEndpoint (an existing one), not both.');
  }
  if (props.vllm === undefined && props.vllmEndpoint === undefined) {
    throw new ConfigurationError('vllm', undefined, 'Give vllm, e.g. { model: "Qwen/Qwen2.5-1.5B-Instruct" }, or vllmEndpoint, e.g. VllmEndpoint.fromUrl("http://models.ai.svc:8000", { servedModelName: "m" }).');
  }
  if (props.vllmEndpoint === undefined) return;
  const needsOwnServer = (key: string, value: unknown, what: string) => {
    if (value !== undefined) {
      throw new ConfigurationError(key, typeof value === 'object' ? typeof value : value,
        `${what} needs the vLLM server the stack deploys, and vllmEndpoint (${props.vllmEndpoint!.url}) is one it does not: leave ${key} unset, or give vllm instead.`);
    }
  };
  needsOwnServer('additionalModels', props.additionalModels, 'A further model sits beside the stack\'s first vLLM server, so it');
  needsOwnServer('monitoring', props.monitoring, 'Monitoring watches the vLLM pods, so it');
  needsOwnServer('autoscaling.vllmMaxReplicas', props.autoscaling?.vllmMaxReplicas, 'Autoscaling vLLM');
  needsOwnServer('trafficPolicy', props.trafficPolicy, 'The traffic policy fences the vLLM pods, so it');
}

/** The autoscaling options, refused where they cannot work, before anything is built. */
function checkAutoscaling(props: H2oGptStackProps, mesh: MeshMode, monitored: boolean): ResolvedAutoscaling {
  if (props.autoscaling === undefined) return {};
  const servers = [
    { field: 'vllm', options: props.vllm },
    ...(props.additionalModels ?? []).map((options, i) => ({ field: `additionalModels[${i}]`, options })),
  ];
  const scaling = resolveAutoscaling(props.autoscaling, servers.map((s) => (s.options?.gpus ?? 1) * (s.options?.nodes ?? 1)));
  if (scaling.vllm) {
    if (!monitored) {
      throw new ConfigurationError('autoscaling.vllmMaxReplicas', scaling.vllm.max, 'vLLM\'s autoscaler reads vllm:num_requests_waiting from Prometheus: set monitoring (e.g. monitoring: {}) too, or leave autoscaling.vllmMaxReplicas unset.');
    }
    for (const { field, options } of servers) {
      if (options?.replicas !== undefined) {
        throw new ConfigurationError(`${field}.replicas`, options.replicas, 'The autoscaler owns vLLM\'s replica count: remove replicas, or autoscaling.vllmMaxReplicas.');
      }
      const cache = serverModelCache(options?.modelCache, options?.nodes ?? 1);
      if (scaling.vllm.max > 1 && cacheHoldsOneNode(cache)) {
        throw new ConfigurationError('autoscaling.vllmMaxReplicas', scaling.vllm.max,
          `New replicas land on other nodes, which cannot mount a ReadWriteOnce model-cache claim (${field}.modelCache). Use ${SHARED_CACHE_CHOICES}, or ModelCache.ephemeral().`);
      }
    }
  }
  if (scaling.h2ogpt) {
    if (props.h2ogpt?.replicas !== undefined) {
      throw new ConfigurationError('h2ogpt.replicas', props.h2ogpt.replicas, 'The autoscaler owns h2oGPT\'s replica count: remove replicas, or autoscaling.h2ogptMaxReplicas.');
    }
    const profile = profileOf(mesh);
    if (profile?.sessionAffinity.mechanism === 'none' && scaling.h2ogpt.max > 1) {
      throw new ConfigurationError('autoscaling.h2ogptMaxReplicas', scaling.h2ogpt.max, sessionsRefusal(profile, 'Keep h2oGPT at one replica'));
    }
  }
  return scaling;
}

/**
 * Who may reach the UI port: an exposed UI's gateway or ingress-controller pods. Undefined where
 * that is unknown (not exposed, or an ingress class without a known controller namespace).
 */
function uiClientsOf(exposure: Exposure): UiClients | undefined {
  switch (exposure.kind) {
    case ExposureKind.GATEWAY:
      return { namespace: exposure.proxyNamespace, podLabels: exposure.proxyPodLabels };
    case ExposureKind.INGRESS:
      return exposure.proxyNamespace === undefined ? undefined : { namespace: exposure.proxyNamespace, podLabels: exposure.proxyPodLabels };
    default:
      return undefined;
  }
}

/** h2oGPT tells its models apart by name, adapters' too: refused here so the error names the stack's field. */
function checkDistinctModels(servers: VllmServer[], models: AdditionalModelOptions[]): void {
  const repeated = repeatedModelName(servers);
  if (!repeated) return;
  const [repeat, earlier] = repeated;
  const serverField = (i: number) => (i === 0 ? 'vllm' : `additionalModels[${i - 1}]`);
  const adapterField = (m: ListedModel) => `${serverField(m.server)}.loraAdapters[${m.adapter}]`;
  // The first server's model is listed first, so a repeated model is a further one's.
  const field = repeat.adapter !== undefined ? `${adapterField(repeat)}.name`
    : `${serverField(repeat.server)}.${models[repeat.server - 1].servedModelName === undefined ? 'model' : 'servedModelName'}`;
  throw new ConfigurationError(field, repeat.name,
    `${earlier.adapter !== undefined ? adapterField(earlier) : serverField(earlier.server)} already serves that name, and h2oGPT tells models apart by it: `
    + `${repeat.adapter !== undefined ? 'give the adapter a name of its own.' : 'give each model its own (servedModelName).'}`);
}

/** The exposure, refused without a decision on who may log in. */
function checkExposure(exposure: Exposure | undefined, authentication: UiAuthentication | undefined): Exposure {
  if (exposure === undefined) return Exposure.none();
  if (!(exposure instanceof Exposure)) {
    throw new ConfigurationError('exposure', typeof exposure, 'Use Exposure.gateway({...}), Exposure.ingress({...}) or Exposure.none().');
  }
  if (exposure.kind !== ExposureKind.NONE && authentication === undefined) {
    throw new ConfigurationError('h2ogpt.authentication', undefined,
      `The UI would be open to anyone at https://${exposure.hostname}/. Set h2ogpt.authentication: UiAuthentication.fromSecret("<secret>") `
      + '(h2oGPT\'s own login, users and passwords in an auth.json key), or UiAuthentication.disabled() to expose it without a login on purpose.');
  }
  return exposure;
}


/**
 * Checks an installation name as the objects it becomes: Services need DNS-1035 labels, and the
 * longest generated name must stay within 63 characters.
 */
export function checkStackName(field: string, name: string | undefined): string {
  // The longest name the stack derives: `<name>-vllm-model-cache`.
  return checkDns1035Label(field, name, roomFor(NAME_SUFFIXES.stackVllm, NAME_SUFFIXES.modelCache));
}

/** What keeps a pod of this stack out of a namespace that enforces Pod Security "restricted". */
function podSecurityWarnings(mesh: MeshMode, servers: VllmServer[]): string[] {
  const warnings: string[] = [];
  const profile = profileOf(mesh);
  if (profile && mesh.dataplane === Dataplane.SIDECAR && !mesh.cni) {
    warnings.push(`without ${profile.cniPluginName}, ${profile.displayName} injects ${profile.iptablesInitContainerName}, which needs NET_ADMIN and NET_RAW: `
      + `a namespace that enforces Pod Security "restricted" rejects both pods. Install ${profile.cniPluginName} there (cni: true)`);
  }
  servers.forEach((server, i) => {
    if (server.runsAsRoot) {
      const field = i === 0 ? 'vllm.runAsRoot' : `additionalModels[${i - 1}].runAsRoot`;
      warnings.push(`${field}: the vLLM pod ${i === 0 ? '' : `${server.name} `}runs as root with a writable root file system; it meets Pod Security "baseline", not "restricted"`);
    }
  });
  return warnings;
}

