// Checks synthesized objects with real schemas (kubernetes-models, @kubernetes-models/istio, and
// Linkerd's written out in linkerd-schemas.ts) and the cross-object facts schemas cannot see.
// Used by test/conformance.test.ts.
import { readFileSync } from 'fs';
import { join } from 'path';
import Ajv from 'ajv';
import { load as loadYaml } from 'js-yaml';
import { podTemplates } from '../../src/analyzer/analyze';
import { LINKERD_SCHEMAS } from './linkerd-schemas';

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
const linkerdValidators = new Map(Object.entries(LINKERD_SCHEMAS).map(([key, schema]) => [key, ajv.compile(schema)]));

/**
 * A CRD's schema as the API server applies it, closed: where the schema lists properties and
 * does not keep unknown fields, any other field is an error (the API server would drop it
 * silently, which hides a misspelt field).
 */
export function closedCrdSchema(schema: any): any {
  if (Array.isArray(schema)) return schema.map(closedCrdSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const closed: any = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, key === 'properties'
    ? Object.fromEntries(Object.entries(value as object).map(([name, property]) => [name, closedCrdSchema(property)]))
    : closedCrdSchema(value)]));
  if (schema.properties && schema.additionalProperties === undefined && !schema['x-kubernetes-preserve-unknown-fields']) closed.additionalProperties = false;
  return closed;
}

/** Validators from CRDs kept in test/fixtures/schemas, each with its upstream source in its header. */
const crdValidators = new Map<string, ReturnType<typeof ajv.compile>>(['leaderworkerset.x-k8s.io_leaderworkersets.yaml'].map((file) => {
  const crd = loadYaml(readFileSync(join(__dirname, '..', 'fixtures', 'schemas', file), 'utf8')) as any;
  const version = crd.spec.versions.find((v: any) => v.storage);
  const schema = closedCrdSchema(version.schema.openAPIV3Schema);
  // The API server checks metadata itself; the CRD's schema says only "object".
  schema.properties.metadata = { type: 'object' };
  return [`${crd.spec.group}/${version.name} ${crd.spec.names.kind}`, ajv.compile(schema)] as const;
}));

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: any };

