import { spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseAllDocuments } from 'yaml';
import { BIN, cli, cliProcess } from './support/cli-runner';

// The CLI both ways (test/support/cli-runner.ts): the first block proves that they agree.

/** stderr without the warning every synthesis with the default h2oGPT image prints (test/h2ogpt-stack.test.ts covers it). */
function withoutImageWarning(stderr: string): string {
  return stderr.replace(/^\[cdk8s-h2ogpt\] warning: h2ogpt\.image is the tag gcr\.io\/vorvan\/h2oai\/h2ogpt-runtime:0\.2\.1, .*\n/m, '');
}

let work: string;
beforeEach(() => { work = mkdtempSync(join(tmpdir(), 'cdk8s-h2ogpt-cli-')); });
afterEach(() => rmSync(work, { recursive: true, force: true }));

describe('the bin and the in-process runner agree', () => {
  // Most cases below call the bundle's main in this process; this proves that the bin, run as a
  // process, gives the same exit code, stdout and stderr for each kind of outcome.
  test.each([
    ['a refused flag (exit 2)', ['synth', '--mesh', 'consul']],
    ['an unknown command (exit 2)', ['deploy']],
    ['a deadlock found (exit 1)', ['check', 'test/fixtures/upstream-chart.yaml', '--mesh', 'istio-sidecar']],
    ['a clean check (exit 0)', ['check', 'test/fixtures/list.yaml', '--mesh', 'none', '--format', 'json']],
    ['help (exit 0)', ['help']],
  ])('%s', async (_what, args) => {
    const inProcess = await cli(args as string[]);
    expect(cliProcess(args as string[])).toEqual(inProcess);
    expect(inProcess.stdout + inProcess.stderr).not.toBe('');
  });

  test('a synthesis writes the same bytes either way', async () => {
    const inProcess = await cli(['synth', '--mesh', 'linkerd', '--out', join(work, 'a')]);
    const asProcess = cliProcess(['synth', '--mesh', 'linkerd', '--out', join(work, 'b')]);
    expect(asProcess.code).toBe(0);
    expect(asProcess).toEqual({ ...inProcess, stdout: inProcess.stdout.split(join(work, 'a')).join(join(work, 'b')) });
    expect(readFileSync(join(work, 'b', 'h2ogpt.k8s.yaml'), 'utf8')).toBe(readFileSync(join(work, 'a', 'h2ogpt.k8s.yaml'), 'utf8'));
  });
});

