import { readFileSync } from 'fs';
import { withFieldPrefix } from '../common/errors';
import { MeshMode, MtlsMode } from '../mesh/mesh-mode';
import { analyzeObjects, blockingFindings, describeBlocking } from './analyze';
import { fixFor, ruleName } from './fixes';
import { readManifests, SourcedObject } from './manifest-reader';

/** Properties from the `validations:` entry in cdk8s.yaml. */
export interface StartupValidationProperties {
  /** Mesh mode name, as the CLI's `--mesh`. */
  readonly mesh?: string;
  /** Whether the mesh's CNI plugin is on (sidecar modes). Default true. */
  readonly cni?: boolean;
  /** "strict" (default) or "permissive". */
  readonly mtls?: string;
  /** The mesh's release, e.g. "1.28" (default: unknown). */
  readonly version?: string;
}

// The subset of cdk8s-cli's ValidationContext this plugin uses (cdk8s-cli is a dev tool, not a dependency).
interface ValidationContextLike {
  readonly manifests: readonly string[];
  readonly report: {
    addViolation(violation: {
      ruleName: string; recommendation: string; fix: string;
      violatingResources: Array<{ resourceName: string; locations: string[]; manifestPath: string }>;
    }): void;
    submit(status: 'success' | 'failure', metadata?: { [key: string]: string }): void;
  };
  readonly logger: { log(message: string): void };
}

/**
 * A cdk8s validation plugin: `cdk8s synth` fails (exit 2) when a synthesized pod would deadlock
 * or be rejected at startup under the mesh. In cdk8s.yaml:
 *
 *   validations:
 *     - package: ./node_modules/cdk8s-h2ogpt/lib/analyzer/validation-plugin.js
 *       class: StartupValidation
 *       version: 0.1.0
 *       properties: { mesh: istio-sidecar, cni: true, mtls: strict }
 */
export class StartupValidation {
  private readonly mesh: MeshMode;

  public constructor(properties: StartupValidationProperties = {}) {
    try {
      this.mesh = withFieldPrefix('properties.', () => MeshMode.fromName(properties.mesh ?? 'none', { cni: properties.cni, mtls: properties.mtls as MtlsMode | undefined, version: properties.version }));
    } catch (error) {
      throw new Error(`StartupValidation: ${(error as Error).message}`);
    }
  }

  public async validate(context: ValidationContextLike): Promise<void> {
    const objects: SourcedObject[] = context.manifests.flatMap((path) => readManifests(readFileSync(path, 'utf8'), path));
    const report = analyzeObjects(objects, this.mesh);
    // cdk8s finds a violation's construct path by name alone (construct-metadata.json is keyed
    // by name), so a name several objects share would point at whichever was written last. Such
    // a pod is named as namespace/kind/name, which cdk8s does not look up: no path beats a wrong one.
    const kindsByName = new Map<string, Set<string>>();
    for (const { object } of objects) {
      const name = object?.metadata?.name;
      if (typeof name !== 'string') continue;
      kindsByName.set(name, (kindsByName.get(name) ?? new Set()).add(`${object.metadata.namespace ?? ''}/${object.kind}`));
    }
    for (const { pod, finding } of blockingFindings(report)) {
      const shared = (kindsByName.get(pod.name)?.size ?? 0) > 1;
      const resourceName = shared ? `${pod.namespace ? `${pod.namespace}/` : ''}${pod.kind}/${pod.name}` : pod.name;
      context.report.addViolation({
        ruleName: ruleName(finding.verdict),
        recommendation: `${pod.kind} ${pod.name}: ${describeBlocking(finding, this.mesh)}`,
        fix: fixFor(finding, this.mesh),
        violatingResources: [{ resourceName, locations: [`${pod.specPath}.initContainers[${finding.index}]`], manifestPath: pod.source ?? '' }],
      });
    }
    context.logger.log(`cdk8s-h2ogpt startup check: ${report.pods.length} pod(s) under ${this.mesh.describe()}`);
    context.report.submit(report.failed ? 'failure' : 'success', { mesh: this.mesh.describe() });
  }
}
