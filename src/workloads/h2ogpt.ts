import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  checkBoolean, checkDistinctPorts, checkDns1035Label, checkDnsLabel, checkDnsSubdomain, checkImage, checkInteger, checkPort, checkQuantity,
} from '../common/checks';
import { ConfigurationError, HIDDEN_VALUE } from '../common/errors';
import { ANNOTATIONS } from '../common/labels';
import { AUTH_MOUNT_PATH, UiAuthentication, UiAuthenticationKind } from './ui-authentication';
import { SecretKeyReference } from '../common/secret-key-reference';
import {
  checkNonRootId, hardenedContainerSecurityContext, restrictedPodSecurityContext, scratchVolume,
} from './pod-security';
import { StartupWait, StartupWaitKind } from '../startup/startup-wait';
import {
  ResolvedWaiterSettings, resolveWaiterSettings, WAITER_MOUNT_PATH, WAITER_SCRIPT, WAITER_SCRIPT_KEY,
  WAITER_SCRIPT_PATH, WAITER_SCRIPT_SHA256, WAITER_VARIABLES, waiterEnv, WaiterSettings,
} from '../startup/waiter';
import { checkEnvName, checkPodMetadata, checkTolerations, credentialShape, isCredentialName, podResources } from './pod-helpers';
import { ListedModel, repeatedModelName } from './server-checks';
import { IH2oGptWorkload } from './pod-workload';
import { IVllmEndpoint } from './vllm-endpoint';
import { DeployedWorkload } from './deployed-workload';
import { platformPodSpec, userEnv, WorkloadOptions } from './workload-options';
import { NAME_SUFFIXES, roomFor, startupWaiterName } from '../common/names';
import {
  AUTH_FILE_NAME, H2OGPT_COMMAND, h2oGptEnv, inAppWait, inferenceServerValues, modelLockValue, WORKING_DIR, SAVE_DIR,
  WORKSPACE_INIT_CONTAINER, workspaceInitCommand, WRITABLE_AUTH_FILE, WRITABLE_PATHS,
} from './h2ogpt-environment';

export { H2OGPT_COMMAND };

/** The h2oGPT runtime image, pinned. */
export const DEFAULT_H2OGPT_IMAGE = 'gcr.io/vorvan/h2oai/h2ogpt-runtime:0.2.1';
/** The port h2oGPT's Gradio UI listens on inside the container. */
export const H2OGPT_UI_CONTAINER_PORT = 7860;
/** Name of the init container that waits for vLLM. */
export const WAIT_INIT_CONTAINER_NAME = 'wait-for-vllm';
/** The image's user `h2ogpt`, and its group. */
export const DEFAULT_H2OGPT_UID = 1000;
// Settings the construct derives from its props; a user value would silently fight them.
const MANAGED_SETTINGS: { [key: string]: string } = {
  H2OGPT_INFERENCE_SERVER: 'the vllm prop',
  H2OGPT_BASE_MODEL: 'the vLLM server\'s servedModelName',
  H2OGPT_MODEL_LOCK: 'the vllm and additionalVllm props',
  H2OGPT_SAVE_DIR: 'saveDirClaimName',
  H2OGPT_OPENAI_SERVER: 'openAiApi',
  H2OGPT_OPENAI_PORT: 'openAiApiPort',
  H2OGPT_OPENAI_API_KEY: 'openAiApiKey',
  H2OGPT_ENABLE_HEAP_ANALYTICS: 'usageStats',
  H2OGPT_AUTH: 'authentication',
};

// Settings the password-file login sets; free to use without it.
const AUTHENTICATION_SETTINGS = ['H2OGPT_AUTH_FILENAME', 'H2OGPT_AUTH_ACCESS', 'H2OGPT_AUTH_FREEZE', 'H2OGPT_GUEST_NAME'];