describe('cdk8s-h2ogpt synth at the edges: exit 2, the flag and the fix, no stack trace, nothing written', () => {
  const refused = async (args: string[], message: RegExp) => {
    const { code, stdout, stderr } = await cli(['synth', ...args]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  };

  test('an empty --name', async () => await refused(['--name', '', '--out', join(work, 'a')], /Invalid --name: ""\. Use a DNS-1123 label/));
  test('a --name that is no Service name', async () => await refused(['--name', '9chat', '--out', join(work, 'a')], /Invalid --name: "9chat"\. It names a Service, so it must be a DNS-1035 label/));
  test('a --name whose longest derived name passes 63 characters', async () => await refused(['--name', 'a'.repeat(47), '--out', join(work, 'a')], /Invalid --name: "a{47}"\. Use a DNS-1123 label: at most 46 characters/));
  test('a negative --gpus', async () => await refused(['--gpus', '-1', '--out', join(work, 'a')], /Invalid --gpus: "-1"\. Negative numbers are not accepted; use a whole number of at least 1/));
  test('--out naming a file', async () => {
    writeFileSync(join(work, 'file'), 'x');
    await refused(['--out', join(work, 'file')], /Invalid --out: ".*file" is a file, not a folder/);
  });
  test('--out under a path the kernel refuses (it used to hang)', async () => await refused(['--out', '/proc/cdk8s-h2ogpt-x'], /Invalid --out: "\/proc\/cdk8s-h2ogpt-x": no such file or folder/));
  test.each([
    ['/proc', /Invalid --out: "\/proc": cannot write h2ogpt\.k8s\.yaml: no such file or folder/],
    ['/sys/kernel', /Invalid --out: "\/sys\/kernel": cannot write h2ogpt\.k8s\.yaml: (permission denied|not permitted)/],
  ])('--out %s, a folder the kernel will not write in (issue #23)', async (out, message) => await refused(['--out', out], message));
  describe('a full disk: a 16 KiB tmpfs, mounted in a mount namespace of its own that ends with the process (issue #23)', () => {
    // Needs root and unshare(1), as CI has; elsewhere the skipped test says why.
    const unavailable = process.getuid?.() !== 0 ? 'it needs root to mount a tmpfs'
      : spawnSync('sh', ['-c', 'command -v unshare']).status !== 0 ? 'unshare is not installed' : undefined;
    if (unavailable && process.env.CI) throw new Error(`the full-disk tests cannot run in CI: ${unavailable}`);
    if (unavailable) test.skip(`cannot run here: the full-disk tests (${unavailable})`, () => undefined);
    const onFullDisk = (args: string[]) => {
      const disk = join(work, 'disk');
      mkdirSync(disk);
      const script = 'mount -t tmpfs -o size=16k cdk8s-h2ogpt-test "$1" || exit 99; shift; "$@"';
      const result = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', disk,
        process.execPath, BIN, 'synth', ...args.map((a) => a.replace('DISK', disk))], { encoding: 'utf8' });
      // The tmpfs went with the namespace: the folder is the test's own, and empty.
      expect(readdirSync(disk)).toEqual([]);
      return result;
    };
    test.each([
      ['yaml', ['--out', 'DISK/out'], /Invalid --out: ".*\/disk\/out": cannot write h2ogpt\.k8s\.yaml: no space left on the device\. Free space on that file system, or name a folder on another, e\.g\. --out dist\/h2ogpt\.\n$/],
      ['helm', ['--format', 'helm', '--out', 'DISK/chart'], /no space left on the device\. Free space on that file system, or name a folder on another, e\.g\. --out dist\/chart\.\n$/],
    ])('--format %s: exit 2, the cause and the fix, no stack trace', (_format, args, message) => {
      if (unavailable) return;
      const { status, stdout, stderr } = onFullDisk(args);
      expect(status).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toMatch(message);
      expect(stderr).not.toMatch(/\n\s+at /);
    });
  });
  test('--out where the manifest would go is a folder, or a file this tool did not write: refused and kept (issue #23)', async () => {
    const dir = join(work, 'occupied');
    mkdirSync(join(dir, 'h2ogpt.k8s.yaml'), { recursive: true });
    await refused(['--out', dir], /Invalid --out: ".*occupied" holds h2ogpt\.k8s\.yaml, which this tool did not write/);
    rmSync(join(dir, 'h2ogpt.k8s.yaml'), { recursive: true });
    writeFileSync(join(dir, 'h2ogpt.k8s.yaml'), 'kind: ConfigMap # hand-written\n');
    await refused(['--out', dir], /Invalid --out: ".*occupied" holds h2ogpt\.k8s\.yaml, which this tool did not write\. Move it away, or name another folder/);
    expect(readFileSync(join(dir, 'h2ogpt.k8s.yaml'), 'utf8')).toBe('kind: ConfigMap # hand-written\n');
  });
  test.each([
    [['--node-selector', 'a b=c d'], /Invalid --node-selector: "a b=c d"\. Use a label key/],
    [['--node-selector', 'gpu=has space'], /Invalid --node-selector: "gpu=has space"\. Use a label value/],
    [['--gateway', 'ns/gw/extra', '--hostname', 'chat.example.com', '--no-login'], /Invalid --gateway: "ns\/gw\/extra"\. Use \[NAMESPACE\/\]NAME/],
    [['--gateway', 'ns/gw', '--hostname', 'chat.example.com', '--auth-secret', 'u/k/extra'], /Invalid --auth-secret: "u\/k\/extra"\. Use NAME\[\/KEY\]/],
  ])('%j: refused, naming the flag (issue #23)', async (args, message) => await refused([...args, '--out', join(work, 'a')], message));
  test.each([
    ['vllm:\n  model: [a, b]\n', /Invalid vllm\.model: "a list"\. Expected a string/],
    ['vllm:\n  model: !!binary aGVsbG8=\n', /Invalid vllm\.model: "binary data \(!!binary\)"\. Expected a string/],
    ['vllm:\n  gpus: {two: 2}\n', /Invalid vllm\.gpus: "a mapping"\. Expected a number/],
    ['additionalModels:\n  - id: x\n    model: ../../etc\n', /Invalid additionalModels\[0\]\.model: "\.\.\/\.\.\/etc"\. Use a Hugging Face model id/],
  ])('a config value of the wrong type or shape exits 2 naming its path: %j (issue #23)', async (text, message) => {
    const config = join(work, 'bad-config.yaml');
    writeFileSync(config, text);
    await refused(['--config', config, '--out', join(work, 'a')], message);
    rmSync(config);
  });
  test('--out holding another stack: kubectl apply -f would deploy both', async () => {
    expect((await cli(['synth', '--name', 'one', '--out', work])).code).toBe(0);
    await refused(['--name', 'two', '--out', work], /Invalid --out: ".*" already holds one\.k8s\.yaml, another stack's output, and `kubectl apply -f .*` would deploy both/);
    expect(readdirSync(work)).toEqual(['one.k8s.yaml']);
    // The same stack again simply replaces its own file.
    expect((await cli(['synth', '--name', 'one', '--out', work])).code).toBe(0);
  });
  test('each stack gets a folder of its own by default', async () => {
    expect(cliProcess(['synth', '--name', 'solo'], undefined, work).code).toBe(0);
    expect(readdirSync(join(work, 'dist'))).toEqual(['solo']);
    expect(readdirSync(join(work, 'dist', 'solo'))).toEqual(['solo.k8s.yaml']);
  });
  test('a --model that is no model id', async () => await refused(['--model', 'not a model', '--out', join(work, 'a')], /Invalid --model: "not a model"\. Use a Hugging Face model id as org\/name/));
  test('--cni or --no-cni where no CNI choice exists', async () => {
    await refused(['--mesh', 'none', '--cni', '--out', join(work, 'a')], /Invalid --cni: true\. There is no mesh, so no CNI plugin/);
    await refused(['--mesh', 'istio-ambient', '--no-cni', '--out', join(work, 'a')], /Invalid --cni: false\. istio-ambient always runs istio-cni/);
    await refused(['--mesh', 'linkerd-native-sidecar', '--cni', '--out', join(work, 'a')], /Invalid --cni: true\. A native sidecar meshes init containers with or without linkerd-cni/);
  });
  test('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
    expect(cliProcess(['--version'])).toMatchObject({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  test('a closed stdout is not a crash', async () => {
    // `true` exits before synth prints, so every write meets a closed pipe (EPIPE).
    const result = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" synth --out "${join(work, 'p')}" | true; echo "status=\${PIPESTATUS[0]}" >&2`], { encoding: 'utf8' });
    expect(result.stderr).toContain('status=0');
    expect(result.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(readdirSync(join(work, 'p'))).toEqual(['h2ogpt.k8s.yaml']);
  });
});

describe('cdk8s-h2ogpt synth', () => {
  test('writes one manifest and prints the strategy with its reason', async () => {
    const out = join(work, 'out');
    const { code, stdout, stderr } = await cli(['synth', '--mesh', 'istio-sidecar', '--name', 'chat', '--namespace', 'ai', '--gpus', '2', '--out', out]);
    expect(withoutImageWarning(stderr)).toBe('');
    expect(code).toBe(0);
    expect(readdirSync(out)).toEqual(['chat.k8s.yaml']);
    expect(stdout).toContain('startup strategy: in-app-wait');
    expect(stdout).toMatch(/reason: auto: Istio sidecar: init containers cannot use the mesh \(captured by istio-cni before the proxy runs\)/);
    const objects = parseAllDocuments(readFileSync(join(out, 'chat.k8s.yaml'), 'utf8')).map((d) => d.toJS());
    const vllm = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'chat-vllm');
    expect(vllm.metadata.namespace).toBe('ai');
    expect(vllm.spec.template.spec.containers[0].resources.limits['nvidia.com/gpu']).toBe(2);
    expect(vllm.spec.template.metadata.labels['sidecar.istio.io/inject']).toBe('true');
  });

  test('a real deployment from flags alone: secrets, storage, context length, node selector, images, replicas, the API', async () => {
    const digest = `vllm/vllm-openai@sha256:${'e'.repeat(64)}`;
    const { code, stderr } = await cli(['synth', '--name', 'full', '--namespace', 'ai', '--mesh', 'istio-sidecar',
      '--model', 'meta-llama/Llama-3.1-8B-Instruct', '--max-model-len', '16384', '--hf-token-secret', 'hf-token/token',
      '--api-key-secret', 'vllm-api-key/key', '--storage-class', 'fast-ssd', '--cache-size', '200Gi',
      '--node-selector', 'nvidia.com/gpu.product=NVIDIA-L4', '--node-selector', 'pool=gpu', '--vllm-image', digest,
      '--h2ogpt-image', 'gcr.io/vorvan/h2oai/h2ogpt-runtime:0.2.1', '--h2ogpt-replicas', '2',
      '--openai-api', '--openai-api-key-secret', 'h2ogpt-api-key/key', '--out', work]);
    expect(withoutImageWarning(stderr)).toBe('');
    expect(code).toBe(0);
    const objects = parseAllDocuments(readFileSync(join(work, 'full.k8s.yaml'), 'utf8')).map((d) => d.toJS());
    const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
    expect(find('PersistentVolumeClaim', 'full-vllm-model-cache').spec).toMatchObject({ storageClassName: 'fast-ssd', resources: { requests: { storage: '200Gi' } } });
    const vllm = find('Deployment', 'full-vllm').spec.template.spec;
    expect(vllm.nodeSelector).toEqual({ 'nvidia.com/gpu.product': 'NVIDIA-L4', 'pool': 'gpu' });
    expect(vllm.containers[0].image).toBe(digest);
    expect(vllm.containers[0].args.join(' ')).toContain('--max-model-len 16384');
    const env = Object.fromEntries(vllm.containers[0].env.map((e: any) => [e.name, e.valueFrom ?? e.value]));
    expect(env.HF_TOKEN).toEqual({ secretKeyRef: { name: 'hf-token', key: 'token' } });
    expect(env.VLLM_API_KEY).toEqual({ secretKeyRef: { name: 'vllm-api-key', key: 'key' } });
    const front = find('Deployment', 'full');
    expect(front.spec.replicas).toBe(2);
    const frontEnv = Object.fromEntries(front.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.valueFrom ?? e.value]));
    expect(frontEnv.H2OGPT_OPENAI_API_KEY).toEqual({ secretKeyRef: { name: 'h2ogpt-api-key', key: 'key' } });
    expect(find('PodDisruptionBudget', 'full')).toBeDefined();
  });

  describe('--config: every prop from a YAML file, flags winning over it', () => {
    const config = (text: string) => {
      const file = join(work, 'stack.yaml');
      writeFileSync(file, text);
      return file;
    };
    const STACK = [
      'name: chat', 'namespace: ai', 'mesh: { mode: linkerd, cni: false, mtls: permissive, version: "2.19" }', 'startupStrategy: proxy-uid-bypass',
      'vllm:', '  model: Qwen/Qwen2.5-7B-Instruct', '  gpus: 2', '  apiKey: { secretName: vllm-api-key, key: key }',
      '  modelCache: { size: 300Gi, storageClassName: fast }', '  imagePullSecrets: [registry]', 'h2ogpt:', '  replicas: 1', '  openAiApi: true',
      '  env: { LOG_LEVEL: debug, UPSTREAM_TOKEN: { secretName: team, key: token }, REGION: { configMapName: cluster-info, key: region } }',
      '  openAiApiKey: { secretName: h2ogpt-api-key, key: key }', 'trafficPolicy: { restrictEgress: true }', '',
    ].join('\n');

    test('the file alone expresses a whole deployment', async () => {
      const { code, stdout } = await cli(['synth', '--config', config(STACK), '--out', join(work, 'out')]);
      expect(code).toBe(0);
      expect(stdout).toContain('mesh: Linkerd 2.19 sidecar without linkerd-cni, mTLS permissive');
      expect(stdout).toContain('startup strategy: proxy-uid-bypass');
      const objects = parseAllDocuments(readFileSync(join(work, 'out', 'chat.k8s.yaml'), 'utf8')).map((d) => d.toJS());
      const claim = objects.find((o) => o.kind === 'PersistentVolumeClaim');
      expect(claim.spec).toMatchObject({ storageClassName: 'fast', resources: { requests: { storage: '300Gi' } } });
      const front = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'chat');
      expect(front.spec.replicas).toBe(1);
      expect(front.spec.template.spec.containers[0].env.slice(-3)).toEqual([
        { name: 'LOG_LEVEL', value: 'debug' },
        { name: 'UPSTREAM_TOKEN', valueFrom: { secretKeyRef: { name: 'team', key: 'token' } } },
        { name: 'REGION', valueFrom: { configMapKeyRef: { name: 'cluster-info', key: 'region' } } },
      ]);
      expect(objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'chat-vllm').spec.template.spec.imagePullSecrets).toEqual([{ name: 'registry' }]);
      expect(objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'chat').spec.policyTypes).toEqual(['Ingress', 'Egress']);
      expect(objects.some((o) => o.kind === 'Server' && o.metadata.namespace === 'ai')).toBe(true);
    });

    test('a flag given on the command line wins over the file', async () => {
      const { code } = await cli(['synth', '--config', config(STACK), '--gpus', '4', '--name', 'other', '--out', join(work, 'out')]);
      expect(code).toBe(0);
      const objects = parseAllDocuments(readFileSync(join(work, 'out', 'other.k8s.yaml'), 'utf8')).map((d) => d.toJS());
      const vllm = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'other-vllm');
      expect(vllm.spec.template.spec.containers[0].resources.limits['nvidia.com/gpu']).toBe(4);
      expect(vllm.spec.template.spec.containers[0].args).toContain('Qwen/Qwen2.5-7B-Instruct');
    });

    test('a mesh flag overrides one field of the file\'s mesh and keeps the others', async () => {
      const { code, stdout } = await cli(['synth', '--config', config(STACK), '--mesh-version', '2.20', '--out', join(work, 'out')]);
      expect(code).toBe(0);
      expect(stdout).toContain('mesh: Linkerd 2.20 sidecar without linkerd-cni, mTLS permissive');
    });

    test.each([
      ['vllm:\n  modle: x\n', /stack\.yaml: Invalid vllm\.modle: "x"\. There is no such field here\. Did you mean vllm\.model\?/],
      ['vllm:\n  zzz: x\n', /stack\.yaml: Invalid vllm\.zzz: "x"\. There is no such field here\. The fields are: .*\bmodel, /],
      ['mesh: { mode: istio-sidecr }\n', /stack\.yaml: Invalid mesh\.mode: "istio-sidecr"\. Use one of: none, istio-sidecar, .*\. Did you mean "istio-sidecar"\?/],
      ['vllm:\n  model: "Qwen/Qwen 2.5; rm -rf /"\n', /stack\.yaml: Invalid vllm\.model: "Qwen\/Qwen 2\.5; rm -rf \/"\. Use a Hugging Face model id as org\/name/],
      ['h2ogpt:\n  env: { X: { secret: s } }\n', /stack\.yaml: Invalid h2ogpt\.env\.X\.secret: "s"\. There is no such field here\. The fields are: value, secretName, key, configMapName/],
      ['h2ogpt:\n  env: { API_KEY: plain }\n', /stack\.yaml: Invalid h2ogpt\.env\["API_KEY"\]: \(value hidden\)\./],
      ['mesh: { mode: linkerd }\nh2ogpt: { replicas: 2 }\n', /stack\.yaml: Invalid h2ogpt\.replicas: 2\. Under Linkerd, .*only an ingress that picks pods itself/],
      ['vllm:\n  model: a/b\n  gpus: 0\n', /stack\.yaml: Invalid vllm\.gpus: 0\. Use a whole number from 1 to 64/],
      ['mesh: { mode: istio-sidecar, mtls: sometimes }\n', /stack\.yaml: Invalid mesh\.mtls: "sometimes"\. Use one of: strict, permissive/],
      ['vllm: [1, 2]\n', /stack\.yaml: Invalid vllm: \[1,2\]\. Expected a mapping of fields/],
      ['vllm:\n  model: a/b\n  apiKey: { secretName: "", key: k }\n', /stack\.yaml: Invalid vllm\.apiKey\.secretName: ""/],
      ['name: [\n', /stack\.yaml: Invalid --config: ".*stack\.yaml"\. It is not valid YAML/],
    ])('%j is refused with the API\'s message, naming the file and the field', async (text, message) => {
      const { code, stderr } = await cli(['synth', '--config', config(text), '--out', join(work, 'none')]);
      expect(code).toBe(2);
      expect(stderr).toMatch(message);
      expect(existsSync(join(work, 'none'))).toBe(false);
    });

    test('a missing file', async () => {
      const { code, stderr } = await cli(['synth', '--config', join(work, 'missing.yaml')]);
      expect(code).toBe(2);
      expect(stderr).toMatch(/Invalid --config: ".*missing\.yaml": no such file or folder/);
    });
  });

  test('a gated model without a token Secret gets a warning, and still synthesizes', async () => {
    const { code, stderr } = await cli(['synth', '--model', 'meta-llama/Llama-3.1-8B-Instruct', '--out', work]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/warning: meta-llama\/\* models are gated on Hugging Face: .*--hf-token-secret NAME\/KEY/);
  });

  test.each([
    [['--hf-token-secret', 'hf-token'], /Invalid --hf-token-secret: "hf-token"\. Name a Secret and its key as NAME\/KEY/],
    [['--node-selector', 'pool'], /Invalid --node-selector: "pool"\. Use key=value/],
    [['--cache-size', '2TB'], /Invalid --cache-size: "2TB"\. Use a Kubernetes quantity/],
    [['--openai-api'], /Invalid --openai-api-key-secret: none\. h2oGPT's OpenAI-compatible API answers anyone without a key/],
    [['--h2ogpt-image', 'h2ogpt:latest'], /Invalid --h2ogpt-image: "h2ogpt:latest"\. Pin the image/],
  ])('%j exits 2 naming the flag', async (args, message) => {
    const { code, stderr } = await cli(['synth', ...args, '--out', join(work, 'x')]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(existsSync(join(work, 'x'))).toBe(false);
  });

  test('--no-cni, --mtls permissive and an explicit strategy', async () => {
    const { code, stdout } = await cli(['synth', '--mesh', 'linkerd', '--no-cni', '--mtls', 'permissive', '--strategy', 'proxy-uid-bypass', '--out', work]);
    expect(code).toBe(0);
    expect(stdout).toContain('mesh: Linkerd sidecar without linkerd-cni, mTLS permissive');
    const objects = parseAllDocuments(readFileSync(join(work, 'h2ogpt.k8s.yaml'), 'utf8')).map((d) => d.toJS());
    const front = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'h2ogpt');
    expect(front.spec.template.spec.initContainers[0].securityContext.runAsUser).toBe(2102);
  });

  test('the none strategy warns on stderr and still writes', async () => {
    const { code, stderr } = await cli(['synth', '--strategy', 'none', '--out', work]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/warning: startup strategy "none": .*up to 300 s after vLLM is ready/);
    expect(existsSync(join(work, 'h2ogpt.k8s.yaml'))).toBe(true);
  });

  test.each([
    [['--mesh', 'consul'], /^cdk8s-h2ogpt synth: Invalid --mesh: "consul"\. Use one of: none, istio-sidecar/],
    [['--mtls', 'sometimes'], /Invalid --mtls: "sometimes"\. Use one of: strict, permissive/],
    [['--strategy', 'hope'], /Invalid --strategy: "hope"\. Use one of: auto, init-container/],
    [['--gpus', 'two'], /Invalid --gpus: "two"\. Use a whole number/],
    [['--gpus', '0'], /Invalid --gpus: "0"\. Use a whole number from 1 to 64/],
    [['--gpus', '1', '--tensor-parallel-size', '2'], /Invalid --tensor-parallel-size: "2"\. It cannot exceed --gpus \(1\): each tensor-parallel rank needs its own GPU\. Lower --tensor-parallel-size or raise --gpus\./],
    [['--name', 'Chat'], /Invalid --name: "Chat"\. Use a DNS-1123 label/],
    [['--namespace', 'a_b'], /Invalid --namespace: "a_b"/],
    [['--model', ''], /Invalid --model: ""\. Set it to a Hugging Face model id such as "Qwen\/Qwen2\.5-1\.5B-Instruct"/],
    [['--kubernetes-version', 'latest'], /Invalid --kubernetes-version: "latest"/],
    [['--mesh', 'istio-sidecar', '--strategy', 'init-container'], /--strategy init-container: Startup strategy "init-container" is refused \(deadlock\) under Istio sidecar with istio-cni, mTLS strict: it deadlocks/],
    [['--mesh', 'istio-native-sidecar', '--kubernetes-version', '1.28'], /native sidecars need the SidecarContainers feature/],
    [['--frobnicate'], /Unknown option '--frobnicate'\. Run 'cdk8s-h2ogpt synth --help'/],
  ])('bad input %j exits 2, names the flag, writes nothing', async (args, message) => {
    const out = join(work, 'out');
    writeFileSync(join(work, 'keep.txt'), 'untouched');
    const { code, stdout, stderr } = await cli(['synth', ...args, '--out', out]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(stdout).toBe('');
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(work)).toEqual(['keep.txt']);
  });

  test('an existing output folder keeps its files when synthesis is refused', async () => {
    writeFileSync(join(work, 'h2ogpt.k8s.yaml'), 'previous');
    const { code } = await cli(['synth', '--mesh', 'linkerd', '--strategy', 'port-exclusion', '--out', work]);
    expect(code).toBe(2);
    expect(readdirSync(work)).toEqual(['h2ogpt.k8s.yaml']);
    expect(readFileSync(join(work, 'h2ogpt.k8s.yaml'), 'utf8')).toBe('previous');
  });

  test('--help lists every flag', async () => {
    const { code, stdout } = await cli(['synth', '--help']);
    expect(code).toBe(0);
    for (const flag of ['--mesh', '--cni', '--no-cni', '--mtls', '--strategy', '--name', '--namespace', '--model', '--gpus', '--tensor-parallel-size', '--out', '--kubernetes-version']) {
      expect(stdout).toContain(flag);
    }
    for (const mode of ['none', 'istio-sidecar', 'istio-native-sidecar', 'istio-ambient', 'linkerd', 'linkerd-native-sidecar']) expect(stdout).toContain(mode);
  });
});

