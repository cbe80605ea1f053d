import { ApiObject, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';

const WATCHED = new WeakSet<Chart>();

/**
 * Makes synthesis of `chart` fail when two of its objects share a kind, namespace and name:
 * `kubectl apply` would apply both, the second silently replacing the first. The error names
 * both construct paths (two `H2oGptStack`s without their own `name` is the usual cause).
 */
export function refuseDuplicateObjects(chart: Chart): void {
  if (WATCHED.has(chart)) return;
  WATCHED.add(chart);
  chart.node.addValidation({ validate: () => duplicateObjects(chart) });
}

/** One message per object that repeats an earlier one's kind, namespace and name. */
export function duplicateObjects(chart: Chart): string[] {
  const seen = new Map<string, ApiObject>();
  const problems: string[] = [];
  for (const object of chart.node.findAll().filter((c: IConstruct): c is ApiObject => c instanceof ApiObject)) {
    const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
    const namespace = object.metadata.namespace ?? chart.namespace ?? '';
    const key = `${group}/${object.kind}/${namespace}/${object.name}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, object);
      continue;
    }
    problems.push(`${object.kind} "${object.name}"${namespace ? ` in namespace "${namespace}"` : ''} is written twice, by ${first.node.path} and by ${object.node.path}: `
      + 'the second would replace the first. Give each stack its own name (H2oGptStack\'s name prop), or put them in different namespaces.');
  }
  return problems;
}
