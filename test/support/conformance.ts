// Checks synthesized objects with real schemas (kubernetes-models, @kubernetes-models/istio) and
// the cross-object facts schemas cannot see. Used by test/conformance.test.ts.
import { podTemplates } from '../../src/analyzer/analyze';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: any };

const describeObject = (o: Obj) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/** The kubernetes-models class for an apiVersion and kind, or undefined when no package has one. */
export function schemaModel(apiVersion: string, kind: string): (new (data: unknown) => { validate(): void }) | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const modules = group === ''
    ? [`kubernetes-models/${version}`]
    : [`kubernetes-models/${group}/${version}`, `@kubernetes-models/istio/${group}/${version}`];
  for (const name of modules) {
    let mod: Record<string, unknown>;
    try {
      mod = require(name); // eslint-disable-line @typescript-eslint/no-require-imports
    } catch {
      continue;
    }
    if (typeof mod[kind] === 'function') return mod[kind] as new (data: unknown) => { validate(): void };
  }
  return undefined;
}

/** Schema problems of one object, each naming the object and the path. */
export function schemaProblems(object: Obj): string[] {
  const Model = schemaModel(object.apiVersion, object.kind);
  if (!Model) {
    return [`${describeObject(object)}: no schema known for ${object.apiVersion} ${object.kind}; add its schema package to test/support/conformance.ts`];
  }
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    const errors = (error as { errors?: Array<{ instancePath: string; message: string; params?: unknown }> }).errors;
    if (!errors) return [`${describeObject(object)}: ${(error as Error).message}`];
    return errors.map((e) => `${describeObject(object)}: ${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
  }
}

/** Names the user creates themselves, documented as such (Secrets from SecretKeyReference, existing claims). */
export interface UserProvided {
  readonly secrets?: string[];
  readonly configMaps?: string[];
  readonly claims?: string[];
}

interface PodTemplate { owner: Obj; path: string; labels: Record<string, string>; spec: any }

// The analyzer's own walk over pod-bearing kinds, so both agree on where pods live.
function podTemplatesOf(objects: Obj[]): PodTemplate[] {
  return objects.flatMap((owner) => podTemplates(owner).map((t) => ({ owner, path: t.specPath, labels: t.metadata.labels ?? {}, spec: t.spec })));
}

const sameNamespace = (a: Obj, b: Obj) => (a.metadata.namespace ?? '') === (b.metadata.namespace ?? '');

function containerHasPort(container: any, port: string | number): boolean {
  return (container.ports ?? []).some((p: any) => (typeof port === 'string' ? p.name === port : p.containerPort === port));
}

/** Facts schemas cannot check, across objects. Each problem names the object and the path. */
export function crossObjectProblems(objects: Obj[], userProvided: UserProvided = {}): string[] {
  const problems: string[] = [];
  const templates = podTemplatesOf(objects);

  const seen = new Map<string, number>();
  objects.forEach((o, i) => {
    const key = `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    if (seen.has(key)) problems.push(`${describeObject(o)}: objects #${seen.get(key)} and #${i} share kind, namespace and name`);
    else seen.set(key, i);
  });

  for (const service of objects.filter((o) => o.kind === 'Service')) {
    const selector: Record<string, string> = service.spec?.selector ?? {};
    if (Object.keys(selector).length === 0) continue; // a selector-less Service is managed by hand
    const matches = templates.filter((t) => sameNamespace(t.owner, service)
      && Object.entries(selector).every(([k, v]) => t.labels[k] === v));
    if (matches.length !== 1) {
      problems.push(`${describeObject(service)}: spec.selector ${JSON.stringify(selector)} matches ${matches.length} pod templates (${matches.map((m) => describeObject(m.owner)).join(', ') || 'none'}); it must match exactly one`);
      continue;
    }
    const containers = matches[0].spec.containers ?? [];
    (service.spec.ports ?? []).forEach((port: any, i: number) => {
      const target = port.targetPort ?? port.port;
      if (!containers.some((c: any) => containerHasPort(c, target))) {
        problems.push(`${describeObject(service)}: spec.ports[${i}].targetPort ${JSON.stringify(target)} is not a port of any container in ${describeObject(matches[0].owner)}`);
      }
    });
  }

  // A PodDisruptionBudget's selector must pick exactly one workload's pods, like a Service's.
  for (const budget of objects.filter((o) => o.kind === 'PodDisruptionBudget')) {
    const selector: Record<string, string> = budget.spec?.selector?.matchLabels ?? {};
    const matches = templates.filter((t) => sameNamespace(t.owner, budget) && Object.entries(selector).every(([k, v]) => t.labels[k] === v));
    if (matches.length !== 1) {
      problems.push(`${describeObject(budget)}: spec.selector.matchLabels ${JSON.stringify(selector)} matches ${matches.length} pod templates; it must match exactly one`);
    }
  }

  const emitted = (kind: string, name: string, owner: Obj) => objects.some((o) => o.kind === kind && o.metadata.name === name && sameNamespace(o, owner));
  for (const t of templates) {
    const account = t.spec.serviceAccountName;
    if (account && !emitted('ServiceAccount', account, t.owner)) {
      problems.push(`${describeObject(t.owner)}: ${t.path}.serviceAccountName "${account}" is not emitted`);
    }
    const volumes = new Set((t.spec.volumes ?? []).map((v: any) => v.name));
    (t.spec.volumes ?? []).forEach((v: any, i: number) => {
      const where = `${describeObject(t.owner)}: ${t.path}.volumes[${i}]`;
      if (v.configMap && !emitted('ConfigMap', v.configMap.name, t.owner) && !userProvided.configMaps?.includes(v.configMap.name)) {
        problems.push(`${where}.configMap.name "${v.configMap.name}" is neither emitted nor user-provided`);
      }
      if (v.secret && !emitted('Secret', v.secret.secretName, t.owner) && !userProvided.secrets?.includes(v.secret.secretName)) {
        problems.push(`${where}.secret.secretName "${v.secret.secretName}" is neither emitted nor user-provided`);
      }
      if (v.persistentVolumeClaim && !emitted('PersistentVolumeClaim', v.persistentVolumeClaim.claimName, t.owner)
        && !userProvided.claims?.includes(v.persistentVolumeClaim.claimName)) {
        problems.push(`${where}.persistentVolumeClaim.claimName "${v.persistentVolumeClaim.claimName}" is neither emitted nor user-provided`);
      }
    });
    for (const list of ['initContainers', 'containers'] as const) {
      (t.spec[list] ?? []).forEach((c: any, ci: number) => {
        const where = `${describeObject(t.owner)}: ${t.path}.${list}[${ci}]`;
        (c.volumeMounts ?? []).forEach((m: any, mi: number) => {
          if (!volumes.has(m.name)) problems.push(`${where}.volumeMounts[${mi}] names volume "${m.name}", which the pod does not have`);
        });
        for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
          const p = c[probe];
          const port = p?.httpGet?.port ?? p?.tcpSocket?.port ?? p?.grpc?.port;
          if (port !== undefined && !containerHasPort(c, port)) {
            problems.push(`${where}.${probe} uses port ${JSON.stringify(port)}, which the container does not declare`);
          }
        }
        (c.env ?? []).forEach((e: any, ei: number) => {
          const secret = e.valueFrom?.secretKeyRef?.name;
          const configMap = e.valueFrom?.configMapKeyRef?.name;
          if (secret && !emitted('Secret', secret, t.owner) && !userProvided.secrets?.includes(secret)) {
            problems.push(`${where}.env[${ei}].valueFrom.secretKeyRef.name "${secret}" is neither emitted nor user-provided`);
          }
          if (configMap && !emitted('ConfigMap', configMap, t.owner) && !userProvided.configMaps?.includes(configMap)) {
            problems.push(`${where}.env[${ei}].valueFrom.configMapKeyRef.name "${configMap}" is neither emitted nor user-provided`);
          }
        });
      });
    }
  }
  return problems;
}
