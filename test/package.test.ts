import { spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { installArgs, makeFreshApp, packArgs, PEERS } from './support/fresh-app';

// The package as other cdk8s apps get it: a jsii assembly whose API.md is current, package.json
// hygiene, and a fresh app that installs the packed tarball (offline, from npm's cache).

const ROOT = join(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const assembly = JSON.parse(readFileSync(join(ROOT, '.jsii'), 'utf8'));
const run = (command: string, args: string[], cwd: string) => spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' } });

let work: string;
beforeAll(() => { work = mkdtempSync(join(tmpdir(), 'cdk8s-h2ogpt-package-')); });
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the jsii assembly', () => {
  test('names the targets Construct Hub publishes and every public type', () => {
    expect(Object.keys(assembly.targets).sort()).toEqual(['dotnet', 'go', 'java', 'js', 'python']);
    expect(assembly.targets.python.module).toBe('cdk8s_h2ogpt');
    for (const type of ['H2oGptStack', 'VllmServer', 'H2oGpt', 'VllmEndpoint', 'IVllmEndpoint', 'Errors', 'StartupPlanner', 'StartupAnalyzer', 'Verdict', 'WorkloadOptions']) {
      expect(assembly.types[`cdk8s-h2ogpt.${type}`]).toBeDefined();
    }
    expect(assembly.types['cdk8s-h2ogpt.Verdict'].kind).toBe('enum');
    expect(assembly.types['cdk8s-h2ogpt.VllmServer'].interfaces).toEqual(['cdk8s-h2ogpt.IVllmEndpoint', 'cdk8s-h2ogpt.IVllmWorkload']);
    expect(assembly.types['cdk8s-h2ogpt.H2oGpt'].interfaces).toEqual(['cdk8s-h2ogpt.IH2oGptWorkload']);
  });

  test('every runtime export of the entry point is a jsii type: nothing vanishes in other languages', () => {
    const exported = Object.keys(require(join(ROOT, 'lib', 'index.js'))); // eslint-disable-line @typescript-eslint/no-require-imports
    const types = new Set(Object.keys(assembly.types).map((fqn) => fqn.replace(/^cdk8s-h2ogpt\./, '')));
    expect(exported.filter((name) => !types.has(name))).toEqual([]);
    expect(exported).not.toContain('H2OGPT_COMMAND');
    expect(exported).not.toContain('profileOf');
    expect(exported).not.toContain('withFieldPrefix');
  });

  test('API.md is what jsii-docgen writes from the current assembly', () => {
    const fresh = join(work, 'API.md');
    const result = run(join(ROOT, 'node_modules', '.bin', 'jsii-docgen'), ['--output', fresh], ROOT);
    expect(result.stderr).toBe('');
    expect(readFileSync(join(ROOT, 'API.md'), 'utf8') === readFileSync(fresh, 'utf8')
      ? 'current' : 'API.md is stale: run npm run docgen and commit it').toBe('current');
  });
});

describe('package.json', () => {
  test('a library: entry points in lib/, cdk8s as peers, dev tools out of dependencies, the YAML readers bundled', () => {
    expect(pkg.main).toBe('lib/index.js');
    expect(pkg.types).toBe('lib/index.d.ts');
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual(['cdk8s', 'cdk8s-plus-28', 'constructs']);
    // The YAML readers, mvdan/sh's shell parser for `check`'s model of init containers, and an edit distance for "did you mean".
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['fastest-levenshtein', 'js-yaml', 'mvdan-sh', 'yaml']);
    expect([...pkg.bundleDependencies].sort()).toEqual(['fastest-levenshtein', 'js-yaml', 'mvdan-sh', 'yaml']); // npm's spelling; npm install rewrites the other
    for (const tool of ['cdk8s-cli', 'jest', 'jsii', 'jsii-docgen', 'esbuild', '@aws-cdk/lambda-layer-kubectl-v30']) expect(pkg.devDependencies[tool]).toBeDefined();
    for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) expect(`${name}@${version}`).toMatch(/@\d+\.\d+\.\d+$/);
  });

  test('publishable: license file, changelog, repository links, build on pack rather than on install', () => {
    expect(pkg.license).toBe('Apache-2.0');
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toContain('Apache License\n                           Version 2.0');
    expect(readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8')).toContain(`## [${pkg.version}]`);
    expect(pkg.repository.url).toMatch(/^https:\/\//);
    expect(pkg.homepage).toBeDefined();
    expect(pkg.bugs.url).toBeDefined();
    expect(pkg.scripts.prepare).toBeUndefined();
    expect(pkg.scripts.prepack).toBe('npm run build');
  });
});

