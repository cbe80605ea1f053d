import { readFileSync } from 'fs';
import { basename, join, resolve } from 'path';
import { parseArgs } from 'util';
import { App, Chart } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { ConfigurationError, StartupRefusedError } from '../common/errors';
import { checkLabels } from '../common/checks';
import { Warnings } from '../common/warnings';
import { MeshMode, MtlsMode } from '../mesh/mesh-mode';
import { Dataplane } from '../mesh/mesh-profiles';
import { StartupStrategy } from '../common/startup-strategy';
import { checkStackName, H2oGptStack, H2oGptStackProps } from '../stack/h2ogpt-stack';
import { stackPropsFromConfig } from './stack-config';
import { SecretKeyReference } from '../common/secret-key-reference';
import { ModelCache, ModelCacheAccessMode } from '../workloads/model-cache';
import { DEFAULT_MODEL } from '../workloads/vllm-server';
import { Exposure } from '../exposure/exposure';
import { UiAuthentication } from '../workloads/ui-authentication';
import type { LoraAdapter } from '../workloads/lora-adapter';
import { CHART_NAME, helmChartFiles } from './helm-chart';
import { CliUsageError, CommandIo } from './cli-error';
import { Flag, flagOfField, helpLines, parsedWithSuggestions, parserOptions } from './flag-table';
import { toConfigWording, toFlagWording } from './cli-wording';
import { checkOutputFolder, describeFsError, makeFolder, writeChart, writeFix, writeInPlace } from './synth-output';