const describeObject = (o: Obj) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/** The kubernetes-models class for an apiVersion and kind, or undefined when no package has one. */
export function schemaModel(apiVersion: string, kind: string): (new (data: unknown) => { validate(): void }) | undefined {
  const written = (linkerdValidators as Map<string, ReturnType<typeof ajv.compile>>).get(`${apiVersion} ${kind}`) ?? crdValidators.get(`${apiVersion} ${kind}`);
  if (written) {
    return class {
      private readonly data: unknown;
      public constructor(data: unknown) { this.data = data; }
      public validate(): void {
        if (!written(this.data)) throw Object.assign(new Error('schema violation'), { errors: written.errors });
      }
    };
  }
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const modules = group === ''
    ? [`kubernetes-models/${version}`]
    : [`kubernetes-models/${group}/${version}`, `@kubernetes-models/istio/${group}/${version}`, `@kubernetes-models/gateway-api/${group}/${version}`,
      `@kubernetes-models/cert-manager/${group}/${version}`, `@kubernetes-models/prometheus-operator/${group}/${version}`, `@kubernetes-models/keda/${group}/${version}`];
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

// Validation is a pure function of the object, and the matrix emits the same object many times
// over (about ten times each, measured): each distinct one is validated once.
const problemsByContent = new Map<string, string[]>();

/** Schema problems of one object, each naming the object and the path. */
export function schemaProblems(object: Obj): string[] {
  const content = JSON.stringify(object);
  let problems = problemsByContent.get(content);
  if (!problems) {
    problems = validatedProblems(object);
    problemsByContent.set(content, problems);
  }
  return [...problems];
}

/**
 * The version whose schema validates an object: its own, except Istio's v1, which
 * @kubernetes-models/istio 2.3.0 lacks for DestinationRule and PeerAuthentication (3.x has it,
 * but only as ES modules, which require() cannot load). Istio serves v1 and v1beta1 of these from
 * one schema (the CRDs in manifests/charts/base list both versions with the same openAPIV3Schema),
 * so the object is validated as its v1beta1 twin.
 */
function asValidated(object: Obj): Obj {
  const [group, version] = object.apiVersion.split('/');
  if (!group.endsWith('.istio.io') || version !== 'v1' || schemaModel(object.apiVersion, object.kind)) return object;
  return { ...object, apiVersion: `${group}/v1beta1` };
}

function validatedProblems(written: Obj): string[] {
  const object = asValidated(written);
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
  readonly serviceAccounts?: string[];
  readonly waypoints?: string[];
}

interface PodTemplate { owner: Obj; path: string; labels: Record<string, string>; spec: any }

// The analyzer's own walk over pod-bearing kinds, so both agree on where pods live.
function podTemplatesOf(objects: Obj[]): PodTemplate[] {
  return objects.flatMap((owner) => podTemplates(owner).flatMap((t) => lwsLabels(owner, t.specPath, objects)
    .map((added) => ({ owner, path: t.specPath, labels: { ...t.metadata.labels, ...added }, spec: t.spec }))));
}

/**
 * The labels LWS adds to a template's pods, one set per group (kubernetes-sigs/lws v0.10.0
 * pkg/webhooks/pod_webhook.go; docs/group-facts.md §1), so selectors may name them: as many
 * groups as the set's replicas, or as its autoscaler's most. One empty set for other kinds.
 */
function lwsLabels(owner: Obj, specPath: string, objects: Obj[]): Array<Record<string, string>> {
  if (owner.kind !== 'LeaderWorkerSet') return [{}];
  const scaler = objects.find((o) => o.kind === 'ScaledObject' && o.spec?.scaleTargetRef?.kind === 'LeaderWorkerSet' && o.spec.scaleTargetRef.name === owner.metadata.name);
  // At least one: a set scaled to zero still has templates whose selectors must match.
  const groups: number = Math.max(owner.spec?.replicas ?? scaler?.spec?.maxReplicaCount ?? 1, 1);
  const leader = specPath.includes('leaderTemplate');
  return Array.from({ length: groups }, (_, index) => ({
    'leaderworkerset.sigs.k8s.io/name': owner.metadata.name,
    'leaderworkerset.sigs.k8s.io/group-index': String(index),
    'leaderworkerset.sigs.k8s.io/worker-index': leader ? '0' : '1',
  }));
}

/** How many workloads the templates belong to: a group's leader and worker templates are one. */
const workloadsOf = (matches: PodTemplate[]) => new Set(matches.map((m) => m.owner)).size;

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
    // One per template: a group's template stands for one pod per group.
    const matches = templates.filter((t) => sameNamespace(t.owner, service)
      && Object.entries(selector).every(([k, v]) => t.labels[k] === v))
      .filter((t, i, all) => all.findIndex((o) => o.owner === t.owner && o.path === t.path) === i);
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

  // Selectors of budgets and policies must each pick exactly one workload's pods, like a Service's.
  const selecting: Array<[string, string, (o: Obj) => Record<string, string> | undefined]> = [
    ['PodDisruptionBudget', 'spec.selector.matchLabels', (o) => o.spec?.selector?.matchLabels],
    ['NetworkPolicy', 'spec.podSelector.matchLabels', (o) => o.spec?.podSelector?.matchLabels],
    ['PeerAuthentication', 'spec.selector.matchLabels', (o) => o.spec?.selector?.matchLabels],
    ['AuthorizationPolicy', 'spec.selector.matchLabels', (o) => (o.apiVersion.startsWith('security.istio.io') ? o.spec?.selector?.matchLabels : undefined)],
    ['Server', 'spec.podSelector.matchLabels', (o) => o.spec?.podSelector?.matchLabels],
  ];
  for (const [kind, path, selectorOf] of selecting) {
    for (const object of objects.filter((o) => o.kind === kind)) {
      const selector = selectorOf(object);
      if (selector === undefined) continue;
      const matches = templates.filter((t) => sameNamespace(t.owner, object) && Object.entries(selector).every(([k, v]) => t.labels[k] === v));
      if (Object.keys(selector).length === 0 || workloadsOf(matches) !== 1) {
        problems.push(`${describeObject(object)}: ${path} ${JSON.stringify(selector)} matches ${matches.length} pod templates of ${workloadsOf(matches)} workloads; it must match exactly one workload`);
      }
    }
  }

  // A NetworkPolicy peer chosen by pod labels alone (same namespace) must be one workload's pods.
  for (const policy of objects.filter((o) => o.kind === 'NetworkPolicy')) {
    const peers = [
      ...(policy.spec?.ingress ?? []).flatMap((rule: any, i: number) => (rule.from ?? []).map((peer: any, j: number) => [`spec.ingress[${i}].from[${j}]`, peer])),
      ...(policy.spec?.egress ?? []).flatMap((rule: any, i: number) => (rule.to ?? []).map((peer: any, j: number) => [`spec.egress[${i}].to[${j}]`, peer])),
    ] as Array<[string, any]>;
    for (const [path, peer] of peers) {
      const selector: Record<string, string> | undefined = peer.podSelector && !peer.namespaceSelector ? peer.podSelector.matchLabels : undefined;
      if (!selector) continue;
      const matches = templates.filter((t) => sameNamespace(t.owner, policy) && Object.entries(selector).every(([k, v]) => t.labels[k] === v));
      if (workloadsOf(matches) !== 1) {
        problems.push(`${describeObject(policy)}: ${path}.podSelector ${JSON.stringify(selector)} matches ${matches.length} pod templates of ${workloadsOf(matches)} workloads; it must match exactly one workload`);
      }
    }
  }

  // Linkerd policy references must name emitted objects of the kind they say.
  const linkerdRefs = (o: Obj) => [o.spec?.targetRef, ...(o.spec?.requiredAuthenticationRefs ?? []), ...(o.spec?.parentRefs ?? [])]
    .filter((ref: any) => ref?.group === 'policy.linkerd.io');
  for (const object of objects.filter((o) => o.apiVersion.startsWith('policy.linkerd.io'))) {
    for (const ref of linkerdRefs(object)) {
      if (!objects.some((o) => o.kind === ref.kind && o.metadata.name === ref.name && o.apiVersion.startsWith('policy.linkerd.io') && sameNamespace(o, object))) {
        problems.push(`${describeObject(object)}: refers to ${ref.kind} "${ref.name}", which is not emitted`);
      }
    }
  }

  // An Istio DestinationRule must name an emitted Service (short or fully qualified), and an ambient
  // Service routed through a waypoint must name an emitted one, or one the user runs.
  for (const rule of objects.filter((o) => o.kind === 'DestinationRule')) {
    const host: string = rule.spec?.host ?? '';
    const [name, namespace] = host.split('.');
    const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === name
      && (host.includes('.') ? (o.metadata.namespace ?? '') === namespace && host === `${name}.${namespace}.svc.cluster.local` : sameNamespace(o, rule)));
    if (!service) {
      problems.push(`${describeObject(rule)}: spec.host "${host}" names no emitted Service`);
      continue;
    }
    for (const [i, setting] of (rule.spec?.trafficPolicy?.portLevelSettings ?? []).entries()) {
      if (!(service.spec?.ports ?? []).some((p: any) => p.port === setting.port?.number)) {
        problems.push(`${describeObject(rule)}: spec.trafficPolicy.portLevelSettings[${i}].port ${setting.port?.number} is not a port of ${describeObject(service)}`);
      }
    }
  }
  for (const service of objects.filter((o) => o.kind === 'Service' && o.metadata.labels?.['istio.io/use-waypoint'])) {
    const waypoint = service.metadata.labels!['istio.io/use-waypoint'];
    if (!objects.some((o) => o.kind === 'Gateway' && o.metadata.name === waypoint && sameNamespace(o, service)) && !userProvided.waypoints?.includes(waypoint)) {
      problems.push(`${describeObject(service)}: label istio.io/use-waypoint names Gateway "${waypoint}", which is neither emitted nor user-provided`);
    }
  }

  const emitted = (kind: string, name: string, owner: Obj) => objects.some((o) => o.kind === kind && o.metadata.name === name && sameNamespace(o, owner));

  // A route's backend must be an emitted Service with that port: a typo would answer 404 or 503.
  const backends: Array<{ owner: Obj; path: string; name: string; port: number }> = [
    ...objects.filter((o) => o.kind === 'HTTPRoute' && o.apiVersion.startsWith('gateway.networking.k8s.io')).flatMap((route) => (route.spec.rules ?? [])
      .flatMap((rule: any, ri: number) => (rule.backendRefs ?? []).map((b: any, bi: number) => ({ owner: route, path: `spec.rules[${ri}].backendRefs[${bi}]`, name: b.name, port: b.port })))),
    ...objects.filter((o) => o.kind === 'Ingress').flatMap((ingress) => (ingress.spec.rules ?? [])
      .flatMap((rule: any, ri: number) => (rule.http?.paths ?? []).map((p: any, pi: number) => ({
        owner: ingress, path: `spec.rules[${ri}].http.paths[${pi}].backend.service`, name: p.backend.service.name, port: p.backend.service.port.number,
      })))),
  ];
  for (const backend of backends) {
    const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === backend.name && sameNamespace(o, backend.owner));
    if (!service || !(service.spec.ports ?? []).some((p: any) => p.port === backend.port)) {
      problems.push(`${describeObject(backend.owner)}: ${backend.path} names Service "${backend.name}" port ${backend.port}, which is not emitted`);
    }
  }
  for (const certificate of objects.filter((o) => o.kind === 'Certificate')) {
    const served = objects.some((o) => o.kind === 'Ingress' && sameNamespace(o, certificate)
      && (o.spec.tls ?? []).some((t: any) => t.secretName === certificate.spec.secretName && certificate.spec.dnsNames.every((d: string) => t.hosts.includes(d))));
    if (!served) problems.push(`${describeObject(certificate)}: spec.secretName "${certificate.spec.secretName}" is not the TLS Secret of an Ingress for its dnsNames`);
  }
  for (const t of templates) {
    const account = t.spec.serviceAccountName;
    if (account && !emitted('ServiceAccount', account, t.owner) && !userProvided.serviceAccounts?.includes(account)) {
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
