import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseAllDocuments } from 'yaml';
import { cli } from './support/cli-runner';
import { crossObjectProblems, schemaProblems } from './support/conformance';

// Issue #26: everything from the command line, in the words the user wrote. Each message the
// issue lists has a case here, and every error the flags below draw is scanned for TypeScript.

const ROOT = join(__dirname, '..');
let work: string;
beforeAll(() => { work = mkdtempSync(join(tmpdir(), 'k8h-wording-')); });
afterAll(() => rmSync(work, { recursive: true, force: true }));

let outs = 0;
const out = () => join(work, `out-${++outs}`);
const synth = (args: string[]) => cli(['synth', ...args, '--out', out()]);
const config = (text: string) => {
  const file = join(work, `config-${++outs}.yaml`);
  writeFileSync(file, text);
  return file;
};

/**
 * What only TypeScript users write: the library's camelCase prop names, its class names and
 * factory methods, read from the jsii assembly.
 */
function typeScriptIdentifiers(): Set<string> {
  const assembly = JSON.parse(readFileSync(join(ROOT, '.jsii'), 'utf8'));
  const names = new Set<string>();
  for (const type of Object.values<any>(assembly.types)) {
    names.add(type.name);
    for (const member of [...type.properties ?? [], ...type.methods ?? []]) if (/[a-z][A-Z]/.test(member.name)) names.add(member.name);
  }
  return names;
}

describe('the production setup from flags alone', () => {
  test('two models, a Gateway with a login, monitoring with the selector label, autoscaling on a shared cache, sized: written and valid', async () => {
    const dir = out();
    const result = await cli(['synth', '--mesh', 'istio-sidecar', '--model', 'Qwen/Qwen2.5-1.5B-Instruct', '--model', 'Qwen/Qwen2.5-Coder-1.5B-Instruct',
      '--gateway', 'gateways/public', '--hostname', 'chat.example.com', '--auth-secret', 'users', '--monitoring', '--autoscale', '1:3',
      '--cache-access-mode', 'ReadWriteMany', '--monitor-label', 'release=kube-prometheus-stack', '--cpu', '6', '--memory', '40Gi', '--shm-size', '12Gi', '--out', dir]);
    expect(result.stderr.split('\n').filter((l) => l && !l.includes('warning:'))).toEqual([]);
    expect(result.code).toBe(0);
    const file = readdirSync(dir).find((f) => f.endsWith('.k8s.yaml'))!;
    const objects = parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => d.toJS()).filter((o) => o);
    expect(objects.flatMap((o: any) => schemaProblems(o))).toEqual([]);
    expect(crossObjectProblems(objects, { secrets: ['users'] })).toEqual([]);
    const kinds = (kind: string) => objects.filter((o: any) => o.kind === kind).map((o: any) => o.metadata.name).sort();
    expect(kinds('ScaledObject')).toEqual(['h2ogpt-vllm', 'h2ogpt-vllm-qwen2-5-coder-1-5b-instruct']);
    expect(kinds('HTTPRoute')).toEqual(['h2ogpt']);
    for (const claim of objects.filter((o: any) => o.kind === 'PersistentVolumeClaim')) expect(claim.spec.accessModes).toEqual(['ReadWriteMany']);
    for (const monitor of objects.filter((o: any) => o.kind === 'PodMonitor' || o.kind === 'PrometheusRule')) expect(monitor.metadata.labels.release).toBe('kube-prometheus-stack');
    for (const deployment of objects.filter((o: any) => o.kind === 'Deployment' && o.metadata.name.includes('vllm'))) {
      const vllm = deployment.spec.template.spec.containers[0];
      expect(vllm.resources.requests).toEqual({ cpu: '6', memory: '40Gi' });
      expect(vllm.resources.limits.memory).toBe('40Gi');
      expect(deployment.spec.template.spec.volumes.find((v: any) => v.name === 'dshm').emptyDir.sizeLimit).toBe('12Gi');
    }
  });

  test('--existing-cache-claim and --ephemeral-cache apply to every server; contradictions are refused', async () => {
    const existing = out();
    expect((await cli(['synth', '--model', 'a/b', '--model', 'c/d', '--existing-cache-claim', 'weights', '--out', existing])).code).toBe(0);
    const text = readFileSync(join(existing, 'h2ogpt.k8s.yaml'), 'utf8');
    expect(text).not.toContain('kind: PersistentVolumeClaim');
    expect(text.match(/claimName: weights/g)).toHaveLength(2);
    const ephemeral = out();
    expect((await cli(['synth', '--ephemeral-cache', '--cache-size', '80Gi', '--out', ephemeral])).code).toBe(0);
    expect(readFileSync(join(ephemeral, 'h2ogpt.k8s.yaml'), 'utf8')).toMatch(/- emptyDir:\n\s+sizeLimit: 80Gi\n\s+name: model-cache\n/);
    expect((await synth(['--existing-cache-claim', 'w', '--cache-size', '80Gi'])).stderr)
      .toBe('cdk8s-h2ogpt synth: Invalid --existing-cache-claim: "w". It uses a claim that exists, and --cache-size sizes or makes a new cache: give one of the two.\n');
    expect((await synth(['--ephemeral-cache', '--cache-access-mode', 'ReadWriteMany'])).stderr)
      .toBe('cdk8s-h2ogpt synth: Invalid --ephemeral-cache: true. It keeps the cache in an emptyDir, and --cache-access-mode applies to a claim: give one of the two.\n');
  });
});

