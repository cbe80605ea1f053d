import { ApiObject, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { MeshMode } from '../mesh/mesh-mode';
import { analyzeObjects, blockingFindings, describeBlocking, POD_TEMPLATE_KINDS } from './analyze';
import { fixFor } from './fixes';
import { flatten } from './manifest-reader';
import { SynthesisMemo } from './synthesis-memo';

const CHECKED = new WeakMap<IConstruct, Set<string>>();

/**
 * Synth-time startup check: synthesis fails when a pod, yours or this library's, has an init
 * container that would deadlock or be rejected under the mesh. `H2oGptStack` checks its own
 * pods under its own mesh; ask for a chart-wide check of your other pods with `addToChart`.
 */
export class StartupCheck {
  /** Checks every pod in `chart`, whichever construct made it, under `mesh` (once per mesh mode). */
  public static addToChart(chart: Chart, mesh: MeshMode): void {
    StartupCheck.addToScope(chart, mesh);
  }

  /** Checks every pod that `scope` or a construct below it renders, under `mesh` (once per mesh mode). */
  public static addToScope(scope: IConstruct, mesh: MeshMode): void {
    const key = `${mesh.name}/${mesh.cni}/${mesh.mtls}/${mesh.version ?? ''}`;
    const done = CHECKED.get(scope) ?? new Set<string>();
    if (done.has(key)) return;
    done.add(key);
    CHECKED.set(scope, done);
    SynthesisMemo.watch(scope);
    scope.node.addValidation({ validate: () => SynthesisMemo.get(scope, key, () => StartupCheck.problems(scope, mesh)) });
  }

  /** The findings for the pods `scope` renders, as error messages (empty when every pod can start). */
  public static problems(scope: IConstruct, mesh: MeshMode): string[] {
    // Chart.toJson() would validate the chart again (and recurse); each ApiObject renders alone,
    // and only those the analysis reads: rendering every object cost as much again as the output.
    // A List (an Include of `kubectl get -o yaml` output, say) is read item by item, as `check` does.
    const objects = apiObjects(scope)
      .filter((o) => POD_TEMPLATE_KINDS.has(o.kind) || o.kind === 'Namespace' || o.kind.endsWith('List'))
      .flatMap((o) => [...flatten(o.toJson(), o.node.path)]);
    return blockingFindings(analyzeObjects(objects, mesh)).map(({ pod, finding }) =>
      `${pod.kind} "${pod.name}" (construct ${pod.source}): ${describeBlocking(finding, mesh)}. Fix: ${fixFor(finding, mesh)}`);
  }
}

function apiObjects(scope: IConstruct): ApiObject[] {
  return scope.node.findAll().filter((c: IConstruct): c is ApiObject => c instanceof ApiObject);
}