/** Options of the h2oGPT front end; `H2oGptProps` adds its name and upstream. */
export interface H2oGptOptions extends WorkloadOptions {
  /**
   * Use vLLM's chat-completions API (`vllm_chat:`) rather than the completions API (`vllm:`).
   * @default true
   */
  readonly chatApi?: boolean;
  /**
   * More h2oGPT settings as `H2OGPT_<ARG>` environment variables (each becomes `--<arg>`).
   * @default none
   */
  readonly settings?: { [key: string]: string };
  /**
   * Service port of the Gradio UI (the container always listens on 7860).
   * @default 7860
   */
  readonly uiPort?: number;
  /**
   * Serve h2oGPT's OpenAI-compatible API too.
   * @default false
   */
  readonly openAiApi?: boolean;
  /**
   * Port of that API, in the container and on the Service.
   * @default 5000
   */
  readonly openAiApiPort?: number;
  /**
   * The key clients of that API must send, from a Secret (env `H2OGPT_OPENAI_API_KEY`). Required
   * with `openAiApi`: without one h2oGPT's API answers anyone and bypasses vLLM's key.
   * @default none; required when openAiApi is true
   */
  readonly openAiApiKey?: SecretKeyReference;
  /**
   * More environment variables taken from Secret keys, for credentials such as
   * `H2OGPT_H2OGPT_KEY` or `HUGGING_FACE_HUB_TOKEN`. Values never enter the manifest.
   * @default none
   */
  readonly secretEnv?: { [name: string]: SecretKeyReference };
  /**
   * An existing claim for h2oGPT's save directory.
   * @default an emptyDir
   */
  readonly saveDirClaimName?: string;
  /**
   * Size limit of the emptyDir save directory.
   * @default "10Gi"
   */
  readonly saveDirSizeLimit?: string;
  /**
   * Who may use the UI: `UiAuthentication.fromSecret("<secret>")` for h2oGPT's own login against
   * an `auth.json` in a Secret, or `UiAuthentication.disabled()`. `H2oGptStack` refuses to expose
   * the UI (its `exposure` prop) without one of the two.
   * @default no login (the UI is reached only from inside the cluster)
   */
  readonly authentication?: UiAuthentication;
  /**
   * How long h2oGPT itself may take to start serving its UI, on top of any in-app wait.
   * @default 600
   */
  readonly startupProbeBudgetSeconds?: number;
}

/** Props of `H2oGpt`. */
export interface H2oGptProps extends H2oGptOptions {
  /**
   * Name of the Deployment, Service and ServiceAccount: a DNS-1035 label of at most 48 characters.
   * @default "h2ogpt"
   */
  readonly name?: string;
  /** The vLLM server this front end talks to: a `VllmServer`, or `VllmEndpoint.fromUrl(...)` for one this app does not deploy. */
  readonly vllm: IVllmEndpoint;
  /**
   * More vLLM servers, one model each, offered beside `vllm` in h2oGPT's model list (its
   * `model_lock`). h2oGPT waits for every one: it drops a model it cannot reach at start for good.
   * Their API keys, if any, are expanded into the list by Kubernetes, so they must not contain
   * quotes or backslashes.
   * @default none: `vllm` alone
   */
  readonly additionalVllm?: IVllmEndpoint[];
  /**
   * `app.kubernetes.io/instance`.
   * @default name
   */
  readonly instance?: string;
  /**
   * Namespace.
   * @default the chart's namespace
   */
  readonly namespace?: string;
  /**
   * How h2oGPT waits for vLLM. Use H2oGptStack to have it chosen for your mesh.
   * @default StartupWait.initContainer()
   */
  readonly startupWait?: StartupWait;
  /**
   * How the waiter polls.
   * @default see WaiterSettings
   */
  readonly waiter?: WaiterSettings;
}

/**
 * The h2oGPT front end wired to a vLLM server (this app's `VllmServer` or any `IVllmEndpoint`):
 * a Deployment, a Service, a ServiceAccount and, when it waits for vLLM, a ConfigMap holding the
 * waiter script.
 */
export class H2oGpt extends DeployedWorkload implements IH2oGptWorkload {
  /** The h2oGPT runtime image the library pins. */
  public static readonly DEFAULT_IMAGE: string = DEFAULT_H2OGPT_IMAGE;
  /** The port h2oGPT's Gradio UI listens on inside the container. */
  public static readonly UI_CONTAINER_PORT: number = H2OGPT_UI_CONTAINER_PORT;
  /** Name of the init container that waits for vLLM, when the strategy uses one. */
  public static readonly WAIT_INIT_CONTAINER_NAME: string = WAIT_INIT_CONTAINER_NAME;

