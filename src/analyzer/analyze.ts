import { MeshMode } from '../mesh/mesh-mode';
import { InputContext } from './input-context';
import { manifestObjects, namespaceObjects, scriptSourceObjects, SourcedObject } from './manifest-reader';
import { analyzePod, blocksStartup, InitContainerFinding, NamespaceContext, PodFinding, PodInput, TimelineStep, Verdict } from './startup-model';

/** What the analyzer found in a set of manifests. */
export interface StartupReport {
  readonly mesh: MeshMode;
  readonly pods: PodFinding[];
  /** Whether any pod would deadlock or fail. */
  readonly failed: boolean;
}

/** The kinds that hold pod templates: every other kind has no pods to start (podTemplates). */
export const POD_TEMPLATE_KINDS: ReadonlySet<string> = new Set(['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob']);

/** The pod templates of one object, when its kind is one of POD_TEMPLATE_KINDS. */
export function podTemplates(object: any, source?: string): PodInput[] {
  const kind = object?.kind;
  let specPath: string;
  let template: any;
  switch (kind) {
    case 'Pod':
      specPath = 'spec';
      template = object;
      break;
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
      specPath = 'spec.template.spec';
      template = object.spec?.template;
      break;
    case 'CronJob':
      specPath = 'spec.jobTemplate.spec.template.spec';
      template = object.spec?.jobTemplate?.spec?.template;
      break;
    case 'LeaderWorkerSet':
      return leaderWorkerSetTemplates(object, source);
    default:
      return []; // other kinds have no pods to start
  }
  if (!template?.spec) return [];
  return [{ kind, name: object.metadata?.name ?? '(unnamed)', namespace: object.metadata?.namespace, source, specPath, metadata: template.metadata ?? {}, spec: template.spec }];
}

/**
 * A LeaderWorkerSet's two pod templates (kubernetes-sigs/lws): the leader's, which is the
 * worker's when absent, and the workers'. Both are named after the set; the path tells them apart.
 */
function leaderWorkerSetTemplates(object: any, source: string | undefined): PodInput[] {
  const templates = object.spec?.leaderWorkerTemplate;
  const base = 'spec.leaderWorkerTemplate';
  const found = [
    ...(templates?.leaderTemplate?.spec ? [{ specPath: `${base}.leaderTemplate.spec`, template: templates.leaderTemplate }] : []),
    ...(templates?.workerTemplate?.spec ? [{ specPath: `${base}.workerTemplate.spec`, template: templates.workerTemplate }] : []),
  ];
  return found.map(({ specPath, template }) => ({
    kind: 'LeaderWorkerSet', name: object.metadata?.name ?? '(unnamed)', namespace: object.metadata?.namespace, source, specPath,
    metadata: template.metadata ?? {}, spec: template.spec,
  }));
}

/** Checks every pod template in `objects` for startup under `mesh`. */
export function analyzeObjects(objects: SourcedObject[], mesh: MeshMode): StartupReport {
  const namespaces = namespaceContexts(objects);
  const input = new InputContext();
  for (const { object } of objects) input.add(object);
  const pods = objects.flatMap(({ object, source }) => analyzeObject(object, source, mesh, namespaces, input));
  return { mesh, pods, failed: pods.some((p) => blocksStartup(p.verdict)) };
}

/** One manifest stream: its text and where it came from. */
export interface ManifestText {
  readonly text: string;
  readonly source: string;
}

/**
 * Checks the pods of manifest streams one document at a time: Namespaces are read first (a
 * pod's may come later, or in another file), then each object is analyzed, its pods yielded and
 * the object dropped. The generator returns how many objects it read. Throws a ManifestError on
 * unreadable input, when it reaches it.
 */
export function* analyzeManifests(inputs: ManifestText[], mesh: MeshMode): Generator<PodFinding, number, void> {
  const namespaces = namespaceContexts(inputs.flatMap(({ text, source }) => namespaceObjects(text, source)));
  const input = new InputContext();
  for (const { text, source } of inputs) for (const { object } of scriptSourceObjects(text, source)) input.add(object);
  let objectCount = 0;
  for (const { text, source } of inputs) {
    for (const { object } of manifestObjects(text, source)) {
      objectCount++;
      yield* analyzeObject(object, source, mesh, namespaces, input);
    }
  }
  return objectCount;
}