/** Every flag of `synth`, once: the parser, the help and the names errors give come from here. */
const SYNTH_FLAGS = [
  { name: 'mesh', type: 'string', value: 'MODE', help: [`none | ${MeshMode.names().filter((n) => n !== 'none').join(' | ')} (default: none)`], fields: ['mesh'] },
  { name: 'cni', type: 'boolean', negatable: true, help: ['whether the mesh\'s CNI plugin is on (sidecar modes; default: --cni, the worst case)'], fields: ['cni'] },
  { name: 'mtls', type: 'string', value: 'MODE', help: ['strict | permissive: how vLLM treats plaintext (default: strict)'], fields: ['mtls'] },
  { name: 'mesh-version', type: 'string', value: 'V', help: ['the mesh\'s release, e.g. 1.28 or 2.20 (default: unknown; see docs/mesh-facts.md §4)'], fields: ['version'] },
  {
    name: 'strategy', type: 'string', value: 'STRATEGY',
    help: [`auto | ${Object.values(StartupStrategy).filter((s) => s !== 'auto').join(' | ')} (default: auto)`], fields: ['startupStrategy'],
  },
  { name: 'kubernetes-version', type: 'string', value: 'V', help: ['target cluster version, e.g. 1.30 (default: 1.30; native sidecars need 1.29+)'], fields: ['kubernetesVersion'] },
  { name: 'name', type: 'string', value: 'NAME', help: ['installation name (default: h2ogpt)'], fields: ['name'] },
  { name: 'namespace', type: 'string', value: 'NS', help: ['namespace of every object (default: none, i.e. kubectl\'s current one)'], fields: ['namespace'] },
  {
    name: 'model', type: 'string', value: '[ID=]MODEL', multiple: true, fields: ['vllm.model', 'vllm.id', 'vllm.servedModelName'],
    help: [
      `Hugging Face model id (default: ${DEFAULT_MODEL}). Repeat it for more`,
      'models behind the one h2oGPT, each on a vLLM server of its own named NAME-vllm-ID',
      '(ID: a DNS label, by default from the model\'s name). The vLLM flags below apply',
      'to every server; give each its own in the config file\'s additionalModels',
    ],
  },
  { name: 'gpus', type: 'string', value: 'N', help: ['GPUs per vLLM pod, at most --gpus-per-node (default: 1)'], fields: ['vllm.gpus'] },
  {
    name: 'nodes', type: 'string', value: 'N', help: ['nodes that serve a model together: a LeaderWorkerSet group of N pods of', '--gpus GPUs each, over Ray (default: 1, a Deployment)'],
    fields: ['vllm.nodes'],
  },
  { name: 'gpus-per-node', type: 'string', value: 'N', help: ['GPUs a node offers, the most a pod may ask for (default: 8)'], fields: ['vllm.gpusPerNode'] },
  { name: 'gpu-memory', type: 'string', value: 'SIZE', help: ['memory of one GPU, to warn when a model cannot fit (default: 80Gi)'], fields: ['vllm.gpuMemory'] },
  {
    name: 'lora', type: 'string', value: 'NAME=HF_ID', multiple: true, fields: ['vllm.loraAdapters'],
    help: ['a LoRA adapter served beside the first --model, which h2oGPT lists as', 'NAME; repeat for more (needs --max-model-len)'],
  },
  { name: 'tensor-parallel-size', type: 'string', value: 'N', help: ['(default: the GPU count)'], fields: ['vllm.tensorParallelSize'] },
  { name: 'max-model-len', type: 'string', value: 'N', help: ['vLLM\'s context length (default: the model\'s)'], fields: ['vllm.maxModelLen'] },
  { name: 'hf-token-secret', type: 'string', value: 'NAME/KEY', help: ['Secret key holding a Hugging Face token (gated models)'] },
  { name: 'api-key-secret', type: 'string', value: 'NAME/KEY', help: ['Secret key holding vLLM\'s API key'] },
  { name: 'model-size', type: 'string', value: 'NB', help: ['the model\'s parameter count, e.g. 70B, when its name does not carry it'], fields: ['vllm.modelSize'] },
  { name: 'cpu', type: 'string', value: 'N', help: ['CPUs each vLLM pod requests (default: 4 per GPU)'], fields: ['vllm.cpuRequest'] },
  {
    name: 'memory', type: 'string', value: 'SIZE', help: ['memory each vLLM pod requests and may use, e.g. 64Gi (default: 24Gi per GPU', 'requested, 32Gi per GPU the limit)'],
    fields: ['vllm.memoryRequest', 'vllm.memoryLimit'],
  },
  { name: 'shm-size', type: 'string', value: 'SIZE', help: ['vLLM\'s memory-backed /dev/shm, e.g. 16Gi (default: 8Gi per tensor-parallel rank)'], fields: ['vllm.shmSize'] },
  { name: 'storage-class', type: 'string', value: 'CLASS', help: ['storage class of the model-cache claim (default: the cluster\'s)'], fields: ['modelCache.storageClassName'] },
  {
    name: 'cache-size', type: 'string', value: 'SIZE', help: ['size of the model cache, e.g. 200Gi (default: 100Gi, more for a model known to', 'need it; 50Gi with --ephemeral-cache)'],
    fields: ['modelCache.size', 'modelCache.sizeLimit'],
  },
  {
    name: 'cache-access-mode', type: 'string', value: 'MODE', help: ['ReadWriteOnce | ReadWriteMany: the claim\'s access mode; ReadWriteMany lets', 'replicas on several nodes share it (default: ReadWriteOnce; with --nodes,', 'ReadWriteMany)'],
    fields: ['modelCache.accessMode'],
  },
  { name: 'existing-cache-claim', type: 'string', value: 'NAME', help: ['use this existing claim as the model cache instead of a new one'], fields: ['modelCache.claimName'] },
  { name: 'ephemeral-cache', type: 'boolean', help: ['keep the model cache in an emptyDir: weights download again when a pod moves'] },
  { name: 'node-selector', type: 'string', value: 'K=V', multiple: true, help: ['vLLM node selector; repeat for more'] },
  { name: 'vllm-image', type: 'string', value: 'IMAGE', help: ['pinned vLLM image (tag or digest)'], fields: ['vllm.image'] },
  { name: 'h2ogpt-image', type: 'string', value: 'IMAGE', help: ['pinned h2oGPT image (tag or digest)'], fields: ['h2ogpt.image'] },
  { name: 'h2ogpt-replicas', type: 'string', value: 'N', help: ['h2oGPT replicas (default: 1)'], fields: ['h2ogpt.replicas'] },
  { name: 'openai-api', type: 'boolean', help: ['serve h2oGPT\'s OpenAI-compatible API too (needs --openai-api-key-secret)'] },
  { name: 'openai-api-key-secret', type: 'string', value: 'NAME/KEY', help: ['Secret key clients of that API must send'], fields: ['h2ogpt.openAiApiKey'] },
  {
    name: 'gateway', type: 'string', value: '[NS/]NAME', help: ['expose the UI through an HTTPRoute on this existing Gateway (needs --hostname)'],
    fields: ['exposure.gatewayName', 'exposure.gatewayNamespace'],
  },
  { name: 'listener', type: 'string', value: 'NAME', help: ['the Gateway listener to attach to (default: every listener that admits it)'], fields: ['exposure.listenerName'] },
  {
    name: 'ingress-class', type: 'string', value: 'CLASS', help: ['expose the UI through an Ingress of this class instead (needs --hostname, --tls-secret)'],
    fields: ['exposure.className'],
  },
  { name: 'tls-secret', type: 'string', value: 'NAME', help: ['the Ingress\'s TLS Secret'], fields: ['exposure.tlsSecretName'] },
  {
    name: 'cert-issuer', type: 'string', value: 'NAME', help: ['a cert-manager ClusterIssuer: a Certificate for the host is written to --tls-secret'],
    fields: ['exposure.certManagerIssuer'],
  },
  {
    name: 'proxy-namespace', type: 'string', value: 'NS', fields: ['exposure.proxyNamespace'],
    help: ['namespace of the gateway\'s or ingress controller\'s pods, which alone reach the UI', 'port (default: the Gateway\'s; ingress-nginx for an nginx class)'],
  },
  {
    name: 'proxy-pod-label', type: 'string', value: 'K=V', multiple: true,
    help: ['a label of those pods; repeat for more (default: every pod there; ingress-nginx\'s', 'controller labels for an nginx class)'],
  },
  { name: 'hostname', type: 'string', value: 'HOST', help: ['the host users reach the UI at, e.g. chat.example.com'], fields: ['exposure.hostname'] },
  {
    name: 'request-timeout', type: 'string', value: 'S', help: ['how long one request, a whole streamed answer, may take (default: 3600)'],
    fields: ['exposure.requestTimeoutSeconds'],
  },
  {
    name: 'auth-secret', type: 'string', value: 'NAME[/KEY]', help: ['h2oGPT\'s login, users from the auth.json under KEY (default: auth.json) of Secret NAME'],
    fields: ['authentication.secretName', 'authentication.key'],
  },
  { name: 'login', type: 'boolean', onlyNegated: true, help: ['expose the UI without a login, on purpose (with --gateway or --ingress-class)'] },
  { name: 'monitoring', type: 'boolean', help: ['a PodMonitor, a PrometheusRule and a Grafana dashboard for vLLM'] },
  {
    name: 'monitor-label', type: 'string', value: 'K=V', multiple: true, fields: ['monitoring.selectorLabels'],
    help: ['a label on the PodMonitor and PrometheusRule, for a Prometheus that selects them by', 'label, e.g. release=kube-prometheus-stack; repeat for more'],
  },
  { name: 'prometheus-namespace', type: 'string', value: 'NS', help: ['where Prometheus runs (default: monitoring)'], fields: ['monitoring.prometheusNamespace'] },
  {
    name: 'prometheus-pod-label', type: 'string', value: 'K=V', multiple: true, fields: ['monitoring.prometheusPodLabels'],
    help: ['a label of Prometheus\'s pods, which alone vLLM admits there; repeat for', 'more (default: app.kubernetes.io/name=prometheus, prometheus-operator\'s)'],
  },
  {
    name: 'autoscale', type: 'string', value: 'MIN:MAX', help: ['autoscale vLLM on its queue with KEDA (needs --monitoring), e.g. 1:4'],
    fields: ['autoscaling.vllmMaxReplicas', 'autoscaling.vllmMinReplicas'],
  },
  {
    name: 'available-gpus', type: 'string', value: 'N', help: ['GPUs the cluster has for the stack: MAX x the GPUs of every model must fit'],
    fields: ['autoscaling.availableGpus'],
  },
  {
    name: 'h2ogpt-autoscale', type: 'string', value: 'MIN:MAX', help: ['autoscale h2oGPT on CPU'],
    fields: ['autoscaling.h2ogptMaxReplicas', 'autoscaling.h2ogptMinReplicas'],
  },
  { name: 'config', type: 'string', value: 'FILE', help: ['a YAML file of the stack\'s props (flags given here win over it)'] },
  { name: 'format', type: 'string', value: 'FORMAT', default: 'yaml', help: ['yaml | helm: a manifest, or a Helm chart of it (default: yaml)'] },
  { name: 'out', type: 'string', value: 'DIR', help: ['output folder, one per stack (default: dist/NAME, or dist/NAME-chart for helm)'] },
  { name: 'help', type: 'boolean', short: 'h', help: ['this text'] },
] as const satisfies readonly Flag[];

