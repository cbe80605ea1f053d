import { IConstruct } from 'constructs';

/** The construct-metadata type under which this library records its warnings. */
const WARNING_METADATA = 'cdk8s-h2ogpt:warning';

/** One warning and the construct that raised it. */
export interface SynthesisWarning {
  /** Path of the construct, e.g. `chart/stack`. */
  readonly path: string;
  readonly message: string;
}

/**
 * Warnings about a configuration's costs (plaintext checks, root pods, unknown namespaces). The
 * constructs record them as construct metadata, the constructs library's own channel, rather
 * than printing: an app, the CLI or a test reads them with `Warnings.of(app)` and decides where
 * they go. `npm run synth` and the CLI print them to stderr.
 */
export class Warnings {
  /** Records a warning on `scope`. */
  public static add(scope: IConstruct, message: string): void {
    scope.node.addMetadata(WARNING_METADATA, message, { stackTrace: false });
  }

  /** Every warning recorded on `scope` and below, in construct order. */
  public static of(scope: IConstruct): SynthesisWarning[] {
    return scope.node.findAll().flatMap((c) => c.node.metadata
      .filter((entry) => entry.type === WARNING_METADATA)
      .map((entry) => ({ path: c.node.path, message: String(entry.data) })));
  }

  private constructor() {}
}