describe('each message the issue lists names the flag or the key', () => {
  test.each([
    [['--autoscale', '1:3'], 'Invalid --autoscale: "1:3". vLLM\'s autoscaler reads vllm:num_requests_waiting from Prometheus: add --monitoring too, or leave --autoscale unset.'],
    [['--monitoring', '--gpus', '2', '--autoscale', '1:2', '--available-gpus', '1', '--ephemeral-cache'],
      'Invalid --autoscale: "1:2". 2 replicas x 2 GPU(s) each need 4 GPUs, more than --available-gpus (1): not even one replica fits; raise --available-gpus if the cluster has 2 or more, or use fewer GPUs.'],
    [['--mesh', 'istio-native-sidecar', '--kubernetes-version', '1.27'], /Set --kubernetes-version to the cluster's real version \(>= 1\.29\)/],
    [['--gpus', '2', '--tensor-parallel-size', '4'], 'Invalid --tensor-parallel-size: "4". It cannot exceed --gpus (2): each tensor-parallel rank needs its own GPU. Lower --tensor-parallel-size or raise --gpus.'],
    [['--gpu', '2'], 'Unknown option \'--gpu\'. Did you mean --gpus? Run \'cdk8s-h2ogpt synth --help\' for the options.'],
    [['--autoscale', '4:1'], 'Invalid --autoscale: "4:1". MIN (4) is above MAX (1): give the fewest replicas first, e.g. --autoscale 1:4.'],
    [['--max-model-len', '32k'], 'Invalid --max-model-len: "32k". Use a whole number, e.g. --max-model-len 32768.'],
    [['--cache-size', '200'], 'Invalid --cache-size: "200". A number without a unit is bytes to Kubernetes, so this is 200 bytes. Give a unit, e.g. "200Gi".'],
    [['--memory', '64'], /^Invalid --memory: "64"\. A number without a unit is bytes to Kubernetes/],
    [['--shm-size', '64Mi'], /^Invalid --shm-size: "64Mi"\. It is below 1Gi/],
    [['--model', 'Qwen/Qwen 2.5; rm -rf /'], /^Invalid --model: "Qwen\/Qwen 2\.5; rm -rf \/"\. Use a Hugging Face model id as org\/name/],
    [['--model', '../x'], /^Invalid --model: "\.\.\/x"\./],
    [['--model', 'a/b/c'], /^Invalid --model: "a\/b\/c"\./],
    [['--cache-access-mode', 'ReadWriteMny'], 'Invalid --cache-access-mode: "ReadWriteMny". Use one of: ReadWriteOnce, ReadWriteMany. Did you mean "ReadWriteMany"?'],
    [['--mesh', 'linkrd'], 'Invalid --mesh: "linkrd". Use one of: none, istio-sidecar, istio-native-sidecar, istio-ambient, linkerd, linkerd-native-sidecar. Did you mean "linkerd"?'],
    [['--model-size', '70 billion'], /^Invalid --model-size: "70 billion"\. Give the model's parameter count in billions with a B/],
  ])('%j', async (args, message) => {
    const { code, stderr } = await synth(args as string[]);
    expect(code).toBe(2);
    const line = stderr.split('\n').find((l) => l.startsWith('cdk8s-h2ogpt synth: '))!.replace(/^cdk8s-h2ogpt synth: (--strategy \w+: )?/, '');
    if (typeof message === 'string') expect(line).toBe(message);
    else expect(line).toMatch(message);
  });

  test('a value from the config file is named by its key, and its fix is YAML', async () => {
    const cases: Array<[string, RegExp]> = [
      ['vllm:\n  model: "a b"\n', /: Invalid vllm\.model: "a b"\. Use a Hugging Face model id/],
      ['mesh:\n  mode: istio\n', /: Invalid mesh\.mode: "istio"\. Use one of: none, istio-sidecar/],
      ['vllm:\n  model: m/m\n  replicas: 2\n', /: Invalid vllm\.replicas: 2\. .*Use modelCache: \{ accessMode: ReadWriteMany \}, an existing ReadWriteMany claim \(modelCache: \{ existingClaim: NAME \}\), modelCache: \{ ephemeral: true \}, or one replica\./],
      ['vllm:\n  modle: m/m\n', /: Invalid vllm\.modle: "m\/m"\. There is no such field here\. Did you mean vllm\.model\?/],
      ['vllm:\n  gpus: 2\n  tensorParallelSize: 4\n', /: Invalid vllm\.tensorParallelSize: 4\. It cannot exceed vllm\.gpus \(2\).*Lower vllm\.tensorParallelSize or raise vllm\.gpus\./],
    ];
    for (const [text, message] of cases) {
      const file = config(text);
      const { code, stderr } = await synth(['--config', file]);
      expect(code).toBe(2);
      expect(stderr).toContain(`cdk8s-h2ogpt synth: ${file}: `);
      expect(stderr).toMatch(message);
      expect(stderr).not.toMatch(/ModelCache|SecretKeyReference|newClaim|\(e\.g\. monitoring/);
    }
  });
});

describe('no CLI error speaks TypeScript', () => {
  // Bad flags, each drawing a construct's error through the CLI.
  const BAD: string[][] = [
    ['--autoscale', '1:3'], ['--monitoring', '--autoscale', '1:3'], ['--monitoring', '--autoscale', '0:3', '--ephemeral-cache'],
    ['--monitoring', '--gpus', '4', '--autoscale', '1:2', '--available-gpus', '3', '--ephemeral-cache'],
    ['--h2ogpt-autoscale', '3:2'], ['--mesh', 'linkerd', '--h2ogpt-replicas', '2'], ['--mesh', 'linkerd', '--h2ogpt-autoscale', '1:2'],
    ['--gpus', '0'], ['--gpus', '2', '--tensor-parallel-size', '3'], ['--gpus', '65'], ['--max-model-len', '0'],
    ['--mesh', 'istio-native-sidecar', '--kubernetes-version', '1.27'], ['--mesh', 'linkerd-native-sidecar', '--kubernetes-version', '1.28'],
    ['--mesh', 'istio-sidecar', '--mesh-version', '1.20'], ['--mesh', 'istio-sidecar', '--strategy', 'proxy-uid-bypass'],
    ['--mesh', 'linkerd', '--strategy', 'port-exclusion', '--no-cni'], ['--strategy', 'port-exclusion'], ['--mesh', 'istio-ambient', '--no-cni'],
    ['--mtls', 'sometimes', '--mesh', 'istio-sidecar'], ['--kubernetes-version', 'x'],
    ['--cache-size', '200'], ['--cache-size', '10Mi'], ['--memory', '1'], ['--cpu', 'lots'], ['--shm-size', '1'], ['--storage-class', 'Bad_Class'],
    ['--existing-cache-claim', 'Bad_Claim'], ['--cache-access-mode', 'rwx'],
    ['--name', 'Bad_Name'], ['--namespace', 'Bad_NS'], ['--vllm-image', 'vllm/vllm-openai'], ['--h2ogpt-image', 'x:latest'],
    ['--h2ogpt-replicas', '2000'], ['--openai-api'], ['--api-key-secret', 'bad'], ['--hf-token-secret', 'a/b/c'],
    ['--gateway', 'gw'], ['--gateway', 'gw', '--hostname', 'chat.example.com'], ['--gateway', 'gw', '--hostname', 'bad host', '--no-login'],
    ['--ingress-class', 'nginx', '--hostname', 'chat.example.com'], ['--request-timeout', '0', '--gateway', 'g', '--hostname', 'h.example.com', '--no-login'],
    ['--monitor-label', 'bad'], ['--monitor-label', 'release=kube-prometheus-stack'], ['--prometheus-namespace', 'Bad_NS', '--monitoring'],
    ['--node-selector', 'x'], ['--model', 'a/b', '--model', 'a/b'], ['--model', 'x=a/b'], ['--model', 'a/b', '--model', 'Bad_ID=c/d'],
    ['--available-gpus', '2'], ['--model-size', 'huge'], ['--gpus', '2', '--model', 'meta-llama/Llama-3.3-70B-Instruct', '--cache-size', '20Gi', '--strategy', 'nope'],
  ];

  test('every error of a bad flag is free of the library\'s TypeScript names', async () => {
    const forbidden = typeScriptIdentifiers();
    expect(forbidden.has('availableGpus')).toBe(true);
    expect(forbidden.has('ModelCache')).toBe(true);
    const found: string[] = [];
    let refused = 0;
    for (const args of BAD) {
      const { code, stderr } = await synth(args);
      const errors = stderr.split('\n').filter((l) => l.startsWith('cdk8s-h2ogpt synth: '));
      if (code === 2) refused++;
      for (const line of errors) {
        const words = line.match(/[A-Za-z][A-Za-z0-9]*/g) ?? [];
        const ts = words.filter((w) => forbidden.has(w));
        if (ts.length > 0) found.push(`${JSON.stringify(args)}: ${ts.join(', ')} in: ${line}`);
      }
    }
    expect(found).toEqual([]);
    // The scan saw errors: almost every case is refused (one or two may be valid on their own).
    expect(refused).toBeGreaterThan(BAD.length - 5);
  });

  test('the scan catches a TypeScript name when one slips through', () => {
    const forbidden = typeScriptIdentifiers();
    const line = 'cdk8s-h2ogpt synth: Invalid --autoscale: "1:3". raise availableGpus, or use ModelCache.ephemeral().';
    expect((line.match(/[A-Za-z][A-Za-z0-9]*/g) ?? []).filter((w) => forbidden.has(w))).toEqual(['availableGpus', 'ModelCache']);
  });
});