export const SYNTH_HELP = `Usage: cdk8s-h2ogpt synth [options]

Synthesizes vLLM + h2oGPT for your service mesh into one manifest, DIR/NAME.k8s.yaml, and
prints the startup strategy it chose and why.

Options:
${helpLines(SYNTH_FLAGS)}

Exit status: 0 written, 2 bad input or a refused combination (nothing is written).`;


// Which flag a construct field came from, so errors name what the user typed.
const FLAG_OF_FIELD = flagOfField(SYNTH_FLAGS);

/** The flags' values as parsed, typed by SYNTH_FLAGS. */
type SynthFlagValues = ReturnType<typeof parseSynthFlags>;

function parseSynthFlags(argv: string[]) {
  return parsedWithSuggestions('synth', SYNTH_FLAGS,
    () => parseArgs({ args: argv, allowPositionals: false, allowNegative: true, strict: true, options: parserOptions(SYNTH_FLAGS) }).values);
}

export function runSynth(argv: string[], io: CommandIo): number {
  const values = parseSynthFlags(argv);
  if (values.help) {
    io.stdout(`${SYNTH_HELP}\n`);
    return 0;
  }

  // A config file holds any prop; a flag given on the command line wins over it.
  let file: Partial<H2oGptStackProps> = {};
  if (values.config !== undefined) {
    let text: string;
    try {
      text = readFileSync(values.config, 'utf8');
    } catch (error) {
      throw new CliUsageError(`Invalid --config: "${values.config}": ${describeFsError(error)}. Name a YAML file of the stack's props (see the README).`);
    }
    try {
      file = stackPropsFromConfig(text, values.config);
    } catch (error) {
      if (error instanceof ConfigurationError) throw new CliUsageError(`${values.config}: ${error.message}`);
      throw error;
    }
  }
  const name = values.name ?? file.name ?? 'h2ogpt';
  const modelFlags = (values.model ?? []).map(modelFlag);
  const model = modelFlags[0]?.model ?? file.vllm?.model ?? DEFAULT_MODEL;
  if (modelFlags[0]?.id !== undefined) {
    throw new CliUsageError(`Invalid --model: "${values.model![0]}". The first --model is the stack's first vLLM server, named ${name}-vllm: give it without ID=.`);
  }
  const meshGiven = [values.mesh, values.cni, values.mtls, values['mesh-version']].some((v) => v !== undefined);

  // Checked before anything is built: the name becomes the chart's id and every object's name.
  try {
    checkStackName('name', name);
  } catch (error) {
    if (error instanceof ConfigurationError) throw new CliUsageError(values.name !== undefined ? error.renamed('--name').message : `${values.config}: ${error.message}`);
    throw error;
  }
  // A model id is checked by VllmServer, the same rule for the CLI and for TypeScript.
  const strategy = (values.strategy ?? file.startupStrategy ?? 'auto') as StartupStrategy; // checked by the stack
  const gpus = optionalWholeNumber('--gpus', values.gpus);
  const tensorParallelSize = values['tensor-parallel-size'] === undefined ? undefined : wholeNumber('--tensor-parallel-size', values['tensor-parallel-size']);
  if (!['yaml', 'helm'].includes(values.format!)) throw new CliUsageError(`Invalid --format: "${values.format}". Use one of: yaml, helm.`);
  const helm = values.format === 'helm';
  // One folder per stack, so `kubectl apply -f <folder>` deploys exactly one.
  const out = values.out ?? join('dist', helm ? `${name}-chart` : name);
  if (!out) throw new CliUsageError('Invalid --out: "". Name the folder to write into, e.g. --out dist/chat.');

  let yaml: string;
  let stack: H2oGptStack;
  try {
    const app = new App({ outdir: resolve(out) });
    const chart = new Chart(app, name, { disableResourceNameHashes: true });
    stack = new H2oGptStack(chart, 'stack', stackPropsOf(values, file, { name, model, modelFlags, meshGiven, strategy, gpus, tensorParallelSize }));
    yaml = app.synthYaml();
    Warnings.of(app).forEach((w) => io.stderr(`[cdk8s-h2ogpt] warning: ${w.message}\n`));
  } catch (error) {
    if (error instanceof ConfigurationError && error.field === 'h2ogpt.authentication' && (values.gateway !== undefined || values['ingress-class'] !== undefined)) {
      throw new CliUsageError(`Invalid --auth-secret: none. The UI would be open to anyone at https://${values.hostname}/. Pass --auth-secret NAME[/KEY] `
        + '(a Secret whose key, auth.json by default, holds the users of h2oGPT\'s login), or --no-login to expose it without one on purpose.');
    }
    if (error instanceof ConfigurationError) {
      // Name the flag if the value came from one, else the key in the config file; the fix is
      // reworded to match (cli-wording.ts). A further model's field is named like the first's:
      // the same flags set both.
      // An adapter's name or source is one --lora NAME=SOURCE, shown as typed.
      const adapter = /^vllm\.loraAdapters\[(\d+)\]\.(name|source)$/.exec(error.field);
      const field = adapter ? 'vllm.loraAdapters' : error.field.replace(/^additionalModels\[\d+\]\./, 'vllm.');
      const flag = FLAG_OF_FIELD.get(field);
      const given = flag !== undefined && argv.some((a) => a === flag || a.startsWith(`${flag}=`) || (flag === '--cni' && a === '--no-cni'));
      if (given || values.config === undefined) {
        const typed = adapter && values.lora ? values.lora[Number(adapter[1])] : flagValue(values, flag ?? '');
        const named = flag ? new ConfigurationError(flag, given ? typed ?? error.value : error.value, error.expectation) : error;
        throw new CliUsageError(toFlagWording(named.message, FLAG_OF_FIELD));
      }
      throw new CliUsageError(`${values.config}: ${toConfigWording(error.message)}`);
    }
    if (error instanceof StartupRefusedError) {
      throw new CliUsageError(`--strategy ${strategy}: ${toFlagWording(error.message, FLAG_OF_FIELD)}`);
    }
    throw error;
  }

  if (helm) {
    const objects = parseAllDocuments(yaml!).map((d) => d.toJS()).filter((o) => o);
    const files = helmChartFiles(objects, {
      name, namespace: values.namespace ?? file.namespace, mesh: stack!.mesh.describe(), strategy: stack!.startupStrategy,
      reason: stack!.startupReason, uiPort: stack!.h2ogpt.uiContainerPort,
    }, packageVersion());
    writeChart(out, resolve(out), files);
    io.stdout(`wrote Helm chart ${CHART_NAME} to ${resolve(out)}\n`);
    io.stdout(`mesh: ${stack!.mesh.describe()}\n`);
    io.stdout(`startup strategy: ${stack!.startupStrategy}\n`);
    io.stdout(`reason: ${stack!.startupReason}\n`);
    return 0;
  }

  // Only now touch DIR: a temporary file renamed into place, so DIR never holds half a manifest.
  const outDir = resolve(out);
  const target = join(outDir, `${name}.k8s.yaml`);
  checkOutputFolder(out, outDir, basename(target));
  try {
    makeFolder(outDir);
  } catch (error) {
    throw new CliUsageError(`Invalid --out: "${out}": ${describeFsError(error)}. ${writeFix(error, `dist/${name}`)}`);
  }
  try {
    writeInPlace(target, yaml!);
  } catch (error) {
    throw new CliUsageError(`Invalid --out: "${out}": cannot write ${basename(target)}: ${describeFsError(error)}. ${writeFix(error, `dist/${name}`)}`);
  }
  io.stdout(`wrote ${target}\n`);
  io.stdout(`mesh: ${stack.mesh.describe()}\n`);
  io.stdout(`startup strategy: ${stack.startupStrategy}\n`);
  io.stdout(`reason: ${stack.startupReason}\n`);
  return 0;
}

