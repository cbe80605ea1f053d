// Scores `check` on the hand-labelled real-world corpus (test/fixtures/real-world/README.md), per
// mode: the same computation as test/real-world-corpus.test.ts, written for bench/README.md.
// `--update` writes the table into bench/README.md.
import { join } from 'path';
import { scoreCorpus } from '../test/support/real-world-corpus';
import { replaceReadmeSection } from './readme-section';

const { cases, scores } = scoreCorpus();
const templates = new Set(cases.flatMap((c) => c.inits.map((i) => `${c.file} ${i.workload}`))).size;
const inits = cases.reduce((n, c) => n + c.inits.length, 0);
const projects = new Set(cases.map((c) => c.project)).size;
const fmt = (x: number) => x.toFixed(2);
const lines = [
  `Run ${new Date().toISOString()}, Node ${process.version}, with \`npm run bench:corpus\`: ${templates} pod templates, ${inits} init containers, ${projects} projects.`,
  '',
  '| mode | verdict scored | labelled | found | precision | recall | unknown | "fails" outside the mesh |',
  '|---|---|---|---|---|---|---|---|',
  ...scores.map((s) => `| ${s.label} | ${s.positive} | ${s.truePositives + s.falseNegatives} | ${s.truePositives + s.falsePositives} | ${fmt(s.precision)} | ${fmt(s.recall)} | ${s.unknown} of ${s.total} (${Math.round((100 * s.unknown) / s.total)}%) | ${s.outsideMeshFailures.length} |`),
  '',
  'Goals (issue #24): in the CNI modes, precision at least 0.95 and recall at least 0.90 for "deadlock"; no "fails" for a destination '
    + 'outside the mesh; "unknown" at most 10% of the init containers. The corpus was labelled by hand from each command (and, for an '
    + 'image\'s own program, its source) by helper sessions that did not read the analyzer. The analyzer was then developed against it, '
    + 'so these are training numbers: an independent set is the real measure.',
  ...scores.flatMap((s) => (s.misses.length > 0 ? ['', `Misses under ${s.label}:`, '', ...s.misses.map((m) => `- ${m}`)] : [])),
];
const markdown = lines.join('\n');
if (process.argv.includes('--update')) replaceReadmeSection(join(__dirname, '..', '..', 'bench', 'README.md'), 'corpus', markdown);
process.stdout.write(`${markdown}\n`);
