import { spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseAllDocuments } from 'yaml';

// Runs the built CLI (npm test builds lib/ first) as a user would.
const BIN = join(__dirname, '..', 'bin', 'cdk8s-h2ogpt.js');

function cli(args: string[], input?: string) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', input, timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

let work: string;
beforeEach(() => { work = mkdtempSync(join(tmpdir(), 'cdk8s-h2ogpt-cli-')); });
afterEach(() => rmSync(work, { recursive: true, force: true }));

describe('cdk8s-h2ogpt synth', () => {
  test('writes one manifest and prints the strategy with its reason', () => {
    const out = join(work, 'out');
    const { code, stdout, stderr } = cli(['synth', '--mesh', 'istio-sidecar', '--name', 'chat', '--namespace', 'ai', '--gpus', '2', '--out', out]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(readdirSync(out)).toEqual(['chat.k8s.yaml']);
    expect(stdout).toContain('startup strategy: in-app-wait');
    expect(stdout).toMatch(/reason: auto: Istio sidecar: init containers cannot use the mesh \(blackholed by istio-cni\)/);
    const objects = parseAllDocuments(readFileSync(join(out, 'chat.k8s.yaml'), 'utf8')).map((d) => d.toJS());
    const vllm = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'chat-vllm');
    expect(vllm.metadata.namespace).toBe('ai');
    expect(vllm.spec.template.spec.containers[0].resources.limits['nvidia.com/gpu']).toBe(2);
    expect(vllm.spec.template.metadata.labels['sidecar.istio.io/inject']).toBe('true');
  });

  test('--no-cni, --mtls permissive and an explicit strategy', () => {
    const { code, stdout } = cli(['synth', '--mesh', 'linkerd', '--no-cni', '--mtls', 'permissive', '--strategy', 'proxy-uid-bypass', '--out', work]);
    expect(code).toBe(0);
    expect(stdout).toContain('mesh: Linkerd sidecar without linkerd-cni, mTLS permissive');
    const objects = parseAllDocuments(readFileSync(join(work, 'h2ogpt.k8s.yaml'), 'utf8')).map((d) => d.toJS());
    const front = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'h2ogpt');
    expect(front.spec.template.spec.initContainers[0].securityContext.runAsUser).toBe(2102);
  });

  test('the none strategy warns on stderr and still writes', () => {
    const { code, stderr } = cli(['synth', '--strategy', 'none', '--out', work]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/warning: startup strategy "none": .*up to 300 s after vLLM is ready/);
    expect(existsSync(join(work, 'h2ogpt.k8s.yaml'))).toBe(true);
  });

  test.each([
    [['--mesh', 'consul'], /^cdk8s-h2ogpt synth: Invalid --mesh: "consul"\. Use one of: none, istio-sidecar/],
    [['--mtls', 'sometimes'], /Invalid --mtls: "sometimes"\. Use one of: strict, permissive/],
    [['--strategy', 'hope'], /Invalid --strategy: "hope"\. Use one of: auto, init-container/],
    [['--gpus', 'two'], /Invalid --gpus: "two"\. Use a whole number/],
    [['--gpus', '0'], /Invalid --gpus: 0\. Use a whole number from 1 to 64/],
    [['--gpus', '1', '--tensor-parallel-size', '2'], /Invalid --tensor-parallel-size: 2\. It cannot exceed gpus \(1\)/],
    [['--name', 'Chat'], /Invalid --name: "Chat"\. Use a DNS-1123 label/],
    [['--namespace', 'a_b'], /Invalid --namespace: "a_b"/],
    [['--model', ''], /Invalid --model: ""\. Set it to a Hugging Face model id/],
    [['--kubernetes-version', 'latest'], /Invalid --kubernetes-version: "latest"/],
    [['--mesh', 'istio-sidecar', '--strategy', 'init-container'], /--strategy init-container: Startup strategy "init-container" is refused under Istio sidecar with istio-cni, mTLS strict: it deadlocks/],
    [['--mesh', 'istio-native-sidecar', '--kubernetes-version', '1.28'], /native sidecars need the SidecarContainers feature/],
    [['--frobnicate'], /Unknown option '--frobnicate'\. Run 'cdk8s-h2ogpt synth --help'/],
  ])('bad input %j exits 2, names the flag, writes nothing', (args, message) => {
    const out = join(work, 'out');
    writeFileSync(join(work, 'keep.txt'), 'untouched');
    const { code, stdout, stderr } = cli(['synth', ...args, '--out', out]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(stdout).toBe('');
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(work)).toEqual(['keep.txt']);
  });

  test('an existing output folder keeps its files when synthesis is refused', () => {
    writeFileSync(join(work, 'h2ogpt.k8s.yaml'), 'previous');
    const { code } = cli(['synth', '--mesh', 'linkerd', '--strategy', 'port-exclusion', '--out', work]);
    expect(code).toBe(2);
    expect(readdirSync(work)).toEqual(['h2ogpt.k8s.yaml']);
    expect(readFileSync(join(work, 'h2ogpt.k8s.yaml'), 'utf8')).toBe('previous');
  });

  test('--help lists every flag', () => {
    const { code, stdout } = cli(['synth', '--help']);
    expect(code).toBe(0);
    for (const flag of ['--mesh', '--cni', '--no-cni', '--mtls', '--strategy', '--name', '--namespace', '--model', '--gpus', '--tensor-parallel-size', '--out', '--kubernetes-version']) {
      expect(stdout).toContain(flag);
    }
    for (const mode of ['none', 'istio-sidecar', 'istio-native-sidecar', 'istio-ambient', 'linkerd', 'linkerd-native-sidecar']) expect(stdout).toContain(mode);
  });
});

describe('cdk8s-h2ogpt', () => {
  test('an unknown command exits 2', () => {
    const { code, stderr } = cli(['deploy']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/Unknown command "deploy"\. Use one of: synth/);
  });

  test('help exits 0 and lists the commands', () => {
    const { code, stdout } = cli(['help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/synth\s+write vLLM \+ h2oGPT manifests/);
  });
});