function namespaceContexts(objects: SourcedObject[]): Map<string, NamespaceContext> {
  const namespaces = new Map<string, NamespaceContext>();
  for (const { object } of objects) {
    if (object?.kind === 'Namespace' && object.metadata?.name) {
      namespaces.set(object.metadata.name, { name: object.metadata.name, labels: object.metadata.labels, annotations: object.metadata.annotations });
    }
  }
  return namespaces;
}

function analyzeObject(object: any, source: string, mesh: MeshMode, namespaces: Map<string, NamespaceContext>, input: InputContext): PodFinding[] {
  return podTemplates(object, source).map((pod) => analyzePod(pod, mesh, namespaces.get(pod.namespace ?? '') ?? {}, input.podContext(pod.spec, pod.namespace)));
}

/** Each init container that keeps its pod from starting, with its pod. */
export function blockingFindings(report: StartupReport): Array<{ pod: PodFinding; finding: InitContainerFinding }> {
  return report.pods.flatMap((pod) => pod.initContainers.filter((f) => blocksStartup(f.verdict)).map((finding) => ({ pod, finding })));
}

/** One line on a blocking init container, shared by the synth-time check and the plugin. */
export function describeBlocking(finding: InitContainerFinding, mesh: MeshMode): string {
  return `init container "${finding.name}" ${finding.verdict === Verdict.DEADLOCK ? 'deadlocks' : 'fails'} under ${mesh.describe()}: ${finding.reason}`;
}

/** One pod as the CLI's JSON prints it. */
function podJson(p: PodFinding): object {
  return {
    kind: p.kind,
    name: p.name,
    namespace: p.namespace ?? null,
    specPath: p.specPath,
    verdict: p.verdict,
    reason: p.reason,
    source: p.source ?? null,
    initContainers: p.initContainers.map((c) => ({ name: c.name, network: c.network, verdict: c.verdict, reason: c.reason, inferred: c.inferred, ...(c.fix ? { fix: c.fix } : {}) })),
    timeline: p.timeline.map((s) => ({ name: s.name, role: s.role, reached: s.reached, note: s.note })),
  };
}

/**
 * The report as the CLI's JSON: `{"mesh","pods":[{"kind","name","namespace","specPath","verdict","initContainers":[...]}],"notes":[...]}`;
 * each distinct caveat once, in `notes`.
 */
export function reportJson(report: StartupReport): object {
  return { mesh: report.mesh.describe(), pods: report.pods.map(podJson), notes: reportNotes(report.pods) };
}

/** Each distinct caveat of the pods, once, in the order first met. */
function reportNotes(pods: PodFinding[]): string[] {
  return [...new Set(pods.flatMap((p) => (p.caveat ? [p.caveat] : [])))];
}

const LABEL: Record<Verdict, string> = { ok: 'OK', slow: 'SLOW', unknown: 'UNKNOWN', fails: 'FAILS', deadlock: 'DEADLOCK' };

const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/**
 * A string from a manifest, safe to print on a terminal: control characters (ESC of an ANSI
 * sequence, CR, a newline that would forge a report line) and Unicode's bidirectional overrides
 * are written as escapes. JSON output escapes them by itself.
 */
export function printable(text: unknown): string {
  const s = String(text);
  if (!UNPRINTABLE.test(s)) return s;
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

function stepLine(step: TimelineStep, i: number, show: (text: unknown) => string): string {
  const role = STEP_ROLES[step.role];
  const network = step.network ? `, ${step.network}` : '';
  const verdict = step.verdict && step.verdict !== Verdict.OK ? `  ${LABEL[step.verdict]}` : '';
  const reached = step.reached ? '' : '  (not reached)';
  return `  ${i + 1}. ${show(step.name)} [${role}${network}]${verdict}${reached}\n     ${show(step.note)}`;
}

const STEP_ROLES: Record<TimelineStep['role'], string> = { 'mesh-init': 'mesh init', 'proxy': 'proxy', 'init': 'init', 'native-sidecar': 'native sidecar', 'app': 'app' };

/** One pod's block of the text report, ending with a blank line. */
function podText(pod: PodFinding): string {
  // Most pods hold nothing to escape: build the block as is, and escape piece by piece only when
  // it shows a control character, or more line breaks than its lines make.
  const lines = podLines(pod, String);
  const block = lines.join('\n');
  if (UNPRINTABLE_BUT_NEWLINE.test(block) || lineBreaks(block) !== lines.length - 1 + pod.timeline.length) return `${podLines(pod, printable).join('\n')}\n\n`;
  return `${block}\n\n`;
}

const UNPRINTABLE_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

function lineBreaks(text: string): number {
  let count = 0;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) count++;
  return count;
}

