import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseAllDocuments } from 'yaml';

// The README's examples must compile and synthesize as printed, and its commands run as written.
const README = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');

let examples = 0;
/**
 * Runs the first TypeScript example under `heading` as printed (importing the library from src/)
 * and returns the files it wrote and the manifest of its chart "chat".
 */
function runExample(heading: string): { files: string[]; manifest: string } {
  const section = README.slice(README.indexOf(heading));
  const start = section.indexOf('```ts\n') + 6;
  const code = section.slice(start, section.indexOf('```', start)).replace(/from 'cdk8s-h2ogpt'/g, "from '../src'");
  // A file name of its own: jest caches a module by its path.
  const file = join(__dirname, `.readme-example-${process.pid}-${++examples}.ts`);
  const outdir = mkdtempSync(join(tmpdir(), 'cdk8s-h2ogpt-readme-example-'));
  const saved = process.env.CDK8S_OUTDIR;
  writeFileSync(file, code);
  try {
    process.env.CDK8S_OUTDIR = outdir;
    jest.isolateModules(() => require(file)); // eslint-disable-line @typescript-eslint/no-require-imports
    return { files: readdirSync(outdir), manifest: readFileSync(join(outdir, 'chat.k8s.yaml'), 'utf8') };
  } finally {
    process.env.CDK8S_OUTDIR = saved;
    if (saved === undefined) delete process.env.CDK8S_OUTDIR;
    rmSync(file, { force: true });
    rmSync(outdir, { recursive: true, force: true });
  }
}