describe('a fresh cdk8s app that installs the packed tarball', () => {
  let app: string;

  beforeAll(() => {
    // The library and its peers as a user's app gets them (test/support/fresh-app.ts).
    const packed = run('npm', packArgs(work), ROOT);
    expect(packed.status).toBe(0);
    const [tarball, ...peers] = JSON.parse(packed.stdout).map((p: { filename: string }) => join(work, p.filename));
    expect(tarball).toBe(join(work, `cdk8s-h2ogpt-${pkg.version}.tgz`));
    expect(peers).toHaveLength(PEERS.length);
    app = join(work, 'app');
    makeFreshApp(app);
    const installed = run('npm', installArgs([tarball, ...peers]), app);
    expect(installed.stderr).not.toMatch(/ERR!/);
    expect(installed.status).toBe(0);
  }, 120_000);

  test('the tarball holds the library, the assembly and its docs, and no sources or tests', () => {
    const installedRoot = join(app, 'node_modules', 'cdk8s-h2ogpt');
    for (const file of ['lib/index.js', 'lib/index.d.ts', 'lib/startup/wait-for-upstream.sh', '.jsii', 'API.md', 'LICENSE', 'CHANGELOG.md', 'bin/cdk8s-h2ogpt.js',
      'lib/bundle/cli.js', 'lib/bundle/synth-command.js', 'lib/bundle/check-command.js', 'lib/bundle/wait-for-upstream.sh']) {
      expect(existsSync(join(installedRoot, file))).toBe(true);
    }
    expect(existsSync(join(installedRoot, 'node_modules', 'yaml'))).toBe(true); // bundled
    expect(existsSync(join(installedRoot, 'node_modules', 'js-yaml'))).toBe(true);
    expect(existsSync(join(installedRoot, 'node_modules', 'mvdan-sh'))).toBe(true); // check's shell parser
    expect(readdirSync(installedRoot)).not.toContain('src');
    expect(readdirSync(installedRoot)).not.toContain('test');
  });

  test('two stacks with different meshes in one chart, an external vLLM, and a foreign pod checked only when asked', () => {
    writeFileSync(join(app, 'main.js'), `
const { App, Chart } = require('cdk8s');
const { k8s } = require('cdk8s-plus-28');
const { Errors, H2oGpt, H2oGptStack, MeshMode, StartupCheck, VllmEndpoint } = require('cdk8s-h2ogpt');

const legacy = (chart) => new k8s.KubeDeployment(chart, 'legacy', {
  metadata: { name: 'legacy' },
  spec: { selector: { matchLabels: { app: 'legacy' } }, template: { metadata: { labels: { app: 'legacy' } }, spec: {
    initContainers: [{ name: 'wait', image: 'busybox:1.36', command: ['sh', '-c', 'until wget -q -O- http://api:8080/; do sleep 5; done'] }],
    containers: [{ name: 'app', image: 'example/app:1.0' }] } } },
});

const app = new App({ outdir: process.argv[2] });
const chart = new Chart(app, 'platform', { namespace: 'ai', disableResourceNameHashes: true });
new H2oGptStack(chart, 'plain', { name: 'plain', mesh: MeshMode.none(), vllm: { model: 'Qwen/Qwen2.5-1.5B-Instruct' } });
const meshed = new H2oGptStack(chart, 'meshed', { name: 'meshed', mesh: MeshMode.istioSidecar(), vllm: { model: 'Qwen/Qwen2.5-1.5B-Instruct' } });
const front = new H2oGpt(chart, 'external', { name: 'external', vllm: VllmEndpoint.fromUrl('http://models.example.svc:8000', { servedModelName: 'qwen' }) });
legacy(chart);
app.synth();
console.log(JSON.stringify({ strategy: meshed.startupStrategy, url: front.url }));

const strict = new App({ outdir: process.argv[3] });
const other = new Chart(strict, 'other');
legacy(other);
StartupCheck.addToChart(other, MeshMode.istioSidecar());
try { strict.synth(); console.log('no error'); } catch (error) { console.log(JSON.stringify(Errors.inspect(error) ?? { message: error.message })); }
`);
    const result = run(process.execPath, ['main.js', join(app, 'out'), join(app, 'strict')], app);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const [first, second] = result.stdout.trim().split('\n');
    expect(JSON.parse(first)).toEqual({ strategy: 'in-app-wait', url: 'http://external.ai.svc:7860' });
    const manifest = readFileSync(join(app, 'out', 'platform.k8s.yaml'), 'utf8');
    for (const name of ['name: plain-vllm', 'name: meshed-vllm', 'name: legacy', 'value: vllm_chat:models.example.svc:8000', 'WAIT_URL']) expect(manifest).toContain(name);
    // The chart-wide check fails synthesis on the foreign pod, with the construct path and a fix.
    // cdk8s wraps validation failures in its own message, which is not one of the library's errors.
    const failure = JSON.parse(second).message;
    expect(failure).toMatch(/^Validation failed with the following errors:\n {2}\[other\] Deployment "legacy" \(construct other\/legacy\): init container "wait" deadlocks under Istio sidecar with istio-cni.*Fix:/);
    expect(existsSync(join(app, 'strict')) ? readdirSync(join(app, 'strict')) : []).toEqual([]); // nothing written
  });

  test('its CLI runs from the installed package, bundled, with no peer of its own needed', () => {
    const bin = join(app, 'node_modules', '.bin', 'cdk8s-h2ogpt');
    const version = run(bin, ['--version'], app);
    expect(version.stdout.trim()).toBe(pkg.version);
    const synth = run(bin, ['synth', '--mesh', 'istio-sidecar', '--out', join(app, 'cli-out')], app);
    expect(synth.status).toBe(0);
    expect(synth.stdout).toContain('startup strategy: in-app-wait');
    expect(readFileSync(join(app, 'cli-out', 'h2ogpt.k8s.yaml'), 'utf8')).toContain('kind: Deployment');
    // check parses a script with the shell parser bundled beside the library.
    writeFileSync(join(app, 'pod.yaml'), 'kind: Pod\nmetadata: {name: p}\nspec:\n  initContainers: [{name: w, image: busybox:1.36, command: [sh, -c, "until nc -z db 5432; do sleep 1; done"]}]\n  containers: [{name: a, image: b:1}]\n');
    const checked = run(bin, ['check', 'pod.yaml', '--mesh', 'istio-sidecar'], app);
    expect([checked.status, checked.stderr]).toEqual([1, '']);
    expect(checked.stdout).toContain('waits on db:5432 (inferred from nc)');
    const refused = run(bin, ['synth', '--name', 'Bad_Name'], app);
    expect([refused.status, refused.stderr]).toEqual([2, expect.stringMatching(/^cdk8s-h2ogpt synth: Invalid --name: "Bad_Name"\./)]);
  });

  test('its types serve a TypeScript app', () => {
    writeFileSync(join(app, 'typed.ts'), `
import { Chart, Testing } from 'cdk8s';
import { H2oGptStack, IVllmEndpoint, MeshMode, StartupPlanner, StartupStrategy, VllmEndpoint } from 'cdk8s-h2ogpt';
const endpoint: IVllmEndpoint = VllmEndpoint.fromUrl('http://m:8000', { servedModelName: 'm' });
const strategy: StartupStrategy = StartupPlanner.auto(MeshMode.linkerdSidecar());
new H2oGptStack(new Chart(Testing.app(), 'c'), 's', { vllm: { model: 'm', env: {} }, h2ogpt: { replicas: 1 } });
export { endpoint, strategy };
`);
    const result = run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict', '--skipLibCheck', '--module', 'commonjs', '--target', 'ES2022', '--moduleResolution', 'node', 'typed.ts'], app);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