  /** The h2oGPT image its containers run. */
  public readonly image: string;
  public readonly service: k8s.KubeService;
  /** The waiter script's ConfigMap, when h2oGPT waits for vLLM. */
  public readonly waiterConfigMap?: k8s.KubeConfigMap;
  /** In-cluster URL of the UI, e.g. `http://chat.ai.svc:7860`: the Service name, qualified with the namespace when known. */
  public readonly url: string;
  /** The vLLM server it calls. */
  public readonly vllm: IVllmEndpoint;
  /** Every vLLM server it offers, `vllm` first. */
  public readonly vllmEndpoints: IVllmEndpoint[];
  /** The `h2ogpt_inference_server` value of `vllm`, with `$(VLLM_API_KEY)` where the key goes. */
  public readonly inferenceServer: string;
  /** The inference-server value of each of `vllmEndpoints`, in order. */
  public readonly inferenceServers: string[];
  /** The `model_lock` list h2oGPT is given (a Python literal), with more than one server. */
  public readonly modelLock?: string;
  /** How it waits for vLLM. */
  public readonly startupWait: StartupWait;
  /**
   * The waiter's settings, when it waits: those of the wait for `vllm`. The wait for each further
   * server differs only in its deadline, that server's startup budget plus 300 s.
   */
  public readonly waiterSettings?: ResolvedWaiterSettings;
  /** How long the startup probe allows, in seconds (any in-app wait included). */
  public readonly startupBudgetSeconds: number;
  /** Container port of the UI. */
  public readonly uiContainerPort: number;
  /** Service port of the UI. */
  public readonly uiPort: number;
  /** Pod replicas. */
  public readonly replicas: number;
  /** Container port of the OpenAI-compatible API, when it is on. */
  public readonly openAiApiPort?: number;