function packageVersion(): string {
  return JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')).version;
}

/** What the flags already read give the stack-props mapping. */
interface ReadFlags {
  readonly name: string;
  readonly model: string;
  readonly modelFlags: ReadonlyArray<{ id?: string; model: string }>;
  readonly meshGiven: boolean;
  readonly strategy: StartupStrategy;
  readonly gpus?: number;
  readonly tensorParallelSize?: number;
}

/**
 * The stack's props from the flags over the config file's: a flag given wins over the file's
 * value, field by field. Throws the stack's own ConfigurationErrors, which runSynth renames.
 */
function stackPropsOf(values: SynthFlagValues, file: Partial<H2oGptStackProps>, read: ReadFlags): H2oGptStackProps {
  const { name, model, modelFlags, meshGiven, strategy, gpus, tensorParallelSize } = read;
  // Mesh flags override the file's mesh field by field, as long as they name the same mode.
  const fileMesh = file.mesh && (values.mesh === undefined || values.mesh === file.mesh.name) && file.mesh.name !== 'none' ? file.mesh : undefined;
  const mesh = meshGiven || !file.mesh
    ? MeshMode.fromName(values.mesh ?? file.mesh?.name ?? 'none', {
      cni: values.cni ?? (fileMesh?.dataplane === Dataplane.SIDECAR ? fileMesh.cni : undefined),
      mtls: (values.mtls ?? fileMesh?.mtls) as MtlsMode | undefined,
      version: values['mesh-version'] ?? fileMesh?.version,
    })
    : file.mesh;
  const exposure = exposureFlags(values) ?? file.exposure;
  const authentication = authenticationFlags(values) ?? file.h2ogpt?.authentication;
  const monitoring = values.monitoring || values['prometheus-namespace'] !== undefined || values['prometheus-pod-label'] !== undefined
    || values['monitor-label'] !== undefined
    ? {
      ...file.monitoring,
      ...definedOnly({
        selectorLabels: labelsFlag('--monitor-label', 'release=kube-prometheus-stack', values['monitor-label']),
        prometheusNamespace: values['prometheus-namespace'],
        prometheusPodLabels: labelsFlag('--prometheus-pod-label', 'app.kubernetes.io/name=prometheus', values['prometheus-pod-label']),
      }),
    }
    : file.monitoring;
  const vllmScale = rangeFlag('--autoscale', values.autoscale);
  const h2ogptScale = rangeFlag('--h2ogpt-autoscale', values['h2ogpt-autoscale']);
  const autoscaling = vllmScale || h2ogptScale || values['available-gpus'] !== undefined
    ? {
      ...file.autoscaling,
      ...definedOnly({
        vllmMinReplicas: vllmScale?.min, vllmMaxReplicas: vllmScale?.max,
        availableGpus: optionalWholeNumber('--available-gpus', values['available-gpus']),
        h2ogptMinReplicas: h2ogptScale?.min, h2ogptMaxReplicas: h2ogptScale?.max,
      }),
    }
    : file.autoscaling;
  // The vLLM flags apply to every server, over what the file gives each.
  const vllmFlags = () => definedOnly({
    gpus,
    tensorParallelSize,
    maxModelLen: optionalWholeNumber('--max-model-len', values['max-model-len']),
    huggingFaceToken: secretFlag('--hf-token-secret', values['hf-token-secret']),
    apiKey: secretFlag('--api-key-secret', values['api-key-secret']),
    modelCache: modelCacheFlags(values),
    modelSize: values['model-size'],
    cpuRequest: values.cpu,
    memoryRequest: values.memory,
    memoryLimit: values.memory,
    shmSize: values['shm-size'],
    nodes: optionalWholeNumber('--nodes', values.nodes),
    gpusPerNode: optionalWholeNumber('--gpus-per-node', values['gpus-per-node']),
    gpuMemory: values['gpu-memory'],
    nodeSelector: labelsFlag('--node-selector', 'nvidia.com/gpu.product=NVIDIA-L4', values['node-selector']),
    image: values['vllm-image'],
  });
  // More than one --model replaces the file's additionalModels.
  const additionalModels = modelFlags.length > 1
    ? modelFlags.slice(1).map((m) => ({ ...vllmFlags(), id: m.id ?? idOfModel(m.model), model: m.model }))
    : file.additionalModels?.map((m) => ({ ...m, ...vllmFlags() }));
return {
    ...file,
    name,
    namespace: values.namespace ?? file.namespace,
    mesh,
    startupStrategy: strategy,
    kubernetesVersion: values['kubernetes-version'] ?? file.kubernetesVersion,
    exposure,
    monitoring,
    autoscaling,
    vllm: {
      ...file.vllm,
      ...vllmFlags(),
      // An adapter belongs to one base model: --lora is the first model's only.
      ...definedOnly({ loraAdapters: loraFlag(values.lora) }),
      model,
    },
    additionalModels,
    h2ogpt: {
      ...file.h2ogpt,
      ...definedOnly({
        image: values['h2ogpt-image'],
        replicas: optionalWholeNumber('--h2ogpt-replicas', values['h2ogpt-replicas']),
        openAiApi: values['openai-api'],
        openAiApiKey: secretFlag('--openai-api-key-secret', values['openai-api-key-secret']),
        authentication,
      }),
    },
  };
}

