import { runBench } from '../bench/scale';

// `npm run bench` is not part of CI (it takes minutes and its figures need a quiet machine), so
// this runs it at tiny sizes: every measurement path still runs end to end and cannot rot.
test('the scale benchmark runs end to end at tiny sizes and reports every table', () => {
  const markdown = runBench(['--smoke']);
  expect(markdown).toMatch(/^Run \d{4}-\d\d-\d\dT.* with `npm run bench` -- --smoke\./);
  expect(markdown).toMatch(/\| 3 \| \d+ \| [\d.]+ \| \d+ \|/); // synthesis of 3 stacks, with peak memory
  expect(markdown).toMatch(/\| 200 \| [\d.]+ \| \d+ \| \d+ \| [\d.]+ \| \d+ \| \d+ \|/); // check of 200 pods against its floor
  expect(markdown).toMatch(/\| 400 \(once\) \|/);
  expect(markdown).toMatch(/Worst check \/ floor from 50 pods up: \*\*[\d.]+\*\*/);
  expect(markdown).toMatch(/\| helm template \(the default stack's chart\) \| \d+ \| 1\.00 \|/);
  expect(markdown).toMatch(/CLI synth \/ helm template: \*\*[\d.]+\*\*/);
}, 120_000);
