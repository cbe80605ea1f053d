import { ApiObject, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { MeshMode } from '../mesh/mesh-mode';
import { analyzeObjects, blockingFindings, describeBlocking } from './analyze';
import { fixFor } from './fixes';
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
    // Chart.toJson() would validate the chart again (and recurse); each ApiObject renders alone.
    const rendered = apiObjects(scope);
    const objects = rendered.map((o) => ({ object: o.toJson(), source: scope.node.path }));
    return blockingFindings(analyzeObjects(objects, mesh)).map(({ pod, finding }) => {
      const path = rendered.find((o) => o.kind === pod.kind && o.name === pod.name)?.node.path;
      return `${pod.kind} "${pod.name}"${path ? ` (construct ${path})` : ''}: ${describeBlocking(finding, mesh)}. Fix: ${fixFor(finding, mesh)}`;
    });
  }
}

function apiObjects(scope: IConstruct): ApiObject[] {
  return scope.node.findAll().filter((c: IConstruct): c is ApiObject => c instanceof ApiObject);
}