/** `--model [ID=]MODEL`: an explicit id before '=', which a Hugging Face id never contains. */
function modelFlag(value: string): { id?: string; model: string } {
  const at = value.indexOf('=');
  return at < 0 ? { model: value } : { id: value.slice(0, at), model: value.slice(at + 1) };
}

/** A DNS label from a model id: `Qwen/Qwen2.5-Coder-7B-Instruct` gives `qwen2-5-coder-7b-instruct`. */
function idOfModel(model: string): string {
  const base = model.replace(/\/+$/, '').split('/').pop() ?? model;
  return base.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'model';
}

/** --gateway or --ingress-class, with their companions; undefined when neither is given. */
function exposureFlags(values: SynthFlagValues): Exposure | undefined {
  const gateway = values.gateway;
  const ingressClass = values['ingress-class'];
  const hostname = values.hostname;
  const timeout = optionalWholeNumber('--request-timeout', values['request-timeout']);
  if (gateway !== undefined && ingressClass !== undefined) {
    throw new CliUsageError(`Invalid --ingress-class: "${ingressClass}". Expose the UI one way: --gateway or --ingress-class, not both.`);
  }
  const needs = (flag: string, value: unknown, why: string) => {
    if (value === undefined) throw new CliUsageError(`Invalid ${flag}: none. ${why}`);
  };
  if (gateway !== undefined) {
    needs('--hostname', hostname, 'Name the host users reach the UI at, e.g. --hostname chat.example.com.');
    for (const flag of ['tls-secret', 'cert-issuer'] as const) {
      if (values[flag] !== undefined) throw new CliUsageError(`Invalid --${flag}: "${values[flag]}". It applies to --ingress-class; a Gateway's listener holds its own certificate.`);
    }
    if (gateway.split('/').length > 2) throw new CliUsageError(`Invalid --gateway: "${gateway}". Use [NAMESPACE/]NAME, e.g. --gateway infra/public.`);
    const [namespace, name] = gateway.includes('/') ? gateway.split('/', 2) : [undefined, gateway];
    return Exposure.gateway({
      gatewayName: name, gatewayNamespace: namespace, listenerName: values.listener, hostname: hostname!, requestTimeoutSeconds: timeout,
      ...proxyFlags(values),
    });
  }
  if (ingressClass !== undefined) {
    needs('--hostname', hostname, 'Name the host users reach the UI at, e.g. --hostname chat.example.com.');
    needs('--tls-secret', values['tls-secret'], 'Name the TLS Secret for the host (with --cert-issuer, cert-manager writes it); the UI is served over TLS only.');
    if (values.listener !== undefined) throw new CliUsageError(`Invalid --listener: "${values.listener}". It applies to --gateway.`);
    return Exposure.ingress({
      className: ingressClass, hostname: hostname!, tlsSecretName: values['tls-secret']!,
      certManagerIssuer: values['cert-issuer'], requestTimeoutSeconds: timeout,
      ...proxyFlags(values),
    });
  }
  for (const flag of ['hostname', 'listener', 'tls-secret', 'cert-issuer', 'request-timeout', 'proxy-namespace', 'proxy-pod-label'] as const) {
    if (values[flag] !== undefined) throw new CliUsageError(`Invalid --${flag}: "${values[flag]}". It applies to an exposed UI: add --gateway [NS/]NAME or --ingress-class CLASS.`);
  }
  return undefined;
}

