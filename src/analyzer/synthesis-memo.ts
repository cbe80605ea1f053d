import { App } from 'cdk8s';
import { IConstruct } from 'constructs';

// cdk8s's App.synth validates the whole app once, then again for every chart it renders
// (App._synthChart), so each validation hook runs N+1 times in an app of N charts. The startup
// check renders and analyzes its pods each time: quadratic. This keeps one result per check for
// the length of one App.synth or App.synthYaml call, and none between calls, so a change to a
// chart between two syntheses is always seen.

/** Results of the synthesis an app is running now, per construct and key. */
const RUNNING = new WeakMap<App, Map<IConstruct, Map<string, unknown>>>();
const WRAPPED = new WeakSet<App>();

/** Wraps `app.synth` and `app.synthYaml`, on this one instance, to mark when a synthesis runs. */
function watchSyntheses(app: App): void {
  if (WRAPPED.has(app)) return;
  WRAPPED.add(app);
  for (const method of ['synth', 'synthYaml'] as const) {
    const original = app[method] as () => unknown;
    Object.defineProperty(app, method, {
      configurable: true,
      writable: true,
      value: function (this: App) {
        const outer = RUNNING.has(app);
        if (!outer) RUNNING.set(app, new Map());
        try {
          return original.call(this);
        } finally {
          if (!outer) RUNNING.delete(app);
        }
      },
    });
  }
}

/**
 * `compute()`, computed once per synthesis of the app that holds `scope`, and afresh every time
 * outside one (a lone `Chart.toJson()` or `node.validate()` validates only once anyway).
 * Call `watch` when the hook is registered, so the app is watched before it synthesizes.
 */
export const SynthesisMemo = {
  watch(scope: IConstruct): void {
    const root = scope.node.root;
    if (root instanceof App) watchSyntheses(root);
  },

  get<T>(scope: IConstruct, key: string, compute: () => T): T {
    const root = scope.node.root;
    const running = root instanceof App ? RUNNING.get(root) : undefined;
    if (!running) return compute();
    const forScope = running.get(scope) ?? new Map<string, unknown>();
    running.set(scope, forScope);
    if (!forScope.has(key)) forScope.set(key, compute());
    return forScope.get(key) as T;
  },
};
