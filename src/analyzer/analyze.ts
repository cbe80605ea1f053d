import { MeshMode } from '../mesh/mesh-mode';
import { SourcedObject } from './manifest-reader';
import { analyzePod, blocksStartup, InitContainerFinding, NamespaceContext, PodFinding, PodInput, TimelineStep, Verdict } from './startup-model';

/** What the analyzer found in a set of manifests. */
export interface StartupReport {
  readonly mesh: MeshMode;
  readonly pods: PodFinding[];
  /** Whether any pod would deadlock or fail. */
  readonly failed: boolean;
}

/** The pod templates of one object: Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob. */
export function podTemplates(object: any, source?: string): PodInput[] {
  const kind = object?.kind;
  const base = { kind, name: object?.metadata?.name ?? '(unnamed)', namespace: object?.metadata?.namespace, source };
  switch (kind) {
    case 'Pod':
      return object.spec ? [{ ...base, specPath: 'spec', metadata: object.metadata ?? {}, spec: object.spec }] : [];
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job': {
      const t = object.spec?.template;
      return t?.spec ? [{ ...base, specPath: 'spec.template.spec', metadata: t.metadata ?? {}, spec: t.spec }] : [];
    }
    case 'CronJob': {
      const t = object.spec?.jobTemplate?.spec?.template;
      return t?.spec ? [{ ...base, specPath: 'spec.jobTemplate.spec.template.spec', metadata: t.metadata ?? {}, spec: t.spec }] : [];
    }
    default:
      return []; // other kinds have no pods to start
  }
}

/** Checks every pod template in `objects` for startup under `mesh`. */
export function analyzeObjects(objects: SourcedObject[], mesh: MeshMode): StartupReport {
  const namespaces = new Map<string, NamespaceContext>();
  for (const { object } of objects) {
    if (object?.kind === 'Namespace' && object.metadata?.name) {
      namespaces.set(object.metadata.name, { name: object.metadata.name, labels: object.metadata.labels, annotations: object.metadata.annotations });
    }
  }
  const pods = objects.flatMap(({ object, source }) => podTemplates(object, source))
    .map((pod) => analyzePod(pod, mesh, namespaces.get(pod.namespace ?? '') ?? {}));
  return { mesh, pods, failed: pods.some((p) => blocksStartup(p.verdict)) };
}

/** Each init container that keeps its pod from starting, with its pod. */
export function blockingFindings(report: StartupReport): Array<{ pod: PodFinding; finding: InitContainerFinding }> {
  return report.pods.flatMap((pod) => pod.initContainers.filter((f) => blocksStartup(f.verdict)).map((finding) => ({ pod, finding })));
}

/** One line on a blocking init container, shared by the synth-time check and the plugin. */
export function describeBlocking(finding: InitContainerFinding, mesh: MeshMode): string {
  return `init container "${finding.name}" ${finding.verdict === Verdict.DEADLOCK ? 'deadlocks' : 'fails'} under ${mesh.describe()}: ${finding.reason}`;
}

/** The report as the CLI's JSON: `{"pods":[{"kind","name","namespace","verdict","initContainers":[...]}]}`. */
export function reportJson(report: StartupReport): object {
  return {
    mesh: report.mesh.describe(),
    pods: report.pods.map((p) => ({
      kind: p.kind,
      name: p.name,
      namespace: p.namespace ?? null,
      verdict: p.verdict,
      reason: p.reason,
      source: p.source ?? null,
      initContainers: p.initContainers.map((c) => ({ name: c.name, network: c.network, verdict: c.verdict, reason: c.reason, inferred: c.inferred })),
      timeline: p.timeline.map((s) => ({ name: s.name, role: s.role, reached: s.reached, note: s.note })),
    })),
  };
}

const LABEL: Record<Verdict, string> = { ok: 'OK', slow: 'SLOW', fails: 'FAILS', deadlock: 'DEADLOCK' };

function stepLine(step: TimelineStep, i: number): string {
  const role = { 'mesh-init': 'mesh init', 'proxy': 'proxy', 'init': 'init', 'native-sidecar': 'native sidecar', 'app': 'app' }[step.role];
  const network = step.network ? `, ${step.network}` : '';
  const verdict = step.verdict && step.verdict !== Verdict.OK ? `  ${LABEL[step.verdict]}` : '';
  const reached = step.reached ? '' : '  (not reached)';
  return `  ${i + 1}. ${step.name} [${role}${network}]${verdict}${reached}\n     ${step.note}`;
}

/** The report as text: per pod, its modelled startup timeline, and where it stops. */
export function reportText(report: StartupReport): string {
  const lines: string[] = [`mesh: ${report.mesh.describe()}`, ''];
  for (const pod of report.pods) {
    const where = pod.namespace ? `${pod.namespace}/${pod.name}` : pod.name;
    lines.push(`${pod.kind} ${where}: ${LABEL[pod.verdict]}${pod.source ? `  (${pod.source})` : ''}`);
    // A pod-level reason that no step already shows (e.g. a pod that does not wait at all).
    if (pod.verdict !== Verdict.OK && !pod.timeline.some((s) => s.note === pod.reason)) lines.push(`  ${pod.reason}`);
    pod.timeline.forEach((step, i) => {
      lines.push(stepLine(step, i));
      const next = pod.timeline[i + 1];
      if (step.reached && next && !next.reached) lines.push('     ^ startup stops here');
    });
    lines.push('');
  }
  const count = (v: Verdict) => report.pods.filter((p) => p.verdict === v).length;
  lines.push(`${report.pods.length} pod(s) checked: ${count(Verdict.DEADLOCK)} deadlock, ${count(Verdict.FAILS)} fails, ${count(Verdict.SLOW)} slow, ${count(Verdict.OK)} ok`);
  return `${lines.join('\n')}\n`;
}