/** --proxy-namespace and --proxy-pod-label, where given. */
function proxyFlags(values: SynthFlagValues): { proxyNamespace?: string; proxyPodLabels?: { [key: string]: string } } {
  return definedOnly({
    proxyNamespace: values['proxy-namespace'],
    proxyPodLabels: labelsFlag('--proxy-pod-label', 'app.kubernetes.io/name=ingress-nginx', values['proxy-pod-label']),
  });
}

/** --auth-secret NAME[/KEY] or --no-login; undefined when neither is given. */
function authenticationFlags(values: SynthFlagValues): UiAuthentication | undefined {
  const secret = values['auth-secret'];
  if (values.login === true) throw new CliUsageError('Invalid --login: true. Logins come from --auth-secret NAME[/KEY]; --no-login turns them off.');
  if (secret !== undefined && values.login === false) throw new CliUsageError(`Invalid --no-login: true. It contradicts --auth-secret "${secret}": give one of the two.`);
  if (values.login === false) return UiAuthentication.disabled();
  if (secret === undefined) return undefined;
  if (secret.split('/').length > 2) throw new CliUsageError(`Invalid --auth-secret: "${secret}". Use NAME[/KEY], e.g. --auth-secret chat-users/auth.json.`);
  const [name, key] = secret.split('/', 2);
  return UiAuthentication.fromSecret(name, key);
}

