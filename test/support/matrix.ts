import { Testing } from 'cdk8s';
import { CONCRETE_STRATEGIES, H2oGptStack, H2oGptStackProps, StartupRefusedError, StartupStrategy } from '../../src';
import { buildDefaultApp } from '../../src/main';
import { allModeVariants } from '../../src/startup/decision-table';
import { Manifest, synth } from '../helpers';

/** What one configuration synthesizes. */
export interface Output {
  readonly label: string;
  readonly objects: Manifest[];
}

/** The default app (src/main.ts), as `npm run synth` writes it. */
export function defaultAppOutput(): Output {
  return { label: 'default app (src/main.ts)', objects: buildDefaultApp(Testing.app()).charts.flatMap((c) => c.toJson()) };
}

/**
 * Every allowed mode x strategy (AUTO included) for each prop variant: what the decision table
 * allows is what the checks walk, so a new mode or strategy is covered without editing a test.
 */
export function allowedMatrix(variants: Array<[string, Partial<H2oGptStackProps>]>): Output[] {
  const outputs: Output[] = [];
  for (const mesh of allModeVariants()) {
    for (const startupStrategy of [StartupStrategy.AUTO, ...CONCRETE_STRATEGIES]) {
      for (const [variant, props] of variants) {
        try {
          const objects = synth((chart) => new H2oGptStack(chart, 'stack', { name: 'chat', vllm: { model: 'm' }, ...props, mesh, startupStrategy }));
          outputs.push({ label: `${mesh.describe()} / ${startupStrategy} / ${variant}`, objects });
        } catch (error) {
          if (!(error instanceof StartupRefusedError)) throw error;
        }
      }
    }
  }
  return outputs;
}
