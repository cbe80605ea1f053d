import { ApiObject, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { MeshMode } from '../mesh/mesh-mode';
import { analyzeObjects, blockingFindings, describeBlocking } from './analyze';
import { fixFor } from './fixes';

const CHECKED = new WeakMap<Chart, Set<string>>();

/**
 * Synth-time startup check for any cdk8s chart: synthesis fails when a pod in the chart, yours
 * or this library's, has an init container that would deadlock or be rejected under the mesh.
 * `H2oGptStack` adds it to its own chart; call it for your other charts.
 */
export class StartupCheck {
  /** Adds the check to `chart` (once per mesh mode). */
  public static addToChart(chart: Chart, mesh: MeshMode): void {
    const key = `${mesh.name}/${mesh.cni}/${mesh.mtls}`;
    const done = CHECKED.get(chart) ?? new Set<string>();
    if (done.has(key)) return;
    done.add(key);
    CHECKED.set(chart, done);
    chart.node.addValidation({ validate: () => StartupCheck.problems(chart, mesh) });
  }

  /** The check's findings for a chart, as error messages (empty when every pod can start). */
  public static problems(chart: Chart, mesh: MeshMode): string[] {
    // Chart.toJson() would validate the chart again (and recurse); each ApiObject renders alone.
    const objects = apiObjects(chart).map((o) => ({ object: o.toJson(), source: chart.node.path }));
    return blockingFindings(analyzeObjects(objects, mesh)).map(({ pod, finding }) => {
      const path = constructPath(chart, pod.kind, pod.name);
      return `${pod.kind} "${pod.name}"${path ? ` (construct ${path})` : ''}: ${describeBlocking(finding, mesh)}. Fix: ${fixFor(finding, mesh)}`;
    });
  }
}

function apiObjects(chart: Chart): ApiObject[] {
  return chart.node.findAll().filter((c: IConstruct): c is ApiObject => c instanceof ApiObject && Chart.of(c) === chart);
}

function constructPath(chart: Chart, kind: string, name: string): string | undefined {
  return apiObjects(chart).find((o) => o.kind === kind && o.name === name)?.node.path;
}