  public constructor(scope: Construct, id: string, props: H2oGptProps) {
    const name = checkDns1035Label('name', props.name ?? 'h2ogpt', roomFor(NAME_SUFFIXES.startupWaiter));
    super(scope, id, {
      // A Service name, and `<name>-startup-waiter` must fit in 63 characters.
      name,
      instance: checkDnsLabel('instance', props.instance ?? name),
      namespace: props.namespace === undefined ? undefined : checkDnsLabel('namespace', props.namespace),
      appName: 'h2ogpt',
      component: 'frontend',
    }, props.serviceAccountName);
    const vllm = checkEndpoint('vllm', props.vllm);
    this.vllm = vllm;
    this.vllmEndpoints = checkEndpoints(vllm, props.additionalVllm);
    const image = checkImage('image', props.image ?? DEFAULT_H2OGPT_IMAGE);
    this.image = image;
    const uiPort = checkPort('uiPort', props.uiPort ?? H2OGPT_UI_CONTAINER_PORT);
    const openAiApiPort = props.openAiApi ? checkPort('openAiApiPort', props.openAiApiPort ?? 5000) : undefined;
    if (openAiApiPort !== undefined) {
      checkDistinctPorts([{ field: 'uiPort', port: uiPort }, { field: 'openAiApiPort', port: openAiApiPort }]);
      checkDistinctPorts([{ field: 'UI container port', port: H2OGPT_UI_CONTAINER_PORT }, { field: 'openAiApiPort', port: openAiApiPort }]);
    }
    const replicas = checkInteger('replicas', props.replicas ?? 1, 0, 1000);
    this.replicas = replicas;
    this.uiPort = uiPort;
    const readinessFailureThreshold = checkInteger('readinessFailureThreshold', props.readinessFailureThreshold ?? 3, 1, 100);
    const appStartupBudget = checkInteger('startupProbeBudgetSeconds', props.startupProbeBudgetSeconds ?? 600, 1, 86_400, 'seconds');
    if (props.saveDirClaimName !== undefined) checkDnsSubdomain('saveDirClaimName', props.saveDirClaimName);
    const saveDirSizeLimit = checkQuantity('saveDirSizeLimit', props.saveDirSizeLimit ?? '10Gi')!;
    const tolerations = props.tolerations === undefined ? undefined : checkTolerations('tolerations', props.tolerations);
    checkPodMetadata('podLabels', props.podLabels);
    checkPodMetadata('podAnnotations', props.podAnnotations);
    const settings = checkSettings(props.settings ?? {});
    const authentication = checkAuthentication(props.authentication, settings);
    const secretVars = checkSecretEnv(props.secretEnv ?? {});
    const usageStats = checkBoolean('usageStats', props.usageStats);
    if (openAiApiPort !== undefined) {
      if (props.openAiApiKey === undefined) {
        throw new ConfigurationError('openAiApiKey', undefined,
          'h2oGPT\'s OpenAI-compatible API answers anyone without a key and walks around vLLM\'s. Give the key as a Secret reference, e.g. openAiApiKey: SecretKeyReference.fromSecret("h2ogpt-api-key", "key"), or turn openAiApi off.');
      }
      props.openAiApiKey.validate('openAiApiKey');
    }
    const identity = {
      uid: checkNonRootId('runAsUser', props.runAsUser ?? DEFAULT_H2OGPT_UID),
      gid: checkNonRootId('runAsGroup', props.runAsGroup ?? DEFAULT_H2OGPT_UID),
    };
    this.uiContainerPort = H2OGPT_UI_CONTAINER_PORT;
    this.openAiApiPort = openAiApiPort;
    this.startupWait = props.startupWait ?? StartupWait.initContainer();
    const waits = this.startupWait.kind !== StartupWaitKind.NONE;
    // One waiter per server, each with a deadline from that server's own startup budget.
    const waiterSettings = waits ? this.vllmEndpoints.map((e) => resolveWaiterSettings('waiter', props.waiter ?? {}, e.startupBudgetSeconds)) : [];
    this.waiterSettings = waiterSettings[0];
    // An in-app wait happens inside the container, so the startup probe must outlast it. The
    // waits run one after another, each with its own deadline, so the worst case is their sum.
    this.startupBudgetSeconds = appStartupBudget
      + (this.startupWait.kind === StartupWaitKind.IN_APP ? waiterSettings.reduce((sum, w) => sum + w.deadlineSeconds, 0) : 0);

    this.inferenceServers = inferenceServerValues(this.vllmEndpoints, props.chatApi !== false);
    this.inferenceServer = this.inferenceServers[0];
    this.modelLock = modelLockValue(this.vllmEndpoints, this.inferenceServers);

    this.url = `http://${this.namespace ? `${this.name}.${this.namespace}.svc` : this.name}:${uiPort}`;
    const metadata = this._objectMetadata;

    const env = h2oGptEnv({
      endpoints: this.vllmEndpoints,
      chatApi: props.chatApi !== false,
      openAiApi: openAiApiPort !== undefined ? { port: openAiApiPort, key: props.openAiApiKey! } : undefined,
      usageStats,
      authentication,
      waits,
      settings,
      secretEnv: secretVars,
    });

    this._addIdentity(props.serviceAccountName, replicas);
    const platform = platformPodSpec(props);
    const volumes: k8s.Volume[] = [
      props.saveDirClaimName
        ? { name: 'save', persistentVolumeClaim: { claimName: props.saveDirClaimName } }
        : { name: 'save', emptyDir: { sizeLimit: k8s.Quantity.fromString(saveDirSizeLimit) } },
      scratchVolume('tmp', '10Gi'),
      scratchVolume('home', '10Gi'),
      scratchVolume('state', '10Gi'),
      ...(authentication ? [{
        name: 'auth',
        // Group-readable only: fsGroup gives the pod's GID the file. Only the copy below reads it.
        secret: { secretName: authentication.secretName!, items: [{ key: authentication.key!, path: AUTH_FILE_NAME }], defaultMode: 0o440 },
      }] : []),
    ];
    const appMounts: k8s.VolumeMount[] = [
      { name: 'save', mountPath: SAVE_DIR },
      { name: 'tmp', mountPath: '/tmp' },
      ...WRITABLE_PATHS.map(({ volume, subPath, mountPath }) => ({ name: volume, subPath, mountPath })),
    ];
    // Links the working directory to /workspace and, with a login, copies the users file: h2oGPT
    // takes a lock beside it and writes it back on every login, frozen or not (docs/app-facts.md
    // §1), so it gets a writable copy made afresh from the Secret at each start. It mounts what
    // h2oGPT mounts, so it links what h2oGPT will see, and it uses no network: it holds up no mesh.
    const workspaceInit: k8s.Container = {
      name: WORKSPACE_INIT_CONTAINER,
      image,
      imagePullPolicy: 'IfNotPresent',
      command: workspaceInitCommand(authentication ? { from: `${AUTH_MOUNT_PATH}/${AUTH_FILE_NAME}`, to: WRITABLE_AUTH_FILE } : undefined),
      resources: podResources('workspaceInit.', { cpuRequest: '10m', cpuLimit: '100m', memoryRequest: '16Mi', memoryLimit: '64Mi' }),
      securityContext: hardenedContainerSecurityContext(),
      volumeMounts: [
        ...appMounts.filter((m) => m.name !== 'tmp'),
        ...(authentication ? [{ name: 'auth', mountPath: AUTH_MOUNT_PATH, readOnly: true }] : []),
      ],
    };
    const initContainers: k8s.Container[] = [];
    let command = [...H2OGPT_COMMAND];
    // The wait's own annotations (a port exclusion) last: what the decision needs wins.
    const annotations: { [key: string]: string } = { ...props.podAnnotations, ...this.startupWait.podAnnotations };

    if (waits) {
      const configMapName = startupWaiterName(this.name);
      this.waiterConfigMap = new k8s.KubeConfigMap(this, 'waiter', {
        metadata: { ...metadata, name: configMapName },
        data: { [WAITER_SCRIPT_KEY]: WAITER_SCRIPT },
      });
      volumes.push({ name: 'startup-waiter', configMap: { name: configMapName, defaultMode: 0o444 } });
      annotations[ANNOTATIONS.waiterSha256] = WAITER_SCRIPT_SHA256;
      const waiterMount = { name: 'startup-waiter', mountPath: WAITER_MOUNT_PATH, readOnly: true };
      if (this.startupWait.kind === StartupWaitKind.INIT_CONTAINER) {
        volumes.push({ name: 'waiter-tmp', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('1Mi') } });
        // One init container per server: each is judged, logged and retried on its own.
        this.vllmEndpoints.forEach((endpoint, i) => initContainers.push({
          name: waitInitContainerName(i),
          image: this.startupWait.image,
          imagePullPolicy: 'IfNotPresent',
          command: ['sh', WAITER_SCRIPT_PATH],
          env: waiterEnv(endpoint.healthUrl, waiterSettings[i]),
          resources: podResources('waiter.', { cpuRequest: '10m', cpuLimit: '100m', memoryRequest: '16Mi', memoryLimit: '64Mi' }),
          securityContext: hardenedContainerSecurityContext({ runAsUser: this.startupWait.runAsUser }),
          volumeMounts: [waiterMount, { name: 'waiter-tmp', mountPath: '/tmp' }],
        }));
      } else {
        const wait = inAppWait(this.vllmEndpoints, waiterSettings);
        command = wait.command;
        env.push(...wait.env);
        appMounts.push(waiterMount);
      }
    }
    // Which init containers call out: the waiters, so far the only ones.
    annotations[ANNOTATIONS.networkInitContainers] = initContainers.map((c) => c.name).join(',');
    // Last, so the users file is copied just before h2oGPT starts; it uses no network.
    initContainers.push(workspaceInit);

