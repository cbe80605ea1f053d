import { spawnSync } from 'child_process';
import { join } from 'path';

// Jest's transform (@swc/jest) only strips types, so nothing else type-checks the tests, their
// support code and the benchmarks (jsii checks src/ in the build). Incremental: a warm run takes about
// a second, a cold one about five.
test('the tests, their support code and the benchmarks type-check (tsc --noEmit -p test)', () => {
  const root = join(__dirname, '..');
  const result = spawnSync(process.execPath, [
    join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(__dirname, 'tsconfig.json'),
    '--incremental', '--tsBuildInfoFile', join(root, '.tmp', 'test.tsbuildinfo'),
  ], { encoding: 'utf8', cwd: root });
  expect(result.stdout + result.stderr).toBe('');
  expect(result.status).toBe(0);
}, 60_000);
