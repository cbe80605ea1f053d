import { existsSync, readdirSync, readFileSync } from 'fs';
import { dirname, join } from 'path';
import { load } from 'js-yaml';
import { analyzeObjects, MeshMode, MtlsMode, readManifests } from '../../src/internal';

/** The hand-labelled corpus (test/fixtures/real-world/README.md) scored against `check`. */
export const CORPUS_DIR = corpusDir(__dirname);

/** The corpus folder of the repository this file is in, whether it runs from test/ or from a build of it. */
function corpusDir(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'test', 'fixtures', 'real-world');
    if (existsSync(join(candidate, 'README.md'))) return candidate;
  }
  throw new Error(`no test/fixtures/real-world above ${from}`);
}

/** The modes the labels are for: `cni` under the first two, `nocni` under the last two. */
export const CORPUS_MODES: ReadonlyArray<{ readonly label: string; readonly truth: 'cni' | 'nocni'; readonly mesh: MeshMode }> = [
  { label: 'Istio sidecar with CNI, STRICT', truth: 'cni', mesh: MeshMode.istioSidecar({ cni: true, mtls: MtlsMode.STRICT }) },
  { label: 'Linkerd with CNI, STRICT', truth: 'cni', mesh: MeshMode.linkerdSidecar({ cni: true, mtls: MtlsMode.STRICT }) },
  { label: 'Istio sidecar without CNI, STRICT', truth: 'nocni', mesh: MeshMode.istioSidecar({ cni: false, mtls: MtlsMode.STRICT }) },
  { label: 'Linkerd without CNI, STRICT', truth: 'nocni', mesh: MeshMode.linkerdSidecar({ cni: false, mtls: MtlsMode.STRICT }) },
];

export interface LabelledInit {
  readonly file: string;
  readonly workload: string;
  readonly name: string;
  readonly destination: string;
  readonly cni: string;
  readonly nocni: string;
  readonly reason: string;
}

export interface CorpusCase {
  readonly file: string;
  readonly project: string;
  readonly source: { repository: string; path: string; commit: string; how: string };
  readonly inits: LabelledInit[];
}

/** Every case: its manifest's file name, where it came from, and its labels. */
export function corpusCases(): CorpusCase[] {
  return readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.expected.yaml')).sort().map((expectedFile) => {
    const file = expectedFile.replace(/\.expected\.yaml$/, '.yaml');
    const expected = load(readFileSync(join(CORPUS_DIR, expectedFile), 'utf8')) as any;
    const inits: LabelledInit[] = (expected.pods ?? []).flatMap((pod: any) => (pod.initContainers ?? []).map((c: any) => ({
      file, workload: String(pod.workload), name: String(c.name), destination: String(c.destination), cni: String(c.cni), nocni: String(c.nocni), reason: String(c.reason ?? ''),
    })));
    return { file, project: String(expected.source?.repository ?? ''), source: expected.source, inits };
  });
}

export interface ModeScore {
  readonly label: string;
  readonly truth: 'cni' | 'nocni';
  /** The verdict the labels name as blocking in this mode: deadlock (CNI) or fails (no CNI). */
  readonly positive: 'deadlock' | 'fails';
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly falseNegatives: number;
  readonly unknown: number;
  readonly total: number;
  readonly precision: number;
  readonly recall: number;
  /** Each init container whose verdict disagrees with its label: file, container, label, verdict, reason. */
  readonly misses: string[];
  /** Blocking verdicts given for destinations outside the mesh (external, the API, metadata). */
  readonly outsideMeshFailures: string[];
}

/** Runs `check`'s analysis over the corpus in each mode and scores it against the labels. */
export function scoreCorpus(): { cases: CorpusCase[]; scores: ModeScore[] } {
  const cases = corpusCases();
  const scores = CORPUS_MODES.map(({ label, truth, mesh }) => {
    let tp = 0; let fp = 0; let fn = 0; let unknown = 0; let total = 0;
    const misses: string[] = [];
    const outsideMeshFailures: string[] = [];
    const positive = truth === 'cni' ? 'deadlock' : 'fails';
    for (const c of cases) {
      const objects = readManifests(readFileSync(join(CORPUS_DIR, c.file), 'utf8'), c.file);
      const pods = analyzeObjects(objects, mesh).pods;
      for (const init of c.inits) {
        const [kind, name] = init.workload.split('/');
        const pod = pods.find((p) => p.kind === kind && p.name === name);
        const finding = pod?.initContainers.find((f) => f.name === init.name);
        if (!finding) throw new Error(`${c.file}: no init container ${init.workload}/${init.name} in the manifest`);
        total++;
        const expected = truth === 'cni' ? init.cni : init.nocni;
        const predicted = finding.verdict === positive;
        const actual = expected === positive;
        if (finding.verdict === 'unknown') unknown++;
        if (predicted && actual) tp++;
        if (predicted && !actual) fp++;
        if (!predicted && actual) fn++;
        if (predicted !== actual) misses.push(`${c.file} ${init.name}: labelled ${expected}, found ${finding.verdict}: ${finding.reason}`);
        if (positive === 'fails' && finding.verdict === 'fails' && ['external', 'kubernetes-api', 'metadata'].includes(init.destination)) {
          outsideMeshFailures.push(`${c.file} ${init.name} (${init.destination})`);
        }
      }
    }
    return {
      label, truth, positive, truePositives: tp, falsePositives: fp, falseNegatives: fn, unknown, total,
      precision: tp + fp === 0 ? 1 : tp / (tp + fp), recall: tp + fn === 0 ? 1 : tp / (tp + fn), misses, outsideMeshFailures,
    } as ModeScore;
  });
  return { cases, scores };
}