    const uiProbe = { httpGet: { path: '/', port: k8s.IntOrString.fromString('ui') } };
    this._addDeployment({
      podLabels: props.podLabels,
      podAnnotations: annotations,
      replicas,
      platform,
      securityContext: restrictedPodSecurityContext(identity),
      nodeSelector: props.nodeSelector,
      tolerations,
      initContainers,
      containers: [{
        name: 'h2ogpt',
        image,
        imagePullPolicy: 'IfNotPresent',
        command,
        workingDir: WORKING_DIR,
        // Names derived from props stay the construct's even when their prop is off (e.g. the API port).
        env: [...env, ...userEnv(props.env, [...env.map((e) => e.name), ...Object.keys(MANAGED_SETTINGS)], envExplained(settings))],
        ports: [
          { name: 'ui', containerPort: H2OGPT_UI_CONTAINER_PORT, protocol: 'TCP' },
          ...(openAiApiPort !== undefined ? [{ name: 'openai', containerPort: openAiApiPort, protocol: 'TCP' }] : []),
        ],
        resources: podResources('', {
          cpuRequest: props.cpuRequest ?? '1', cpuLimit: props.cpuLimit,
          memoryRequest: props.memoryRequest ?? '4Gi', memoryLimit: props.memoryLimit ?? '8Gi',
        }, {}, '256Mi'),
        startupProbe: {
          ...uiProbe, periodSeconds: 10, timeoutSeconds: 5,
          failureThreshold: Math.ceil(this.startupBudgetSeconds / 10),
        },
        readinessProbe: { ...uiProbe, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: readinessFailureThreshold },
        securityContext: hardenedContainerSecurityContext(),
        volumeMounts: appMounts,
      }],
      volumes,
    });