/** The model cache from --cache-size, --storage-class, --cache-access-mode, --existing-cache-claim and --ephemeral-cache; undefined when none is given. */
function modelCacheFlags(values: SynthFlagValues): ModelCache | undefined {
  const newClaimFlags = (['storage-class', 'cache-access-mode'] as const).filter((f) => values[f] !== undefined).map((f) => `--${f}`);
  const existing = values['existing-cache-claim'];
  if (existing !== undefined) {
    const sizing = [...newClaimFlags, ...(values['cache-size'] !== undefined ? ['--cache-size'] : []), ...(values['ephemeral-cache'] ? ['--ephemeral-cache'] : [])];
    if (sizing.length > 0) {
      throw new CliUsageError(`Invalid --existing-cache-claim: "${existing}". It uses a claim that exists, and ${sizing[0]} sizes or makes a new cache: give one of the two.`);
    }
    return ModelCache.existingClaim(existing);
  }
  if (values['ephemeral-cache']) {
    if (newClaimFlags.length > 0) {
      throw new CliUsageError(`Invalid --ephemeral-cache: true. It keeps the cache in an emptyDir, and ${newClaimFlags[0]} applies to a claim: give one of the two.`);
    }
    return ModelCache.ephemeral({ sizeLimit: values['cache-size'] });
  }
  // The access mode is checked by ModelCache, for the CLI and for TypeScript alike.
  return newClaimFlags.length > 0 || values['cache-size'] !== undefined
    ? ModelCache.newClaim({ storageClassName: values['storage-class'], size: values['cache-size'], accessMode: values['cache-access-mode'] as ModelCacheAccessMode | undefined })
    : undefined;
}