test('the README quick start is exactly the two documented commands', () => {
  const quickStart = README.slice(README.indexOf('## Quick start'), README.indexOf('\n## ', README.indexOf('## Quick start') + 1));
  const commands = quickStart.slice(quickStart.indexOf('```sh') + 5, quickStart.indexOf('```', quickStart.indexOf('```sh') + 5))
    .trim().split('\n').map((line) => line.replace(/#.*$/, '').trim());
  expect(commands).toEqual(['npm ci && npm run synth', 'npm test']);
});

test('the README library example runs against the library', () => {
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    const { files, manifest } = runExample('## Use it in your own cdk8s app');
    expect(files).toEqual(['chat.k8s.yaml']);
    expect(manifest).toContain('priorityClassName: chat');
    expect(manifest).toContain('revisionHistoryLimit: 3');
    expect(manifest).toContain('kind: DestinationRule');
    expect(manifest).toContain('name: VLLM_LOGGING_LEVEL');
    expect(manifest).toContain('cdk8s-h2ogpt.io/startup-strategy: in-app-wait');
    expect(log).toHaveBeenCalledWith('http://chat-vllm.ai.svc:8000', 'http://chat.ai.svc:7860', 'in-app-wait', expect.stringMatching(/^auto: Istio sidecar/));
    // This configuration's only warning: the default h2oGPT image is a tag (the example keeps it).
    expect(error.mock.calls).toEqual([[expect.stringMatching(/^warning: h2ogpt\.image is the tag .*\(chat\/stack\)$/)]]);
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
});

// The README's CLI commands (every `npx cdk8s-h2ogpt ...` line outside pipes from a cluster or a
// chart of your own), run as printed from a fresh folder, in document order; files the README
// names (the fixture, stack.yaml) are provided as the README describes them.
test('the README\'s cdk8s-h2ogpt commands work as written, top to bottom', () => {
  const { spawnSync } = require('child_process'); // eslint-disable-line @typescript-eslint/no-require-imports
  const root = join(__dirname, '..');
  const bin = join(root, 'bin', 'cdk8s-h2ogpt.js');
  const cwd = mkdtempSync(join(tmpdir(), 'cdk8s-h2ogpt-readme-cli-'));
  try {
    // Commands, with backslash continuations joined and trailing comments dropped.
    const lines = README.replace(/\\\n\s*/g, '').split('\n')
      .map((line) => line.replace(/^\$ /, '').replace(/\s+#.*$/, '').trim())
      .filter((line) => line.startsWith('npx cdk8s-h2ogpt '));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    // stack.yaml as the README prints it.
    const yaml = /```yaml\n# stack\.yaml[^\n]*\n([\s\S]*?)```/.exec(README)![1];
    writeFileSync(join(cwd, 'stack.yaml'), yaml);
    for (const line of lines) {
      const args = line.replace(/^npx cdk8s-h2ogpt /, '').split(/\s+/).map((a) => (a === 'test/fixtures/upstream-chart.yaml' ? join(root, a) : a));
      const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8' });
      // The check example documents exit 1 (a deadlock found); everything else succeeds.
      expect(`${line}: exit ${result.status} ${result.stderr}`).toBe(`${line}: exit ${args[0] === 'check' ? 1 : 0} ${result.stderr}`);
    }
    expect(readdirSync(join(cwd, 'dist')).sort()).toEqual(['chat', 'chat-chart', 'chat-from-file', 'chat-two-models']);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('the README\'s "Running it for real users" example synthesizes what the section describes', () => {
  const { manifest } = runExample('## Running it for real users');
  for (const kind of ['HTTPRoute', 'PodMonitor', 'PrometheusRule', 'ScaledObject', 'HorizontalPodAutoscaler', 'DestinationRule']) {
    expect(manifest).toContain(`kind: ${kind}\n`);
  }
  expect(manifest).toContain('H2OGPT_AUTH_ACCESS');
});

test('the README\'s "More than one model" example synthesizes one vLLM server per model, all in h2oGPT\'s model list', () => {
  const objects = parseAllDocuments(runExample('### More than one model').manifest).map((d) => d.toJS());
  const deployments = objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name);
  expect(deployments).toEqual(expect.arrayContaining(['chat', 'chat-vllm', 'chat-vllm-coder']));
  expect(objects.filter((o) => o.kind === 'PodMonitor').map((o) => o.metadata.name)).toEqual(['chat-vllm', 'chat-vllm-coder']);
  const h2ogpt = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'chat').spec.template.spec.containers[0];
  const lock = JSON.parse(h2ogpt.env.find((e: any) => e.name === 'H2OGPT_MODEL_LOCK').value);
  expect(lock.map((m: any) => m.base_model)).toEqual(['Qwen/Qwen2.5-7B-Instruct', 'Qwen/Qwen2.5-Coder-7B-Instruct']);
  // As the section says: a chain of in-app waiters under Linkerd's sidecar.
  expect(h2ogpt.command.filter((a: string) => a.startsWith('WAIT_URL='))).toEqual(['WAIT_URL=http://chat-vllm-coder.ai.svc:8001/health']);
});

// Issue #26: the README renders as written. A closing fence with text after it (``` It refuses
// ...) is no closing fence, and everything after it rendered as code.
describe('the README renders', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const MarkdownIt = require('markdown-it');

  const slug = (title: string) => title.toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-');
  /** The anchors of a Markdown file's headings, as GitHub makes them. */
  function anchorsOf(text: string): Set<string> {
    const tokens: any[] = new MarkdownIt().parse(text, {});
    const anchors = new Set<string>();
    tokens.forEach((t, i) => { if (t.type === 'heading_open') anchors.add(slug(tokens[i + 1].content)); });
    return anchors;
  }

  /**
   * Problems in how a Markdown file renders: headings swallowed by a fence, fences never closed,
   * links to no heading, in the page or in another Markdown file of the repository (`dir` is the
   * file's folder).
   */
  function renderProblems(text: string, dir = join(__dirname, '..')): string[] {
    const md = new MarkdownIt();
    const tokens: any[] = md.parse(text, {});
    const problems: string[] = [];
    const lines = text.split('\n');
    for (const token of tokens.filter((t) => t.type === 'fence')) {
      const inside = token.content.split('\n').find((line: string) => /^\s*```/.test(line));
      if (inside !== undefined) problems.push(`the fence opened at line ${token.map[0] + 1} takes in "${inside.trim().slice(0, 40)}", a fence line with text after it`);
      if (token.map[1] >= lines.length && !/^\s*```\s*$/.test(lines[lines.length - 1] ?? '')) problems.push(`the fence opened at line ${token.map[0] + 1} is never closed`);
    }
    const headings = anchorsOf(text);
    const links = new Set<string>();
    const collect = (list: any[]) => list.forEach((t) => {
      const href: string | undefined = t.type === 'link_open' ? t.attrGet('href') : undefined;
      if (href !== undefined && (href.startsWith('#') || /^[^:]+\.md#/.test(href))) links.add(href);
      if (t.children) collect(t.children);
    });
    collect(tokens);
    for (const link of links) {
      const [file, anchor] = link.split('#');
      const target = file === '' ? headings : existsSync(join(dir, file)) ? anchorsOf(readFileSync(join(dir, file), 'utf8')) : undefined;
      if (target === undefined) problems.push(`the link to ${link} names no file`);
      else if (!target.has(anchor)) problems.push(`the link to ${link} names no heading`);
    }
    return problems;
  }

  test('every fence closes, and every link in the page, or to a heading of another file, reaches it', () => {
    expect(renderProblems(README)).toEqual([]);
  });

  test('the docs render too, their links included', () => {
    const docs = join(__dirname, '..', 'docs');
    for (const file of readdirSync(docs).filter((f) => f.endsWith('.md'))) {
      expect([file, renderProblems(readFileSync(join(docs, file), 'utf8'), docs)]).toEqual([file, []]);
    }
  });

  test('the reference tables live in docs/reference.md, and the README stays short', () => {
    const reference = readFileSync(join(__dirname, '..', 'docs', 'reference.md'), 'utf8');
    for (const heading of ['Traffic policy per mode', 'Pod metadata per mode', 'Waiter variables', 'Metrics per mode', 'Kernel proof, the last run', 'Layout']) {
      expect(reference).toContain(`## ${heading}\n`);
    }
    expect(README).not.toContain('<!-- kernel-table:start');
    expect(README.split('\n').length).toBeLessThan(960);
  });

  test('the check fails on the defect the README had, and on a link to a heading that is gone', () => {
    const broken = README.replace(/```\n\nIt refuses an `--out`/, '``` It refuses an `--out`');
    expect(broken).not.toBe(README);
    expect(renderProblems(broken).some((p) => /takes in "``` It refuses an `--out`/.test(p))).toBe(true);
    expect(renderProblems(`${README}\nSee [nowhere](#no-such-heading).\n`)).toEqual(['the link to #no-such-heading names no heading']);
    expect(renderProblems(`${README}\nSee [there](docs/reference.md#no-such-table) and [gone](docs/gone.md#x).\n`))
      .toEqual(['the link to docs/reference.md#no-such-table names no heading', 'the link to docs/gone.md#x names no file']);
  });

  test('the short path for each reader links to sections that exist', () => {
    const start = README.slice(README.indexOf('Where to start'), README.indexOf('## Quick start'));
    expect(start.match(/\]\(#[^)]+\)/g)?.length).toBeGreaterThanOrEqual(8);
  });
});