    this.service = new k8s.KubeService(this, 'service', {
      metadata,
      spec: {
        type: 'ClusterIP',
        selector: this.selectorLabels,
        // Gradio keeps session state in one process: pin each client to one pod (h2oGPT FAQ). Only
        // kube-proxy honours this; H2oGptStack adds what each mesh needs (docs/mesh-facts.md §9).
        sessionAffinity: replicas > 1 ? 'ClientIP' : undefined,
        ports: [
          { name: 'ui', port: uiPort, targetPort: k8s.IntOrString.fromString('ui'), protocol: 'TCP', appProtocol: 'http' },
          ...(openAiApiPort !== undefined
            ? [{ name: 'openai', port: openAiApiPort, targetPort: k8s.IntOrString.fromString('openai'), protocol: 'TCP', appProtocol: 'http' }]
            : []),
        ],
      },
    });
  }
}

/** The password-file login, or undefined for none; settings must not fight it. */
function checkAuthentication(authentication: UiAuthentication | undefined, settings: { [key: string]: string }): UiAuthentication | undefined {
  if (authentication === undefined) return undefined;
  if (!(authentication instanceof UiAuthentication)) {
    throw new ConfigurationError('authentication', typeof authentication, 'Use UiAuthentication.fromSecret("<secret>") or UiAuthentication.disabled().');
  }
  if (authentication.kind === UiAuthenticationKind.DISABLED) return undefined;
  const conflicting = Object.keys(settings).find((k) => AUTHENTICATION_SETTINGS.includes(k.toUpperCase()));
  if (conflicting) {
    throw new ConfigurationError(`settings["${conflicting}"]`, settings[conflicting],
      'With authentication, the construct sets it: h2oGPT reads its users from the Secret\'s file, closed to sign-ups, frozen, with no guest. Remove this setting.');
  }
  return authentication;
}

/** The init container that waits for server `index`: the first keeps its old name. */
export function waitInitContainerName(index: number): string {
  return index === 0 ? WAIT_INIT_CONTAINER_NAME : `${WAIT_INIT_CONTAINER_NAME}-${index + 1}`;
}

/** Every server, the first included: complete, and no model or server listed twice. */
function checkEndpoints(first: IVllmEndpoint, additional: IVllmEndpoint[] | undefined): IVllmEndpoint[] {
  if (additional === undefined) return [first];
  if (!Array.isArray(additional)) {
    throw new ConfigurationError('additionalVllm', typeof additional, 'Give a list of vLLM servers, e.g. [coderServer], or leave it unset.');
  }
  const all = [first, ...additional.map((e, i) => checkEndpoint(`additionalVllm[${i}]`, e))];
  // The first server at fault is named; a server listed twice repeats its name too, which is said first.
  const listedTwice = all.findIndex((endpoint, i) => i > 0 && all.slice(0, i).some((e) => e.url === endpoint.url));
  const repeated = repeatedModelName(all);
  if (repeated && (listedTwice < 0 || repeated[0].server <= listedTwice)) {
    const [repeat, earlier] = repeated;
    const server = (i: number) => (i === 0 ? 'vllm' : `additionalVllm[${i - 1}]`);
    const adapter = (m: ListedModel) => `${server(m.server)}.loraAdapters.names[${m.adapter}]`;
    throw new ConfigurationError(repeat.adapter !== undefined ? adapter(repeat) : `${server(repeat.server)}.servedModelName`, repeat.name,
      `${earlier.adapter !== undefined ? adapter(earlier) : server(earlier.server)} already serves that name, and h2oGPT tells models apart by it: `
      + `give each ${repeat.adapter !== undefined ? 'adapter' : 'server'} its own ${repeat.adapter !== undefined ? 'name' : 'servedModelName'}.`);
  }
  if (listedTwice > 0) {
    throw new ConfigurationError(`additionalVllm[${listedTwice - 1}].url`, all[listedTwice].url, 'That server is already listed: list each vLLM server once.');
  }
  return all;
}