describe('cdk8s-h2ogpt synth for real users: exposure, login, monitoring, autoscaling', () => {
  const objectsOf = (dir: string, name = 'h2ogpt') => parseAllDocuments(readFileSync(join(dir, `${name}.k8s.yaml`), 'utf8')).map((d) => d.toJS());
  const config = (text: string) => {
    const file = join(work, 'real.yaml');
    writeFileSync(file, text);
    return file;
  };

  test('--gateway NS/NAME --hostname --auth-secret: an HTTPRoute on that Gateway and h2oGPT\'s login from the Secret', async () => {
    const out = join(work, 'gw');
    const { code, stderr } = await cli(['synth', '--mesh', 'istio-ambient', '--namespace', 'ai', '--gateway', 'gateways/public', '--listener', 'https', '--hostname', 'chat.example.com',
      '--request-timeout', '900', '--auth-secret', 'chat-users/users.json', '--out', out]);
    expect([code, withoutImageWarning(stderr)]).toEqual([0, '']);
    const objects = objectsOf(out);
    const route = objects.find((o) => o.kind === 'HTTPRoute');
    expect(route.spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public', namespace: 'gateways', sectionName: 'https' }]);
    expect(route.spec.rules[0].timeouts).toEqual({ request: '900s', backendRequest: '900s' });
    const front = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'h2ogpt');
    expect(front.spec.template.spec.volumes).toContainEqual(expect.objectContaining({ name: 'auth', secret: expect.objectContaining({ secretName: 'chat-users', items: [{ key: 'users.json', path: 'auth.json' }] }) }));
  });

  test('--ingress-class --tls-secret --cert-issuer --no-login: an Ingress, its Certificate, and a warning that the UI has no login', async () => {
    const out = join(work, 'in');
    const { code, stderr } = await cli(['synth', '--ingress-class', 'nginx', '--hostname', 'chat.example.com', '--tls-secret', 'chat-tls', '--cert-issuer', 'letsencrypt', '--no-login', '--out', out]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/warning: h2ogpt\.authentication is disabled: anyone who reaches https:\/\/chat\.example\.com\/ uses the UI/);
    expect(objectsOf(out).map((o) => o.kind)).toEqual(expect.arrayContaining(['Ingress', 'Certificate']));
  });

  test('--monitoring: the PodMonitor, the rules and the dashboard', async () => {
    const out = join(work, 'mon');
    expect((await cli(['synth', '--mesh', 'linkerd', '--monitoring', '--prometheus-namespace', 'obs', '--out', out])).code).toBe(0);
    const objects = objectsOf(out);
    expect(objects.map((o) => o.kind)).toEqual(expect.arrayContaining(['PodMonitor', 'PrometheusRule']));
    expect(objects.find((o) => o.kind === 'MeshTLSAuthentication' && o.metadata.name === 'h2ogpt-vllm-prometheus').spec.identityRefs[0].namespace).toBe('obs');
  });

  test('--autoscale and --h2ogpt-autoscale, with an RWX cache from the file: KEDA for vLLM, an HPA for h2oGPT', async () => {
    const out = join(work, 'scale');
    const file = config('vllm:\n  model: Qwen/Qwen2.5-1.5B-Instruct\n  modelCache: { accessMode: ReadWriteMany, storageClassName: nfs }\n');
    const { code, stderr } = await cli(['synth', '--config', file, '--monitoring', '--autoscale', '1:3', '--available-gpus', '3', '--h2ogpt-autoscale', '1:4', '--out', out]);
    expect([code, withoutImageWarning(stderr)]).toEqual([0, '']);
    const objects = objectsOf(out);
    expect(objects.find((o) => o.kind === 'ScaledObject').spec).toMatchObject({ minReplicaCount: 1, maxReplicaCount: 3 });
    expect(objects.find((o) => o.kind === 'HorizontalPodAutoscaler').spec).toMatchObject({ minReplicas: 1, maxReplicas: 4 });
  });

  test('the config file expresses the same: exposure, authentication, monitoring, autoscaling', async () => {
    const out = join(work, 'file');
    const file = config([
      'exposure: { gateway: { gatewayName: public, hostname: chat.example.com } }',
      'h2ogpt: { authentication: { secretName: chat-users } }',
      'monitoring: { waitingRequestsThreshold: 20 }',
      'autoscaling: { h2ogptMaxReplicas: 2 }', '',
    ].join('\n'));
    expect((await cli(['synth', '--config', file, '--out', out])).code).toBe(0);
    const objects = objectsOf(out);
    expect(objects.map((o) => o.kind)).toEqual(expect.arrayContaining(['HTTPRoute', 'PodMonitor', 'PrometheusRule', 'HorizontalPodAutoscaler']));
    expect(JSON.stringify(objects.find((o) => o.kind === 'PrometheusRule'))).toContain('> 20');
  });

  test.each([
    [['--gateway', 'public'], /^cdk8s-h2ogpt synth: Invalid --hostname: none\. Name the host users reach the UI at/],
    [['--gateway', 'public', '--hostname', 'chat.example.com'], /^cdk8s-h2ogpt synth: Invalid --auth-secret: none\. The UI would be open to anyone at https:\/\/chat\.example\.com\/\. Pass --auth-secret NAME\[\/KEY\].*or --no-login/],
    [['--ingress-class', 'nginx', '--hostname', 'chat.example.com', '--auth-secret', 'u'], /Invalid --tls-secret: none\. Name the TLS Secret for the host/],
    [['--gateway', 'g', '--ingress-class', 'nginx'], /Invalid --ingress-class: "nginx"\. Expose the UI one way/],
    [['--hostname', 'chat.example.com'], /Invalid --hostname: "chat\.example\.com"\. It applies to an exposed UI: add --gateway/],
    [['--gateway', 'g', '--hostname', 'https://x.example.com', '--auth-secret', 'u'], /^cdk8s-h2ogpt synth: Invalid --hostname: "https:\/\/x\.example\.com"\. Use a fully qualified/],
    [['--auth-secret', 'u', '--no-login'], /Invalid --no-login: true\. It contradicts --auth-secret "u"/],
    [['--autoscale', '4'], /Invalid --autoscale: "4"\. Give the fewest and most replicas as MIN:MAX/],
    [['--autoscale', '1:2'], /Invalid --autoscale: "1:2"\. vLLM's autoscaler reads vllm:num_requests_waiting from Prometheus: add --monitoring too, or leave --autoscale unset\./],
    [['--monitoring', '--autoscale', '1:2'], /^cdk8s-h2ogpt synth: Invalid --autoscale: "1:2"\. New replicas land on other nodes, which cannot mount a ReadWriteOnce model-cache claim \(the model cache\)\. Use --cache-access-mode ReadWriteMany/],
    [['--monitoring', '--gpus', '2', '--autoscale', '1:2', '--available-gpus', '3'], /Invalid --autoscale: "1:2"\. 2 replicas x 2 GPU\(s\) each need 4 GPUs, more than --available-gpus \(3\): use at most 1, or raise --available-gpus/],
    [['--mesh', 'linkerd', '--h2ogpt-autoscale', '1:3'], /Invalid --h2ogpt-autoscale: "1:3"\. Under Linkerd, its proxies balance every request across replicas by latency, and only an ingress that picks pods itself/],
    [['--model', 'a/b', '--model', 'c/d', '--model', 'x/d'], /^cdk8s-h2ogpt synth: Invalid --model: "d"\. additionalModels\[0\] has that id already: give each model its own/],
    [['--model', 'a/b', '--model', 'a/b'], /^cdk8s-h2ogpt synth: Invalid --model: "a\/b"\. vllm already serves that name/],
    [['--model', 'coder=a/b'], /^cdk8s-h2ogpt synth: Invalid --model: "coder=a\/b"\. The first --model is the stack's first vLLM server, named h2ogpt-vllm: give it without ID=/],
    [['--model', 'a/b', '--model', 'Big=c/d'], /^cdk8s-h2ogpt synth: Invalid --model: "Big"\. Use a DNS-1123 label/],
    [['--model', 'a/b', '--model', 'c d'], /^cdk8s-h2ogpt synth: Invalid --model: "c d"\. Use a Hugging Face model id as org\/name/],
    [['--model', 'a/b', '--model', 'c/d', '--gpus', '2', '--monitoring', '--autoscale', '1:2', '--available-gpus', '3', '--cache-size', '10Gi'],
      /Invalid --autoscale: "1:2"\. 2 replicas x 4 GPU\(s\) across the 2 vLLM servers \(2 \+ 2\) need 8 GPUs, more than --available-gpus \(3\): not even one replica fits/],
  ])('%j exits 2 naming the flag, writing nothing', async (args, message) => {
    const out = join(work, 'refused');
    const { code, stdout, stderr } = await cli(['synth', ...args, '--out', out]);
    expect([code, stdout]).toEqual([2, '']);
    expect(stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });

  test('--model repeated: one vLLM server per model, ids from the model names or given as ID=, the vLLM flags on every server, all in h2oGPT\'s model list', async () => {
    const out = join(work, 'models');
    const { code, stdout, stderr } = await cli(['synth', '--mesh', 'istio-sidecar', '--namespace', 'ai', '--gpus', '2',
      '--model', 'Qwen/Qwen2.5-1.5B-Instruct', '--model', 'Qwen/Qwen2.5-Coder-1.5B-Instruct', '--model', 'small=Qwen/Qwen2.5-0.5B-Instruct', '--out', out]);
    expect([code, withoutImageWarning(stderr)]).toEqual([0, '']);
    expect(stdout).toMatch(/startup strategy: in-app-wait/);
    const objects = objectsOf(out);
    const servers = objects.filter((o) => o.kind === 'Deployment' && o.metadata.labels['app.kubernetes.io/name'] === 'vllm');
    expect(servers.map((d) => d.metadata.name)).toEqual(['h2ogpt-vllm', 'h2ogpt-vllm-qwen2-5-coder-1-5b-instruct', 'h2ogpt-vllm-small']);
    expect(servers.map((d) => String(d.spec.template.spec.containers[0].resources.limits['nvidia.com/gpu']))).toEqual(['2', '2', '2']);
    const h2ogpt = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'h2ogpt').spec.template.spec.containers[0];
    const lock = JSON.parse(h2ogpt.env.find((e: any) => e.name === 'H2OGPT_MODEL_LOCK').value);
    expect(lock.map((m: any) => m.base_model)).toEqual(['Qwen/Qwen2.5-1.5B-Instruct', 'Qwen/Qwen2.5-Coder-1.5B-Instruct', 'Qwen/Qwen2.5-0.5B-Instruct']);
    expect(h2ogpt.command.filter((a: string) => a.startsWith('WAIT_URL='))).toEqual([
      'WAIT_URL=http://h2ogpt-vllm-qwen2-5-coder-1-5b-instruct.ai.svc:8000/health', 'WAIT_URL=http://h2ogpt-vllm-small.ai.svc:8000/health',
    ]);
  });

  test('the config file\'s additionalModels: each server its own GPUs, port, cache and Secrets; flags still win', async () => {
    const out = join(work, 'file-models');
    const file = config([
      'vllm: { model: Qwen/Qwen2.5-1.5B-Instruct }',
      'additionalModels:',
      '  - id: coder',
      '    model: Qwen/Qwen2.5-Coder-7B-Instruct',
      '    gpus: 4',
      '    port: 8001',
      '    apiKey: { secretName: coder-key, key: token }',
      '    modelCache: { size: 300Gi }', '',
    ].join('\n'));
    expect((await cli(['synth', '--config', file, '--out', out])).code).toBe(0);
    const objects = objectsOf(out);
    const coder = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'h2ogpt-vllm-coder').spec.template.spec.containers[0];
    expect(String(coder.resources.limits['nvidia.com/gpu'])).toBe('4');
    expect(coder.ports[0].containerPort).toBe(8001);
    expect(objects.find((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === 'h2ogpt-vllm-coder-model-cache').spec.resources.requests.storage).toBe('300Gi');
    const h2ogpt = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'h2ogpt').spec.template.spec;
    expect(h2ogpt.initContainers.map((c: any) => c.name)).toEqual(['wait-for-vllm', 'wait-for-vllm-2', 'prepare-workspace']);
    expect(h2ogpt.containers[0].env.find((e: any) => e.name === 'VLLM_API_KEY_2').valueFrom).toEqual({ secretKeyRef: { name: 'coder-key', key: 'token' } });
    // A flag applies to the file's further models too.
    const flagged = join(work, 'file-models-gpus');
    expect((await cli(['synth', '--config', file, '--gpus', '2', '--out', flagged])).code).toBe(0);
    expect(String(objectsOf(flagged).find((o) => o.metadata.name === 'h2ogpt-vllm-coder' && o.kind === 'Deployment').spec.template.spec.containers[0].resources.limits['nvidia.com/gpu'])).toBe('2');
  });

  test('a misspelt field of a further model in the file is refused naming the field meant', async () => {
    const { code, stderr } = await cli(['synth', '--config', config('additionalModels: [{ id: coder, model: a/b, gpu: 2 }]\n'), '--out', join(work, 'x')]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/real\.yaml: Invalid additionalModels\[0\]\.gpu: 2\. There is no such field here\. Did you mean additionalModels\[0\]\.gpus\?/);
  });

  test('a misspelt field in the file\'s exposure is refused with the fields it has', async () => {
    const { code, stderr } = await cli(['synth', '--config', config('exposure: { gateway: { gateway: public, hostname: chat.example.com } }\n'), '--out', join(work, 'x')]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/real\.yaml: Invalid exposure\.gateway\.gateway: "public"\. There is no such field here\. The fields are: gatewayName, hostname, gatewayNamespace, listenerName, proxyNamespace, proxyPodLabels, requestTimeoutSeconds/);
  });
});

describe('cdk8s-h2ogpt', () => {
  test('an unknown command exits 2', async () => {
    const { code, stderr } = cliProcess(['deploy']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/Unknown command "deploy"\. Use one of: synth/);
  });

  test('help exits 0 and lists the commands', async () => {
    const { code, stdout } = await cli(['help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/synth\s+write vLLM \+ h2oGPT manifests/);
  });
});

describe('cdk8s-h2ogpt check', () => {
  const fixture = (name: string) => join(__dirname, 'fixtures', name);

  test('exit 1 and a timeline when a pod deadlocks', async () => {
    const { code, stdout, stderr } = await cli(['check', fixture('upstream-chart.yaml'), '--mesh', 'istio-sidecar']);
    expect(stderr).toBe('');
    expect(code).toBe(1);
    expect(stdout).toContain('Deployment h2ogpt/h2ogpt-web: DEADLOCK');
    expect(stdout).toContain('  1. istio-validation [mesh init]');
    expect(stdout).toContain('  2. vllm-check [init, captured]  DEADLOCK');
    // The fix, as the synth-time check words it, under the pod; the release caveat once, at the end (issue #24).
    expect(stdout).toContain('  fix: Init container "vllm-check" can never reach its upstream: move the wait into the app container, after istio-proxy is ready');
    expect(stdout.match(/the mesh release is unknown/g)).toHaveLength(1);
    expect(stdout).toMatch(/\nnote: the mesh release is unknown: [^\n]+\n2 pod\(s\) checked/);
    expect(stdout).toMatch(/2 pod\(s\) checked: 1 deadlock, 0 fails, 0 unknown, 0 slow, 1 ok\n$/);
  });

  test('a large input streams its report; a syntax error far down still exits 2, after the report so far', async () => {
    const pod = (i: number) => `kind: Pod\nmetadata: {name: p${i}}\nspec:\n  initContainers: [{name: w, image: busybox:1.36, command: [sh, -c, "until wget -q http://api:80/; do sleep 1; done"]}]\n  containers: [{name: a, image: b:1}]\n`;
    const many = Array.from({ length: 3000 }, (_, i) => pod(i)).join('---\n');
    const good = cliProcess(['check', '--mesh', 'istio-sidecar'], many);
    expect(good.code).toBe(1);
    expect(good.stdout).toMatch(/^mesh: Istio sidecar with istio-cni, mTLS strict\n\nPod p0: DEADLOCK/);
    expect(good.stdout).toMatch(/\n3000 pod\(s\) checked: 3000 deadlock, 0 fails, 0 unknown, 0 slow, 0 ok\n$/);
    const broken = cliProcess(['check', '--mesh', 'istio-sidecar'], `${many}---\nkind: [\n`);
    expect(broken.code).toBe(2);
    // The unclosed sequence is reported where the input ends, the line after "kind: [".
    expect(broken.stderr).toMatch(new RegExp(`^cdk8s-h2ogpt check: <stdin>:${many.split('\n').length + 2}:1: YAML syntax error`));
    expect(broken.stdout.length).toBeGreaterThan(1 << 20); // past the first MiB, the report had started
    expect(broken.stdout).not.toContain('pod(s) checked');
    // A small input with the same error prints nothing on stdout.
    const small = cliProcess(['check', '--mesh', 'istio-sidecar'], `${pod(0)}---\nkind: [\n`);
    expect([small.code, small.stdout]).toEqual([2, '']);
  });

  test('exit 0 when every pod can start', async () => {
    const { code, stdout } = await cli(['check', fixture('upstream-chart.yaml'), fixture('no-network-init.yaml'), '--mesh', 'istio-native-sidecar']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/3 pod\(s\) checked: 0 deadlock, 0 fails, 0 unknown, 0 slow, 3 ok/);
  });

  test('"unknown" when a container runs what check cannot judge: exit 0, or 1 with --strict; the reason names it (issue #24)', async () => {
    const pod = 'kind: Pod\nmetadata: {name: p}\nspec:\n  initContainers: [{name: seed, image: example/seed:1, command: [/app/seed-data]}]\n  containers: [{name: a, image: b:1}]\n';
    const plain = cliProcess(['check', '--mesh', 'istio-sidecar'], pod);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('Pod p: UNKNOWN');
    expect(plain.stdout).toContain('unknown: it runs /app/seed-data, which check does not know; review what it calls');
    expect(plain.stdout).toMatch(/1 pod\(s\) checked: 0 deadlock, 0 fails, 1 unknown, 0 slow, 0 ok\n$/);
    expect(cliProcess(['check', '--mesh', 'istio-sidecar', '--strict'], pod).code).toBe(1);
    expect(cliProcess(['check', '--mesh', 'istio-sidecar', '--strict'], pod.replace('/app/seed-data', 'cp')).code).toBe(0);
  });

  test('--no-cni and --mtls change the verdict', async () => {
    expect((await cli(['check', fixture('upstream-chart.yaml'), '--mesh', 'linkerd', '--no-cni'])).code).toBe(1);
    expect((await cli(['check', fixture('upstream-chart.yaml'), '--mesh', 'linkerd', '--no-cni', '--mtls', 'permissive'])).code).toBe(0);
  });

  test('JSON output has the documented shape; a pod\'s verdict is its worst container\'s', async () => {
    const { code, stdout } = await cli(['check', fixture('upstream-chart-uid1337.yaml'), '--mesh', 'istio-sidecar', '--format', 'json']);
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    const web = report.pods.find((p: any) => p.name === 'h2ogpt-web');
    expect(web).toMatchObject({ kind: 'Deployment', name: 'h2ogpt-web', namespace: 'h2ogpt', verdict: 'fails' });
    expect(web.initContainers).toEqual([{
      name: 'vllm-check', network: 'unmeshed', verdict: 'fails', inferred: true,
      reason: 'calls h2ogpt-vllm-inference:5000 (inferred from wget) in plaintext (it runs as the proxy UID 1337, which capture skips), and STRICT mTLS rejects it',
      fix: expect.stringMatching(/^Init container "vllm-check" talks plaintext to a STRICT-mTLS upstream: move the wait into the app container/),
    }]);
    // Its UID escapes capture whatever the dataplane, so no release caveat applies.
    expect(report.notes).toEqual([]);
    expect(report.pods.find((p: any) => p.name === 'h2ogpt-vllm')).toMatchObject({ verdict: 'ok', initContainers: [] });
  });

  test('--mesh-version settles the dataplane; a bad one exits 2 naming the flag', async () => {
    const fixture = join(__dirname, 'fixtures', 'upstream-chart.yaml');
    const unknown = await cli(['check', fixture, '--mesh', 'linkerd']);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toMatch(/the mesh release is unknown: from Linkerd 2\.20/);
    const native = await cli(['check', fixture, '--mesh', 'linkerd', '--mesh-version', '2.20']);
    expect(native.code).toBe(0);
    const bad = await cli(['check', fixture, '--mesh', 'linkerd', '--mesh-version', 'latest']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Invalid --mesh-version: "latest"/);
    const synth = await cli(['synth', '--mesh', 'istio-native-sidecar', '--mesh-version', '1.22', '--out', work]);
    expect(synth.code).toBe(2);
    expect(synth.stderr).toMatch(/Istio 1\.22 does not honour the per-pod native-sidecar opt-in/);
    expect(readdirSync(work)).toEqual([]);
  });

  test('--proxy-namespace and --proxy-pod-label narrow who reaches an exposed UI; without exposure they are refused (issue #23)', async () => {
    const out = join(work, 'edge');
    expect((await cli(['synth', '--gateway', 'infra/public', '--hostname', 'chat.example.com', '--auth-secret', 'users', '--proxy-namespace', 'edge', '--proxy-pod-label', 'app=gw', '--out', out])).code).toBe(0);
    const policy = parseAllDocuments(readFileSync(join(out, 'h2ogpt.k8s.yaml'), 'utf8')).map((d) => d.toJS()).find((o: any) => o?.kind === 'NetworkPolicy' && o.metadata.name === 'h2ogpt');
    expect(policy.spec.ingress[0].from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'edge' } }, podSelector: { matchLabels: { app: 'gw' } } }]);
    const bad = await cli(['synth', '--proxy-namespace', 'edge', '--out', join(work, 'a')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Invalid --proxy-namespace: "edge"\. It applies to an exposed UI/);
  });

  test('--prometheus-pod-label narrows vLLM\'s NetworkPolicy to those pods of Prometheus\'s namespace (issue #23)', async () => {
    const out = join(work, 'prom');
    expect((await cli(['synth', '--monitoring', '--prometheus-namespace', 'obs', '--prometheus-pod-label', 'component=prometheus', '--out', out])).code).toBe(0);
    const policy = parseAllDocuments(readFileSync(join(out, 'h2ogpt.k8s.yaml'), 'utf8')).map((d) => d.toJS()).find((o: any) => o?.kind === 'NetworkPolicy' && o.metadata.name === 'h2ogpt-vllm');
    expect(policy.spec.ingress).toContainEqual({
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'obs' } }, podSelector: { matchLabels: { component: 'prometheus' } } }],
      ports: [{ port: 8000, protocol: 'TCP' }],
    });
    const bad = await cli(['synth', '--monitoring', '--prometheus-pod-label', 'x y', '--out', join(work, 'a')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Invalid --prometheus-pod-label: "x y"\. Use key=value/);
  });

  test('input past --max-input-size exits 2 before it fills memory: a file, a device that never ends, stdin (issue #23)', async () => {
    const big = join(work, 'big.yaml');
    writeFileSync(big, `# ${'x'.repeat(300 * 1024)}\n`);
    const file = await cli(['check', '--mesh', 'none', '--max-input-size', '100Ki', big]);
    expect(file).toMatchObject({ code: 2, stdout: '' });
    expect(file.stderr).toMatch(/big\.yaml is larger than --max-input-size 100Ki \(102400 bytes\)\. Check the file is a manifest, split it, or raise --max-input-size/);
    // /dev/zero has no size to stat: the reader stops at the limit (it used to read 16 GB and abort).
    const zero = await cli(['check', '--mesh', 'none', '--max-input-size', '1Mi', '/dev/zero']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/\/dev\/zero is larger than --max-input-size 1Mi/);
    const piped = cliProcess(['check', '--mesh', 'none', '--max-input-size', '100Ki'], `# ${'x'.repeat(300 * 1024)}\n`);
    expect(piped.code).toBe(2);
    expect(piped.stderr).toMatch(/<stdin> is larger than --max-input-size 100Ki/);
    for (const [value, message] of [['lots', /Use a whole number of bytes, or of Ki, Mi or Gi/], ['0', /Use a whole number/], ['1Gi', /At most 500Mi/]] as const) {
      const bad = await cli(['check', '--mesh', 'none', '--max-input-size', value, fixture('nesting.yaml')]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(new RegExp(`Invalid --max-input-size: "${value}"\\. .*${message.source}`));
    }
    expect((await cli(['check', '--mesh', 'none', work])).stderr).toMatch(/cannot read .*: a folder, not a file/);
  });

  test('names with terminal control characters are printed escaped: no ANSI sequence, CR or forged line reaches the terminal (issue #23)', async () => {
    const hostile = [
      'apiVersion: v1', 'kind: Pod',
      'metadata: {name: "web\\e[2J\\e[31mOK\\r", namespace: "ns\\nDeployment x: OK"}',
      'spec:',
      '  initContainers: [{name: "wait\\u202e", image: busybox, command: [sh, -c, "until wget -q http://vllm:8000/; do sleep 1; done"]}]',
      '  containers: [{name: app, image: "a:1"}]', '',
    ].join('\n');
    const { code, stdout } = await cli(['check', '--mesh', 'istio-sidecar'], hostile);
    expect(code).toBe(1);
    expect(stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f\u202e]/); // only the report's own newlines
    expect(stdout).toContain('Pod ns\\x0aDeployment x: OK/web\\x1b[2J\\x1b[31mOK\\x0d: DEADLOCK');
    expect(stdout).toContain('wait\\u202e');
  });

  test('input with no Kubernetes objects exits 2, so a failed helm template cannot pass green', async () => {
    for (const input of ['', '---\n', '# only a comment\n']) {
      const { code, stdout, stderr } = await cli(['check', '--mesh', 'istio-sidecar'], input);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toMatch(/no Kubernetes objects in <stdin>; nothing to check\. Pipe in rendered manifests/);
    }
  });

  test('reads stdin, as from `helm template ... |`', async () => {
    const { code, stdout } = cliProcess(['check', '--mesh', 'linkerd', '--format', 'json'], readFileSync(fixture('nesting.yaml'), 'utf8'));
    expect(code).toBe(1);
    expect(JSON.parse(stdout).pods.map((p: any) => `${p.kind}/${p.name}:${p.verdict}`)).toEqual(['StatefulSet/db-client:deadlock', 'Job/migrate:deadlock', 'CronJob/nightly:deadlock']);
    expect(cliProcess(['check', '-', '--mesh', 'none'], readFileSync(fixture('list.yaml'), 'utf8')).code).toBe(0);
  });

  test('checks our own synthesized output: no deadlock in any mode', async () => {
    for (const mesh of ['none', 'istio-sidecar', 'istio-native-sidecar', 'istio-ambient', 'linkerd', 'linkerd-native-sidecar']) {
      expect((await cli(['synth', '--mesh', mesh, '--out', work])).code).toBe(0);
      const { code, stdout } = await cli(['check', join(work, 'h2ogpt.k8s.yaml'), '--mesh', mesh]);
      expect([mesh, code]).toEqual([mesh, 0]);
      expect(stdout).toMatch(/2 pod\(s\) checked: 0 deadlock, 0 fails, 0 unknown, 0 slow, 2 ok/);
    }
  });

  test.each([
    [['check', 'test/fixtures/broken.yaml', '--mesh', 'none'], /^cdk8s-h2ogpt check: test\/fixtures\/broken\.yaml:\d+:\d+: YAML syntax error/],
    [['check', 'no/such/file.yaml', '--mesh', 'none'], /cannot read no\/such\/file\.yaml: no such file/],
    [['check', 'test/fixtures/list.yaml', '--mesh', 'kuma'], /Invalid --mesh: "kuma"\. Use one of: none, istio-sidecar/],
    [['check', 'test/fixtures/list.yaml'], /--mesh is required/],
    [['check', 'test/fixtures/list.yaml', '--mesh', 'none', '--format', 'xml'], /Invalid --format: "xml"\. Use one of: text, json/],
    [['check', 'test/fixtures/list.yaml', '--mesh', 'none', '--mtls', 'maybe'], /Invalid --mtls: "maybe"/],
  ])('bad input %j exits 2', async (args, message) => {
    const { code, stderr, stdout } = await cli(args as string[]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stdout).toBe('');
  });
});

describe('cdk8s-h2ogpt check without input', () => {
  test('with nothing piped in and no file it asks for input instead of waiting on the terminal', async () => {
    const { main } = await import('../src/cli/cli');
    const err: string[] = [];
    const code = await main(['check', '--mesh', 'none'], {
      stdout: () => undefined, stderr: (t) => err.push(t), stdinIsTerminal: () => true,
      stdin: () => { throw new Error('stdin must not be read from a terminal'); },
    });
    expect(code).toBe(2);
    expect(err.join('')).toMatch(/name the manifest files to check, or pipe them in/);
  });
});
