import { MeshMode } from '../mesh/mesh-mode';
import { analyzeObjects, reportJson, reportText, StartupReport } from './analyze';
import { readManifests, SourcedObject } from './manifest-reader';

/**
 * The startup analyzer for any manifests, not only this library's: models each pod's start
 * under a mesh mode and says which init containers would deadlock or be rejected. The CLI's
 * `check` command, `StartupCheck` and the validation plugin all use it.
 */
export class StartupAnalyzer {
  /**
   * Reads multi-document YAML (or JSON) into objects, flattening `kind: List`. Throws, naming the
   * source, line and column of the first syntax error; read it with `Errors.inspect`.
   * @param text the manifests
   * @param source the file name to report, e.g. "<stdin>"
   */
  public static readManifests(text: string, source: string): SourcedObject[] {
    return readManifests(text, source);
  }

  /** Checks every pod template in `objects` (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob). */
  public static analyze(objects: SourcedObject[], mesh: MeshMode): StartupReport {
    return analyzeObjects(objects, mesh);
  }

  /** The report as the CLI's `--output json` prints it. */
  public static toJson(report: StartupReport): any {
    return reportJson(report);
  }

  /** The report as the CLI's text: per pod, its modelled timeline and where startup stops. */
  public static toText(report: StartupReport): string {
    return reportText(report);
  }

  private constructor() {}
}
