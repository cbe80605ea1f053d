import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

// The README's "Use it in your own cdk8s app" example must compile and synthesize as printed.
const README = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');

test('the README quick start is exactly the two documented commands', () => {
  const quickStart = README.slice(README.indexOf('## Quick start'), README.indexOf('\n## ', README.indexOf('## Quick start') + 1));
  const commands = quickStart.slice(quickStart.indexOf('```sh') + 5, quickStart.indexOf('```', quickStart.indexOf('```sh') + 5))
    .trim().split('\n').map((line) => line.replace(/#.*$/, '').trim());
  expect(commands).toEqual(['npm ci && npm run synth', 'npm test']);
});

test('the README library example runs against the library', () => {
  const section = README.slice(README.indexOf('## Use it in your own cdk8s app'));
  const start = section.indexOf('```ts\n') + 6;
  const code = section.slice(start, section.indexOf('```', start)).replace(/from 'cdk8s-h2ogpt'/g, "from '../src'");
  const file = join(__dirname, `.readme-example-${process.pid}.ts`);
  const outdir = mkdtempSync(join(tmpdir(), 'cdk8s-h2ogpt-readme-'));
  const saved = process.env.CDK8S_OUTDIR;
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  writeFileSync(file, code);
  try {
    process.env.CDK8S_OUTDIR = outdir;
    jest.isolateModules(() => require(file)); // eslint-disable-line @typescript-eslint/no-require-imports
    expect(readdirSync(outdir)).toEqual(['chat.k8s.yaml']);
    const manifest = readFileSync(join(outdir, 'chat.k8s.yaml'), 'utf8');
    expect(manifest).toContain('priorityClassName: chat');
    expect(manifest).toContain('cdk8s-h2ogpt.io/startup-strategy: in-app-wait');
    expect(log).toHaveBeenCalledWith('http://chat-vllm.ai.svc:8000', 'in-app-wait', expect.stringMatching(/^auto: Istio sidecar/));
  } finally {
    log.mockRestore();
    rmSync(file, { force: true });
    rmSync(outdir, { recursive: true, force: true });
    if (saved === undefined) delete process.env.CDK8S_OUTDIR;
    else process.env.CDK8S_OUTDIR = saved;
  }
});
