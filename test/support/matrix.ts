import { CONCRETE_STRATEGIES, H2oGptStack, H2oGptStackProps, profileOf, StartupRefusedError, StartupStrategy } from '../../src/internal';
import { buildDefaultApp } from '../../src/main';
import { allModeVariants } from '../../src/startup/decision-table';
import { Manifest, synth, testApp } from '../helpers';

/** What one configuration synthesizes. */
export interface Output {
  readonly label: string;
  readonly objects: Manifest[];
}

/** The default app (src/main.ts), as `npm run synth` writes it. */
export function defaultAppOutput(): Output {
  return { label: 'default app (src/main.ts)', objects: buildDefaultApp(testApp()).charts.flatMap((c) => c.toJson()) };
}

/**
 * Stack props for every mode x strategy (AUTO included) and prop variant; `build` is called with
 * each and a refused combination is skipped. What the decision table allows is what the checks
 * walk, so a new mode or strategy is covered without editing a test.
 */
export function forEachAllowed<T>(variants: Array<[string, Partial<H2oGptStackProps>]>,
  build: (props: H2oGptStackProps) => T): Array<{ label: string; result: T }> {
  const results: Array<{ label: string; result: T }> = [];
  for (const mesh of allModeVariants()) {
    for (const startupStrategy of [StartupStrategy.AUTO, ...CONCRETE_STRATEGIES]) {
      for (const [variant, props] of variants) {
        // A mesh that cannot keep Gradio sessions on one of several replicas (Linkerd) makes the
        // stack refuse more than one (docs/mesh-facts.md §9): such a variant runs with one there.
        const keepsNoSessions = profileOf(mesh)?.sessionAffinity.mechanism === 'none';
        const h2ogpt = keepsNoSessions && (props.h2ogpt?.replicas ?? 1) > 1 ? { ...props.h2ogpt, replicas: 1 } : props.h2ogpt;
        try {
          const result = build({ name: 'chat', vllm: { model: 'm' }, ...props, h2ogpt, mesh, startupStrategy });
          results.push({ label: `${mesh.describe()} / ${startupStrategy} / ${variant}`, result });
        } catch (error) {
          if (!(error instanceof StartupRefusedError)) throw error;
        }
      }
    }
  }
  return results;
}

/** What every allowed mode x strategy synthesizes, for each prop variant. */
export function allowedMatrix(variants: Array<[string, Partial<H2oGptStackProps>]>): Output[] {
  return forEachAllowed(variants, (props) => synth((chart) => new H2oGptStack(chart, 'stack', props)))
    .map(({ label, result }) => ({ label, objects: result }));
}