/** MIN:MAX, whole numbers, MIN at most MAX. */
function rangeFlag(flag: string, value: string | undefined): { min: number; max: number } | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+):(\d+)$/.exec(value);
  if (!match) throw new CliUsageError(`Invalid ${flag}: "${value}". Give the fewest and most replicas as MIN:MAX, e.g. ${flag} 1:4.`);
  const [min, max] = [Number(match[1]), Number(match[2])];
  if (min > max) throw new CliUsageError(`Invalid ${flag}: "${value}". MIN (${min}) is above MAX (${max}): give the fewest replicas first, e.g. ${flag} ${max}:${min}.`);
  return { min, max };
}

/** The value a single-valued flag was given, as typed; undefined for a repeatable or boolean one. */
function flagValue(values: SynthFlagValues, flag: string): string | undefined {
  const value = (values as Record<string, unknown>)[flag.replace(/^--/, '')];
  return typeof value === 'string' ? value : undefined;
}

function definedOnly<T extends object>(entries: T): Partial<T> {
  return Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function optionalWholeNumber(flag: string, value: string | undefined): number | undefined {
  return value === undefined ? undefined : wholeNumber(flag, value);
}

/** NAME/KEY: a key of a Secret the user creates; the value never passes through this tool. */
function secretFlag(flag: string, value: string | undefined): SecretKeyReference | undefined {
  if (value === undefined) return undefined;
  const match = /^([^/]+)\/([^/]+)$/.exec(value);
  if (!match) throw new CliUsageError(`Invalid ${flag}: "${value}". Name a Secret and its key as NAME/KEY, e.g. ${flag} hf-token/token (create it with kubectl create secret generic).`);
  const ref = SecretKeyReference.fromSecret(match[1], match[2]);
  try {
    ref.validate(flag);
  } catch (error) {
    if (error instanceof ConfigurationError) throw new CliUsageError(error.message);
    throw error;
  }
  return ref;
}

/** Repeated KEY=VALUE label pairs of `flag` (e.g. --node-selector), each checked as a Kubernetes label. */
function labelsFlag(flag: string, example: string, values: string[] | undefined): { [key: string]: string } | undefined {
  if (!values || values.length === 0) return undefined;
  const labels: { [key: string]: string } = {};
  for (const pair of values) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new CliUsageError(`Invalid ${flag}: "${pair}". Use key=value, e.g. ${flag} ${example} (repeat the flag for more).`);
    labels[pair.slice(0, at)] = pair.slice(at + 1);
    try {
      checkLabels(flag, { [pair.slice(0, at)]: pair.slice(at + 1) });
    } catch (error) {
      if (error instanceof ConfigurationError) throw new CliUsageError(`Invalid ${flag}: "${pair}". ${error.expectation}`);
      throw error;
    }
  }
  return labels;
}

/** `--lora NAME=SOURCE`, repeated: the adapters in order; the construct checks each name and source. */
function loraFlag(values: string[] | undefined): LoraAdapter[] | undefined {
  if (!values || values.length === 0) return undefined;
  return values.map((pair) => {
    const at = pair.indexOf('=');
    if (at <= 0) throw new CliUsageError(`Invalid --lora: "${pair}". Use NAME=HF_ID, e.g. --lora sql=yard1/llama-2-7b-sql-lora-test (repeat the flag for more).`);
    return { name: pair.slice(0, at), source: pair.slice(at + 1) };
  });
}

function wholeNumber(flag: string, value: string): number {
  if (!/^\d+$/.test(value)) {
    // 32k for a context length means 32768 tokens (powers of two, as models state them).
    const kilo = /^(\d+)[kK]$/.exec(value);
    throw new CliUsageError(`Invalid ${flag}: "${value}". Use a whole number, e.g. ${flag} ${kilo ? `${Number(kilo[1]) * 1024}` : '1'}.`);
  }
  return Number(value);
}
