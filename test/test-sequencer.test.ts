import { existsSync } from 'fs';
import { join } from 'path';

// The suite's own ordering (test/support/slowest-first-sequencer.js): the committed durations put
// the longest files first even when Jest's cache is empty, as on CI's clean clone.

// eslint-disable-next-line @typescript-eslint/no-require-imports
const SlowestFirstSequencer = require('./support/slowest-first-sequencer.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const durations: { seconds: Record<string, number> } = require('./support/test-durations.json');

const ROOT = join(__dirname, '..');
/** A test file as Jest hands it to a sequencer, with no cache and every file the same size. */
const testFile = (relativePath: string) => ({
  path: join(ROOT, relativePath),
  context: { config: { rootDir: ROOT, cache: false, id: 'sequencer-test' }, hasteFS: { getSize: () => 100 } },
});

test('with an empty cache, the committed durations order the files, longest first; a file with none runs first', () => {
  const order = new SlowestFirstSequencer().sort([
    testFile('test/mesh-mode.test.ts'), testFile('test/waiter-busybox-faults.test.ts'), testFile('test/brand-new.test.ts'), testFile('test/kernel.test.ts'),
  ]).map((t: { path: string }) => t.path.slice(ROOT.length + 1));
  const known = ['test/mesh-mode.test.ts', 'test/waiter-busybox-faults.test.ts', 'test/kernel.test.ts']
    .sort((a, b) => durations.seconds[b] - durations.seconds[a]);
  expect(order).toEqual(['test/brand-new.test.ts', ...known]);
  // The waiter suites are four-line files that spend seconds in real timeouts: by size they ran last.
  expect(order.indexOf('test/waiter-busybox-faults.test.ts')).toBeLessThan(order.indexOf('test/mesh-mode.test.ts'));
});

test('the committed durations name only test files that exist', () => {
  expect(Object.keys(durations.seconds).filter((file) => !existsSync(join(ROOT, file)))).toEqual([]);
});