/** The upstream, whether a construct of this app or a jsii proxy of an interface from another language. */
function checkEndpoint(field: string, vllm: IVllmEndpoint | undefined): IVllmEndpoint {
  const complete = vllm !== null && typeof vllm === 'object'
    && ['host', 'url', 'healthUrl', 'servedModelName'].every((k) => typeof (vllm as any)[k] === 'string')
    && typeof vllm.port === 'number' && typeof vllm.startupBudgetSeconds === 'number';
  if (!complete) {
    throw new ConfigurationError(field, vllm === null || typeof vllm !== 'object' ? vllm : '(incomplete endpoint)',
      'Pass the VllmServer this front end talks to, or VllmEndpoint.fromUrl("http://<host>:<port>", { servedModelName: "<model>" }) for one this app does not deploy.');
  }
  vllm!.apiKey?.validate(`${field}.apiKey`);
  return vllm!;
}

/**
 * Why a variable in `env` is refused, where it is not simply the construct's: the waiter's
 * variables (in `env` they would reach h2oGPT's container, not the init container that waits),
 * and a setting given in `settings` too.
 */
function envExplained(settings: { [key: string]: string }): { [name: string]: string } {
  const explained: { [name: string]: string } = {};
  for (const [name, setting] of Object.entries(WAITER_VARIABLES)) {
    explained[name] = `The startup waiter reads ${name}, in whichever container waits (an init container or h2oGPT's own); in env it would miss the init container. Set ${setting} instead.`;
  }
  for (const key of Object.keys(settings)) {
    explained[key] = `${key} is given twice: in settings["${key}"] and in env["${key}"]. Keep one of them.`;
  }
  return explained;
}

function checkSettings(settings: { [key: string]: string }): { [key: string]: string } {
  for (const [key, value] of Object.entries(settings)) {
    if (!/^(H2OGPT|h2ogpt)_[A-Za-z0-9_]+$/.test(key)) {
      throw new ConfigurationError(`settings["${key}"]`, key,
        'Keys are h2oGPT settings as environment variables: "H2OGPT_" followed by the generate.py argument, e.g. "H2OGPT_MAX_SEQ_LEN".');
    }
    const managedBy = MANAGED_SETTINGS[key.toUpperCase()];
    if (managedBy) {
      // A managed name can still hold a credential (H2OGPT_AUTH once took inline passwords): never echo it.
      throw new ConfigurationError(`settings["${key}"]`, isCredentialName(key) ? HIDDEN_VALUE : value, `The construct sets ${key.toUpperCase()} from ${managedBy}; set that instead.`);
    }
    if (isCredentialName(key)) {
      // The value is not echoed: it is likely a credential.
      throw new ConfigurationError(`settings["${key}"]`, HIDDEN_VALUE,
        `${key} holds a credential, and settings are written into the manifest in plain text. Put it in a Secret and pass secretEnv: { ${key}: SecretKeyReference.fromSecret("<secret>", "<key>") }.`);
    }
    if (typeof value !== 'string') {
      throw new ConfigurationError(`settings["${key}"]`, value, 'Values must be strings; quote numbers and booleans.');
    }
    const shape = credentialShape(value);
    if (shape) {
      throw new ConfigurationError(`settings["${key}"]`, HIDDEN_VALUE,
        `It looks like a credential (${shape}), and settings are written into the manifest in plain text. Put it in a Secret and pass secretEnv: { ${key}: SecretKeyReference.fromSecret("<secret>", "<key>") }.`);
    }
  }
  return settings;
}

function checkSecretEnv(vars: { [name: string]: SecretKeyReference }): { [name: string]: SecretKeyReference } {
  for (const [name, ref] of Object.entries(vars)) {
    const field = `secretEnv["${name}"]`;
    checkEnvName(field, name);
    const managedBy = MANAGED_SETTINGS[name.toUpperCase()] ?? (/^VLLM_API_KEY(_\d+)?$/.test(name) ? 'the vLLM servers\' apiKey' : undefined);
    if (managedBy) throw new ConfigurationError(field, name, `The construct sets ${name} from ${managedBy}; set that instead.`);
    if (!(ref instanceof SecretKeyReference)) {
      throw new ConfigurationError(field, typeof ref, `Use SecretKeyReference.fromSecret("<secret>", "<key>").`);
    }
    ref.validate(field);
  }
  return vars;
}