/** The lines of a pod's block (each timeline step is two), each string from the manifest passed through `show`. */
function podLines(pod: PodFinding, show: (text: unknown) => string): string[] {
  const where = show(pod.namespace ? `${pod.namespace}/${pod.name}` : pod.name);
  // A kind with two pod templates (a LeaderWorkerSet's leader and workers) names the one meant.
  const template = /\.(leaderTemplate|workerTemplate)\.spec$/.exec(pod.specPath)?.[1];
  const lines = [`${show(pod.kind)} ${where}${template ? ` (${template})` : ''}: ${LABEL[pod.verdict]}${pod.source ? `  (${show(pod.source)})` : ''}`];
  // A pod-level reason that no step already shows (e.g. a pod that does not wait at all).
  if (pod.verdict !== Verdict.OK && !pod.timeline.some((s) => s.note === pod.reason)) lines.push(`  ${show(pod.reason)}`);
  pod.timeline.forEach((step, i) => {
    lines.push(stepLine(step, i, show));
    const next = pod.timeline[i + 1];
    if (step.reached && next && !next.reached) lines.push('     ^ startup stops here');
  });
  for (const f of pod.initContainers) if (f.fix) lines.push(`  fix: ${show(f.fix)}`);
  return lines;
}

/**
 * Writes a report as it is found, one pod at a time, in the CLI's text or JSON form: the same
 * bytes `reportText` and `JSON.stringify(reportJson(...), null, 2)` give for the whole report,
 * without holding the pods.
 */
export class ReportWriter {
  private readonly counts: Record<Verdict, number> = { ok: 0, slow: 0, unknown: 0, fails: 0, deadlock: 0 };
  private pods = 0;
  private readonly notes = new Set<string>();

  public constructor(private readonly mesh: MeshMode, private readonly format: 'text' | 'json', private readonly write: (chunk: string) => void) {}

  /** Whether any pod written so far would deadlock or fail. */
  public get failed(): boolean {
    return this.counts.deadlock + this.counts.fails > 0;
  }

  /** How many pods written so far have an init container check cannot judge. */
  public get unknown(): number {
    return this.counts.unknown;
  }

  public pod(pod: PodFinding): void {
    if (this.pods === 0) {
      this.write(this.format === 'json' ? `{\n  "mesh": ${JSON.stringify(this.mesh.describe())},\n  "pods": [\n` : `mesh: ${this.mesh.describe()}\n\n`);
    }
    if (this.format === 'json') {
      this.write(`${this.pods > 0 ? ',\n' : ''}${JSON.stringify(podJson(pod), null, 2).replace(/^/gm, '    ')}`);
    } else {
      this.write(podText(pod));
    }
    this.pods++;
    this.counts[pod.verdict]++;
    if (pod.caveat) this.notes.add(pod.caveat);
  }

  public end(): void {
    const notes = [...this.notes];
    if (this.format === 'json') {
      if (this.pods === 0) {
        this.write(`${JSON.stringify({ mesh: this.mesh.describe(), pods: [], notes }, null, 2)}\n`);
      } else {
        this.write(`\n  ],\n  "notes": ${JSON.stringify(notes, null, 2).replace(/\n/g, '\n  ')}\n}\n`);
      }
      return;
    }
    if (this.pods === 0) this.write(`mesh: ${this.mesh.describe()}\n\n`);
    for (const note of notes) this.write(`note: ${printable(note)}\n`);
    const c = this.counts;
    this.write(`${this.pods} pod(s) checked: ${c.deadlock} deadlock, ${c.fails} fails, ${c.unknown} unknown, ${c.slow} slow, ${c.ok} ok\n`);
  }
}

/** The report as text: per pod, its modelled startup timeline, and where it stops. */
export function reportText(report: StartupReport): string {
  const chunks: string[] = [];
  const writer = new ReportWriter(report.mesh, 'text', (chunk) => chunks.push(chunk));
  report.pods.forEach((pod) => writer.pod(pod));
  writer.end();
  return chunks.join('');
}
