/**
 * A model of what an init container does: the commands it runs (its shell scripts parsed, not
 * searched), the network calls among them with their destinations, and a simulation that says
 * whether the container can finish when a given set of those calls fails. The analyzer runs the
 * simulation once with every call succeeding and once as the mesh would treat each call, and
 * blames the mesh only for what the difference shows (docs/check-model.md).
 */
import {
  DefaultDestination, DNS_TOOLS, LibraryFunction, RUNNERS, SHELL_LIBRARIES, Exchange, INTERPRETERS, LOCAL_PROGRAMS, LOCAL_SCHEMES, NETWORK_IMAGES, NETWORK_PYTHON_MODULES,
  NETWORK_TOOLS, NetworkTool, PROVIDER_SCHEMES, QUIET_IMAGES, SCHEME_PORTS, SHELLS, WRAPPERS,
} from './command-knowledge';
import { classifyHost, DestinationClass } from './destinations';
import { nodeType, parseShell, ShellNode, shellOperators, wordOf } from './shell-syntax';

/** The transport a call uses: the meshes capture TCP only. */
export enum Transport { TCP = 'tcp', UDP = 'udp', ICMP = 'icmp' }

/** One network call the container makes. */
export interface ModelCall {
  /** The program, e.g. `nc`, `psql`, `kubectl`, or the image for an entrypoint. */
  readonly program: string;
  readonly host?: string;
  readonly port?: number;
  readonly destination: DestinationClass;
  /** Why the destination was taken without the spec naming it, e.g. "kubectl's in-cluster config". */
  readonly assumed?: string;
  readonly exchange: Exchange;
  readonly transport: Transport;
  /** What gave it away, for the report: a program, a URL, an image. */
  readonly evidence: string;
  /** The program retries by itself until its peer answers. */
  readonly waits?: boolean;
}

/** How one simulated run of the container ends. */
export type RunEnd = 'ok' | 'fail' | 'hang';

/** The model of one container. */
export interface ContainerModel {
  /** Every network call found, in the order found. */
  readonly calls: readonly ModelCall[];
  /** The first thing it runs that the model cannot judge, with why; undefined when it judged all. */
  readonly unknown?: string;
  /** How runs can end when `fate` says which calls fail (shared between callers: do not change it). */
  simulate(fate: (call: ModelCall) => boolean): ReadonlySet<RunEnd>;
}

/** What the model may read beside the container: its pod's and input's scripts and env. */
export interface ContainerContext {
  /** Files from ConfigMap and Secret volumes in the same input, by absolute path in this container. */
  readonly files?: ReadonlyMap<string, string>;
  /** Variables from envFrom ConfigMaps in the same input. */
  readonly envFrom?: ReadonlyMap<string, string>;
}

// Variable values the model could not see (a Secret, a field ref): known to be set, value unknown.
const UNKNOWN_VALUE = null;
type Env = Map<string, string | null>;
// Kubernetes' `$(VAR)` of a variable whose value is unknown becomes this plain word, which a
// script parses as a word and every reader of a value takes as unknown.
const K8S_UNKNOWN = '__k8s_unknown_';
const K8S_UNKNOWNS = /__k8s_unknown_([A-Za-z0-9_]+)__/g;

/**
 * Builds the model of one container spec. `context` adds what the same input says about its
 * files and env; nothing is read from outside the input.
 */
export function modelContainer(container: any, context: ContainerContext = {}): ContainerModel {
  const env = containerEnv(container, context.envFrom);
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined || value === null ? [] : [value]);
  const command: string[] = list(container.command).map((w) => expandKubernetes(String(w), env));
  const args: string[] = list(container.args).map((w) => expandKubernetes(String(w), env));
  const image = String(container.image ?? '');
  const program = new Program(env, context.files ?? new Map());
  // Without a command the image's entrypoint runs. Entrypoints commonly exec their arguments when
  // the first names a program, so arguments that start with a known program are the command line.
  const argsAreCommand = command.length === 0 && args.length > 0 && program.knows(baseName(args[0]));
  const networkImage = command.length === 0 && !argsAreCommand ? NETWORK_IMAGES.find((i) => i.pattern.test(image)) : undefined;
  if (networkImage?.program) {
    // The image's entrypoint is a known program: its arguments are that program's.
    program.argv = [networkImage.program, ...args];
  } else if (command.length === 0 && !argsAreCommand) {
    if (networkImage) {
      const named = program.inferredCall(image, args.map(resolved));
      program.entrypoint = {
        call: named ?? { program: image, destination: destinationOf(networkImage.destination), ...assumedFor(networkImage.destination, image), exchange: Exchange.DATA, transport: Transport.TCP, evidence: networkImage.what },
        retries: networkImage.retries,
      };
    } else if (!QUIET_IMAGES.pattern.test(image)) {
      program.entrypointArgs = { image, args };
    }
  }
  if (!networkImage?.program) program.argv = command.length > 0 ? [...command, ...args] : program.entrypoint || program.entrypointArgs ? [] : args;
  program.discover();
  return program;
}

/** A container's env with Kubernetes' expansion of `$(VAR)` from earlier entries (docs/mesh-facts.md §12). */
function containerEnv(container: any, envFrom: ReadonlyMap<string, string> | undefined): Env {
  const env: Env = new Map();
  env.set('KUBERNETES_SERVICE_HOST', 'kubernetes.default.svc');
  env.set('KUBERNETES_SERVICE_PORT', '443');
  // envFrom of the same input; the keys of a Secret or ConfigMap it does not hold stay unknown.
  for (const [k, v] of envFrom ?? []) env.set(k, v);
  for (const e of container.env ?? []) {
    if (!e || typeof e.name !== 'string') continue;
    env.set(e.name, e.value !== undefined ? expandKubernetes(String(e.value), env) : e.valueFrom !== undefined ? UNKNOWN_VALUE : '');
  }
  return env;
}

/**
 * Kubernetes' expansion of command, args and env values: `$(VAR)` of a variable defined earlier
 * becomes its value (a marker when the value is unknown), `$$` becomes `$`, and anything else stays.
 */
export function expandKubernetes(text: string, env: Env): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match, name?: string) => {
    if (match === '$$') return '$';
    if (!env.has(name!)) return match;
    const value = env.get(name!);
    return value === UNKNOWN_VALUE ? `${K8S_UNKNOWN}${name}__` : value!;
  });
}

// Marks the start of a part of a value the model does not know, e.g. `\u0003$SVC_NAME`.
const UNKNOWN_PART = '\u0003';

/** Shows a value with its markers as the spec writes them: `$(VAR)`, `$NAME`. */
function shown(text: string): string {
  if (!text.includes(K8S_UNKNOWN) && !text.includes(UNKNOWN_PART)) return text;
  return text.replace(K8S_UNKNOWNS, '$($1)').split(UNKNOWN_PART).join('');
}

/** A resolved word from text that may hold markers. */
function resolved(text: string): Resolved {
  return { text, known: !text.includes(UNKNOWN_PART) && !text.includes(K8S_UNKNOWN) };
}

// A URL: scheme, host (with markers of unknown parts), and a port that may be unknown (`:$PORT`).
const URL_PATTERN = /(?:\bjdbc:)?\b([a-z][a-z0-9+.-]*):\/\/(?:[^@\s/'"]*@)?(\[[0-9a-fA-F:]+\]|[A-Za-z0-9._${}()\u0003-]+?)(?::(\d+|\u0003\$?[A-Za-z0-9_{}]*))?(?=[/?#\s'";,]|$)/;

function baseName(program: string): string {
  return program.replace(/^.*\//, '');
}

function destinationOf(d: DefaultDestination): DestinationClass {
  switch (d) {
    case DefaultDestination.KUBERNETES_API: return DestinationClass.KUBERNETES_API;
    case DefaultDestination.EXTERNAL: return DestinationClass.EXTERNAL;
    case DefaultDestination.LOCAL: return DestinationClass.LOOPBACK;
    case DefaultDestination.CONFIGURED: return DestinationClass.IN_CLUSTER;
  }
}

function assumedFor(d: DefaultDestination, program: string): { assumed?: string } {
  switch (d) {
    case DefaultDestination.KUBERNETES_API: return { assumed: `${program}'s in-cluster config` };
    case DefaultDestination.CONFIGURED: return { assumed: `the service ${program} is configured for, assumed in the cluster` };
    default: return {};
  }
}

// How a simulated command can end, as a set of bits: next with status 0 or 1, exit, break,
// continue, return, hang. Sets of bits keep the runs free of allocation.
const N0 = 1;
const N1 = 2;
const E0 = 4;
const E1 = 8;
const B = 16;
const C = 32;
const R0 = 64;
const R1 = 128;
const H = 256;
// Status 1 of a command that is not the last of an `&&` list: `set -e` ignores it.
const Q = 512;
const NEXT = N0 | N1;
type Flows = number;
type Status = 0 | 1 | 'either';
const MAX_DEPTH = 24;
// Statements one run may evaluate: a script that calls itself in a tree would otherwise take
// exponential time. Past it the run's remaining statements may go either way, and the container is unknown.
const MAX_STEPS = 20_000;

/** One word as far as it resolves: its text (markers for unknowns) and whether it is known. */
interface Resolved { readonly text: string; readonly known: boolean }

class Program implements ContainerModel {
  public argv: string[] = [];
  public entrypoint?: { call: ModelCall; retries: boolean };
  /** Arguments given to an image's own entrypoint, which check does not know. */
  public entrypointArgs?: { image: string; args: string[] };
  public unknown?: string;
  private readonly found: ModelCall[] = [];
  private foundByKey?: Map<string, ModelCall>;
  // toolCall's answers by program and arguments, when they read no variable.
  private readonly toolCalls = new Map<string, { call: ModelCall | undefined }>();
  private varsRead = false;
  private readonly memo = new Map<string, { calls: number; ends: Set<RunEnd> }>();
  // Per run.
  private fate: (call: ModelCall) => boolean = () => false;
  private errexit = false;
  private pipefail = false;
  private functions = new Map<string, { body: ShellNode; words?: readonly string[] }>();
  // The placeholders' words of the script being run (shell-syntax.ts shapes).
  private words?: readonly string[];
  private vars: Env = new Map();
  private depth = 0;
  private steps = 0;
  // Inside a pipe: whether this command's input is empty; undefined outside pipes.
  private stdinEmpty?: boolean;
  // Whether the last command printed nothing (a failed call, a filter of empty input).
  private outputEmpty = false;
  // How many conditions (or negations) enclose what runs now: `set -e` is off inside any of them.
  private ignoreErrexit = 0;
  // What the innermost command substitution has printed so far, as far as it is known.
  private captures: Array<{ text: string; known: boolean }> = [];
  private libraryFunctions = new Map<string, LibraryFunction>();
  private unseenLibrary?: string;
  // The last simple command prints nothing (`:`, `true`, `exec`, `echo -n`): a redirect of it writes no bytes.
  private silentCommand = false;

  public constructor(private readonly env: Env, private readonly files: ReadonlyMap<string, string>) {}

  public get calls(): readonly ModelCall[] {
    return this.found;
  }

  public markUnknown(why: string): void {
    this.unknown ??= why;
  }

  public knows(program: string): boolean {
    return SHELLS.has(program) || LOCAL_PROGRAMS.names.has(program) || TOOL_BY_NAME.has(program) || DNS_TOOL_NAMES.has(program) || RUNNER_BY_NAME.has(program)
      || WRAPPER_BY_NAME.has(program) || INTERPRETER_BY_NAME.has(program);
  }

  /** Finds every call: a run where all succeed and one where all fail reach every branch the calls decide. */
  public discover(): void {
    const allSucceed = this.run(() => false);
    // A run that met no call consulted no fate: the all-fail run would be the same.
    const allFail = this.found.length === 0 ? allSucceed : this.run(() => true);
    // A run depends only on the calls it met, so both results stand for every call now known.
    const n = this.found.length;
    this.memo.set('0'.repeat(n), { calls: n, ends: allSucceed });
    this.memo.set('1'.repeat(n), { calls: n, ends: allFail });
  }

  /**
   * How runs can end when `fate` says which calls fail. A run depends only on the fates of the
   * calls it meets, so results are kept per fate of every known call: the analyzer asks the same
   * question several times per container (each mode's fate is often all-fail or all-succeed).
   */
  public simulate(fate: (call: ModelCall) => boolean): ReadonlySet<RunEnd> {
    const known = this.found.length;
    let key = '';
    for (let i = 0; i < known; i++) key += fate(this.found[i]) ? '1' : '0';
    const memo = this.memo.get(key);
    if (memo && memo.calls === known) return memo.ends;
    const ends = this.run(fate);
    // A run that met a call not known before is not kept: its key did not cover that call.
    if (this.found.length === known) this.memo.set(key, { calls: known, ends });
    return ends;
  }

  private run(fate: (call: ModelCall) => boolean): Set<RunEnd> {
    this.fate = fate;
    this.errexit = false;
    this.pipefail = false;
    this.functions = new Map();
    this.vars = new Map(this.env);
    this.depth = 0;
    this.steps = 0;
    this.ignoreErrexit = 0;
    this.stdinEmpty = undefined;
    this.outputEmpty = false;
    this.libraryFunctions = new Map();
    const ends = new Set<RunEnd>();
    if (this.entrypoint) {
      const failed = fate(this.record(this.entrypoint.call));
      ends.add(!failed ? 'ok' : this.entrypoint.retries ? 'hang' : 'fail');
      return ends;
    }
    if (this.entrypointArgs) {
      const { image, args } = this.entrypointArgs;
      const call = this.unknownProgramCall(image, args.map(resolved));
      if (!call) {
        this.markUnknown(args.length > 0 ? `it passes arguments to the entrypoint of image ${image}, which check does not know`
          : `it runs the entrypoint of image ${image}, which check does not know`);
        return new Set(['ok']);
      }
      return new Set([fate(this.record(call)) ? 'fail' : 'ok']);
    }
    if (this.argv.length === 0) return new Set(['ok']);
    this.captures = [];
    const flows = this.runArgv(this.argv.map(resolved), [], undefined);
    if (flows & H) ends.add('hang');
    if (flows & (N1 | E1 | R1)) ends.add('fail');
    if (flows & (N0 | E0 | R0 | B | C)) ends.add('ok');
    return ends;
  }

  /** The call as first found: a call met again (a loop, the next run) is the same call, whose fate is asked once. */
  private record(call: ModelCall): ModelCall {
    // Containers make a few calls, where a scan beats building a key per call; a script with
    // many gets an index.
    if (this.found.length < 32) {
      for (const known of this.found) if (sameCall(known, call)) return known;
    } else {
      this.foundByKey ??= new Map(this.found.map((known) => [callKey(known), known]));
      const existing = this.foundByKey.get(callKey(call));
      if (existing) return existing;
      this.foundByKey.set(callKey(call), call);
    }
    this.found.push(call);
    return call;
  }

  // --- Commands -----------------------------------------------------------------------------

  /** Runs one command line, already split into words. */
  private runArgv(words: Resolved[], redirects: ShellNode[], stdin: string | undefined): Flows {
    if (words.length === 0) return N0;
    if (!words[0].known) {
      this.markUnknown(`it runs a program named by ${shown(words[0].text)}, which the spec does not give`);
      return N0;
    }
    const name = baseName(words[0].text);
    const rest = words.slice(1);
    const values = rest.map((w) => w.text);
    this.noteOutput(name, rest);
    this.outputEmpty = false;
    switch (name) {
      case 'exit':
      case 'return': {
        const kind = name === 'exit' ? 'e' : 'r';
        const [zero, one] = kind === 'e' ? [E0, E1] : [R0, R1];
        if (rest[0] !== undefined && (!rest[0].known || !/^\d+$/.test(rest[0].text))) return zero | one;
        return rest[0] === undefined || Number(rest[0].text) === 0 ? zero : one;
      }
      case 'break': return B;
      case 'continue': return C;
      case 'true': case ':': return N0;
      case 'false': return N1;
      case 'set':
        this.applyShellOptions(values);
        return N0;
      case '[': case 'test': return statusFlows(testStatus(rest.filter((w, i) => !(name === '[' && i === rest.length - 1 && w.text === ']'))));
      case 'exec': {
        if (rest.length === 0) return N0;
        const flows = this.runArgv(rest, redirects, stdin);
        return ((flows & (N0 | R0)) ? E0 : 0) | ((flows & (N1 | R1)) ? E1 : 0) | (flows & ~(N0 | R0 | N1 | R1));
      }
      case 'eval': {
        const text = values.join(' ');
        return rest.every((w) => w.known) ? this.runScript(text, []) : (this.markUnknown('it evals a string the spec does not give'), N0);
      }
      case 'source': case '.': {
        const file = rest[0]?.known ? this.files.get(rest[0].text) : undefined;
        if (file !== undefined) return this.runScript(file, []);
        const library = SHELL_LIBRARIES.find((l: (typeof SHELL_LIBRARIES)[number]) => l.path.test(values[0] ?? ''));
        if (library) {
          for (const [fn, behaviour] of Object.entries(library.functions)) this.libraryFunctions.set(fn, behaviour);
          return N0;
        }
        // Its functions are unknown: calling one is what the report names.
        this.unseenLibrary ??= values[0];
        return N0;
      }
      default:
    }
    const fn = this.functions.get(name);
    if (fn && this.depth >= MAX_DEPTH) {
      this.markUnknown(`its functions call each other more than ${MAX_DEPTH} levels deep`);
      return NEXT;
    }
    if (fn) {
      const saved = this.savePositional();
      rest.forEach((w, i) => this.vars.set(String(i + 1), w.text));
      const words = this.words;
      this.words = fn.words;
      this.depth++;
      try {
        return fromReturn(this.runStmt(fn.body, false));
      } finally {
        this.depth--;
        this.words = words;
        this.restorePositional(saved);
      }
    }
    const library = this.libraryFunctions.get(name);
    if (library) return this.runLibraryFunction(name, library, rest);
    if (name === 'read') {
      // `read [-r] [-a] NAME <<< WORD`: NAME takes the here-string (an array's words split later).
      const target = rest.filter((w) => !w.text.startsWith('-')).pop();
      if (target) this.vars.set(target.text, stdin === undefined ? `${UNKNOWN_PART}$${target.text}` : stdin.replace(/\n$/, ''));
      return N0;
    }
    const runner = RUNNER_BY_NAME.get(name);
    if (runner) {
      const args = rest.filter((w) => !w.text.startsWith('-'));
      if (!runner.subcommand) return this.runArgv(rest.slice(rest.indexOf(args[0])), redirects, stdin);
      if (args[0]?.text === runner.subcommand) return this.runArgv(rest.slice(rest.indexOf(args[0]) + 1), redirects, stdin);
    }
    const wrapper = WRAPPER_BY_NAME.get(name);
    if (wrapper) {
      const flows = this.runArgv(unwrap(wrapper.skip, rest), redirects, stdin);
      // timeout(1) kills what would run forever and exits 124.
      return name === 'timeout' && (flows & H) ? (flows & ~H) | N1 : flows;
    }
    if (name === 'busybox' && rest.length > 0) return this.runArgv(rest, redirects, stdin);
    if (SHELLS.has(name)) return this.runShell(rest, redirects);
    const interpreter = INTERPRETER_BY_NAME.get(name) ?? (/^python[0-9.]*$/.test(name) ? INTERPRETER_BY_NAME.get('python') : undefined);
    if (interpreter) return this.runInterpreter(name, interpreter, rest, stdin);
    if (DNS_TOOL_NAMES.has(name)) {
      const host = rest.filter((w) => !w.text.startsWith('-')).map((w) => w.text).find((t) => t !== 'hosts' && t !== 'ahosts' && t !== 'ahostsv4');
      return this.callFlows(this.record({ program: name, host: host && shown(host), destination: DestinationClass.DNS, exchange: Exchange.DATA, transport: Transport.UDP, evidence: name }));
    }
    if ((name === 'wait-for-it' || name === 'wait-for-it.sh') && rest.some((w) => w.text === '--')) {
      // `wait-for-it HOST:PORT -- CMD`: without --strict it runs CMD after a timeout too, and
      // exits with CMD's status (vishnubob/wait-for-it wait-for-it.sh lines 175-179).
      const at = rest.findIndex((w) => w.text === '--');
      const call = this.toolCall(name, toolOf(name)!, rest.slice(0, at));
      const waited = call ? this.callFlows(this.record({ ...call, waits: true })) : N0;
      const strict = rest.slice(0, at).some((w) => w.text === '-s' || w.text === '--strict');
      if (strict && !(waited & N0)) return waited;
      return this.runArgv(rest.slice(at + 1), redirects, stdin);
    }
    const tool = toolOf(name);
    if (tool) {
      const call = this.toolCall(name, tool, rest);
      return call ? this.callFlows(this.record(tool.waits ? { ...call, waits: true } : call)) : N0;
    }
    if (GREPS.has(name) && this.stdinEmpty !== undefined) {
      // In a pipe, grep fails on empty input (what a failed call leaves) and may go either way on real output.
      this.outputEmpty = this.stdinEmpty;
      return this.stdinEmpty ? N1 : NEXT;
    }
    if (FILTERS.has(name) && this.stdinEmpty !== undefined) {
      this.outputEmpty = this.stdinEmpty;
      return N0;
    }
    if (LOCAL_PROGRAMS.names.has(name) && !(words[0].text.includes('/') && SHELL_BUILTINS.has(name))) return N0;
    const script = this.files.get(words[0].text);
    if (script !== undefined) return this.runScriptFile(script, rest);
    const call = this.unknownProgramCall(name, rest);
    if (call) return this.callFlows(this.record(call));
    this.markUnknown(this.unseenLibrary && !words[0].text.includes('/')
      ? `it runs ${shown(words[0].text)}, a function of ${shown(this.unseenLibrary)}, which is not in the input`
      : `it runs ${shown(words[0].text)}, which check does not know`);
    return N0;
  }

  /**
   * A program check does not know, whose arguments still name a peer: a URL, `host:port`, a
   * host followed by a port, or a connection flag. Inferred, and the report says from what.
   */
  public inferredCall(name: string, rest: Resolved[]): ModelCall | undefined {
    for (const w of rest) {
      const call = this.urlCall(w.text, name, `a URL in its arguments (${name})`);
      if (call) return call;
    }
    const texts = rest.map((w) => shown(w.text));
    for (let i = 0; i < texts.length; i++) {
      const flag = /^--?(host|hostname|address|addr|server|endpoint|url|db-host|database-host|ep)(=(.*))?$/.exec(texts[i]);
      const value = flag ? flag[3] ?? texts[i + 1] : undefined;
      if (value && !value.startsWith('-')) {
        const hp = splitHostPort(value.replace(/^[a-z]+:\/\//, ''));
        if (hp.host) return this.hostCall(name, hp.host, hp.port, Exchange.DATA, Transport.TCP, `its ${flag![1]} flag (${name})`);
      }
      const hostPort = /^([A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z][A-Za-z0-9.-]*|\d+\.\d+\.\d+\.\d+):(\d{2,5})$/.exec(texts[i]);
      if (hostPort) return this.hostCall(name, hostPort[1], Number(hostPort[2]), Exchange.DATA, Transport.TCP, `${texts[i]} in its arguments (${name})`);
      if (/^[a-z][a-z0-9.-]*[a-z0-9]$/.test(texts[i]) && texts[i].includes('-') && /^\d{2,5}$/.test(texts[i + 1] ?? '') && classifyHost(texts[i]) === DestinationClass.IN_CLUSTER) {
        return this.hostCall(name, texts[i], Number(texts[i + 1]), Exchange.DATA, Transport.TCP, `${texts[i]} ${texts[i + 1]} in its arguments (${name})`);
      }
    }
    return undefined;
  }

  /** A call to the service a program's env configures (PGHOST, DB_HOST, ...), else one assumed in the cluster. */
  private configuredCall(program: string, evidence: string): ModelCall {
    for (const [name, value] of this.vars) {
      if (typeof value !== 'string' || value === '' || !/(^|_)(PG|DB|DATABASE|MYSQL|REDIS|MONGO|POSTGRES|POSTGRESQL)?_?HOST$/.test(name) || name === 'KUBERNETES_SERVICE_HOST') continue;
      if (!/^(PGHOST|MYSQL_HOST|REDIS_HOST|MONGO_HOST|MONGODB_HOST|DB_HOST|DATABASE_HOST|POSTGRES_HOST|POSTGRESQL_HOST|SQL_HOST)$/.test(name)) continue;
      const hp = splitHostPort(value);
      if (hp.host) return this.hostCall(program, hp.host, hp.port, Exchange.DATA, Transport.TCP, `${evidence}, with ${name}`);
    }
    return { program, destination: DestinationClass.IN_CLUSTER, assumed: 'the service its code names, assumed in the cluster', exchange: Exchange.DATA, transport: Transport.TCP, evidence };
  }

  /** A function of a known shell library (SHELL_LIBRARIES). */
  private runLibraryFunction(name: string, behaviour: LibraryFunction, rest: Resolved[]): Flows {
    switch (behaviour) {
      case 'local': return N0;
      case 'runs-first-argument': case 'retries-first-argument': {
        const command = rest[0];
        if (!command) return N0;
        if (!command.known) { this.markUnknown(`${name} runs a command the spec does not give`); return N0; }
        const flows = this.runScript(command.text, []);
        // A bounded retry: it returns the last attempt's status.
        return subshell(flows);
      }
      default:
        this.markUnknown(`it runs ${name}, whose library is not in the input`);
        return N0;
    }
  }

  /**
   * `set` and a shell's own flags: `-e`/`+e`, and `-o NAME`/`+o NAME` for errexit and pipefail,
   * also bundled (`-euo pipefail`). Returns the index of the first argument that is no option.
   */
  private applyShellOptions(args: string[], stopAtC = false): number {
    let i = 0;
    for (; i < args.length; i++) {
      const v = args[i];
      if (!/^[-+][a-zA-Z]+$/.test(v)) break;
      if (stopAtC && v.startsWith('-') && v.includes('c')) break;
      const on = v.startsWith('-');
      if (v.includes('e')) this.errexit = on;
      if (v.endsWith('o')) {
        const option = args[++i];
        if (option === 'pipefail') this.pipefail = on;
        if (option === 'errexit') this.errexit = on;
      }
    }
    return i;
  }

  /** Inside `$(...)`: echo and printf print their words; silent builtins print nothing; anything else is unknown output. */
  private noteOutput(name: string, rest: Resolved[]): void {
    const capture = this.captures[this.captures.length - 1];
    if (!capture) return;
    if (name === 'echo' || name === 'printf') {
      const words = rest.filter((w, i) => !(i === 0 && /^-[neE]+$/.test(w.text)));
      capture.text += words.map((w) => w.text).join(' ');
      capture.known &&= words.every((w) => w.known) && (name === 'echo' || !words.some((w) => w.text.includes('%')));
    } else if (!SILENT.has(name) && !this.functions.has(name) && toolOf(name) === undefined) {
      capture.known = false;
    }
  }

  /**
   * What a program check does not know most likely calls: a peer its arguments name, or else a
   * connection URL in the container's env (DATABASE_URL and the like), which such programs read.
   */
  private unknownProgramCall(name: string, rest: Resolved[]): ModelCall | undefined {
    const named = this.inferredCall(name, rest);
    if (named) return named;
    for (const [variable, value] of this.env) {
      const call = typeof value === 'string' && URL_PATTERN.test(value) ? this.urlCall(value, name, `a URL in ${variable}`) : undefined;
      if (call) return call;
    }
    return undefined;
  }

  /** A call's statuses: failed calls make the command fail, and print nothing a script can use. */
  private callFlows(call: ModelCall): Flows {
    const failed = this.fate(call);
    this.outputEmpty = failed;
    const capture = this.captures[this.captures.length - 1];
    if (capture && !failed) capture.known = false;
    return failed ? (call.waits ? H : N1) : N0;
  }

  private runShell(rest: Resolved[], redirects: ShellNode[]): Flows {
    const saved = this.errexit;
    this.errexit = false;
    const texts = rest.map((w) => w.text);
    // Options before -c (or before the script file), then the bundle that holds c and its own options.
    let i = this.applyShellOptions(texts, true);
    const flag = rest[i]?.text ?? '';
    const bundleWithC = /^-[a-zA-Z]*c[a-zA-Z]*$/.test(flag);
    if (bundleWithC) {
      if (flag.includes('e')) this.errexit = true;
      if (flag.endsWith('o') && texts[i + 1] === 'pipefail') { this.pipefail = true; i++; }
    }
    try {
      if (bundleWithC) {
        const scriptAt = rest[i + 1]?.text === '--' ? i + 2 : i + 1;
        const script = rest[scriptAt];
        if (!script) return N0;
        if (script.text.includes(UNKNOWN_PART)) { this.markUnknown('its shell script is not in the spec'); return N0; }
        return this.runScript(script.text, rest.slice(scriptAt + 1).map((w) => w.text));
      }
      const fileWord = rest[i];
      if (fileWord === undefined || fileWord.text === '-s') {
        const heredoc = redirects.map((r) => this.stdinOf(r)).find((t) => t !== undefined);
        return heredoc !== undefined ? this.runScript(heredoc, []) : N0;
      }
      const file = fileWord.known ? this.files.get(fileWord.text) : undefined;
      if (file !== undefined) return this.runScript(file, rest.slice(i + 1).map((w) => w.text));
      this.markUnknown(`it runs the script ${shown(fileWord.text)}, which is not in the input`);
      return N0;
    } finally {
      this.errexit = saved;
    }
  }

  private runScriptFile(script: string, args: Resolved[]): Flows {
    const saved = this.errexit;
    this.errexit = /^#!.*\s-[a-z]*e/.test(script);
    try {
      return this.runScript(script, args.map((w) => w.text));
    } finally {
      this.errexit = saved;
    }
  }

  private runInterpreter(name: string, interpreter: (typeof INTERPRETERS)[number], rest: Resolved[], stdin: string | undefined): Flows {
    const inline = rest.findIndex((w) => w.text === interpreter.inline);
    // Code inline (`-c CODE`), or on stdin (`python3 - <<EOF`, or no script at all).
    const fromStdin = stdin !== undefined && (rest.some((w) => w.text === '-') || !rest.some((w) => !w.text.startsWith('-')));
    if (inline >= 0 || fromStdin) {
      const code = inline >= 0 ? rest[inline + 1]?.text ?? '' : stdin!;
      if (!interpreter.networkModules.test(code)) return N0;
      const evidence = `${name} code that uses ${interpreter.networkModules.exec(code)![0]}`;
      const call = this.urlCall(code, name, evidence) ?? this.configuredCall(name, evidence);
      return this.callFlows(this.record(call));
    }
    const moduleIndex = rest.findIndex((w) => w.text === '-m');
    const target = moduleIndex >= 0 ? rest[moduleIndex + 1]?.text : rest.find((w) => !w.text.startsWith('-'))?.text;
    if (target === undefined) return N0;
    const known = NETWORK_PYTHON_MODULES[baseName(target)];
    if (known && name.startsWith('python')) {
      const after = rest.slice(rest.findIndex((w) => w.text === target) + 1);
      if (baseName(target) === 'pip' && !after.some((w) => ['install', 'download'].includes(w.text))) return N0;
      if (after.some((w) => w.text === '--no-index')) return N0;
      return this.callFlows(this.record({
        program: `${name} ${baseName(target)}`, host: known.host, port: known.port, destination: destinationOf(known.destination), ...assumedFor(known.destination, baseName(target)),
        exchange: Exchange.DATA, transport: Transport.TCP, evidence: `${name} ${baseName(target)}`,
      }));
    }
    const script = this.files.get(target);
    if (script !== undefined && interpreter.names.includes('python') && interpreter.networkModules.test(script)) {
      const evidence = `${target}, which uses ${interpreter.networkModules.exec(script)![0]}`;
      const call = this.urlCall(script, name, evidence) ?? this.configuredCall(name, evidence);
      return this.callFlows(this.record(call));
    }
    if (script !== undefined) return N0;
    const inferred = this.unknownProgramCall(`${name} ${baseName(target)}`, rest.slice(rest.findIndex((w) => w.text === target) + 1));
    if (inferred) return this.callFlows(this.record(inferred));
    this.markUnknown(`it runs ${name} ${shown(target)}, whose code is not in the input`);
    return N0;
  }

  /**
   * The call a known network tool makes with these arguments, or undefined when it stays local.
   * Kept per arguments when it read no variable: loops and the second run ask again.
   */
  private toolCall(name: string, tool: NetworkTool, rest: Resolved[]): ModelCall | undefined {
    let key = name;
    for (const w of rest) key += `\u0000${w.text}`;
    const kept = this.toolCalls.get(key);
    if (kept) return kept.call;
    this.varsRead = false;
    const call = this.findToolCall(name, tool, rest);
    if (!this.varsRead) this.toolCalls.set(key, { call });
    return call;
  }

  private findToolCall(name: string, tool: NetworkTool, rest: Resolved[]): ModelCall | undefined {
    const texts = rest.map((w) => w.text);
    const positional = texts.filter((t) => !t.startsWith('-'));
    const sub = positional.slice(0, 2).join(' ');
    if (tool.localFlags?.some((f) => texts.includes(f) || texts.some((t) => t.startsWith(`${f}=`)))) return undefined;
    const remote = tool.networkFlags?.some((f) => texts.includes(f) || texts.some((t) => t.startsWith(`${f}=`))) || texts.some((t) => /^(oci|https?):\/\//.test(t));
    if (!remote && tool.localSubcommands?.some((s) => sub === s || positional[0] === s || texts[0] === s)) return undefined;
    if (tool.networkSubcommands && !tool.networkSubcommands.some((s) => sub.startsWith(s) || positional[0] === s || texts.includes(s))) return undefined;
    if (texts.length === 0 && ['git', 'aws', 'kubectl', 'helm', 'pip', 'pip3'].includes(name)) return undefined;
    // Short flags bundle, and a bundle may end in a value (`nc -zw1`): the letters before the first digit count.
    const inBundle = (f: string) => f.length === 2 && texts.some((t) => /^-[a-zA-Z]/.test(t) && !t.startsWith('--') && /^-[a-zA-Z]*/.exec(t)![0].includes(f[1]));
    const udp = tool.udpFlags?.some((f) => texts.includes(f) || inBundle(f));
    const connect = tool.connectFlags?.some((f) => texts.includes(f) || inBundle(f));
    const exchange = connect ? Exchange.CONNECT : tool.exchange;
    const transport = name === 'ping' ? Transport.ICMP : udp ? Transport.UDP : Transport.TCP;
    let host: string | undefined;
    let port: number | undefined;
    const flagValue = (flags: readonly string[] | undefined) => {
      if (!flags) return undefined;
      for (let i = 0; i < texts.length; i++) {
        for (const f of flags) {
          if (texts[i] === f) return texts[i + 1];
          if (texts[i].startsWith(`${f}=`)) return texts[i].slice(f.length + 1);
          if (f.length === 2 && !f.startsWith('--') && texts[i].startsWith(f) && texts[i].length > 2 && !texts[i].startsWith('--')) return texts[i].slice(2);
        }
      }
      return undefined;
    };
    const hostFlag = flagValue(tool.hostFlags);
    const portFlag = flagValue(tool.portFlags);
    // A URL anywhere in the arguments names the target best.
    const urlWord = texts.find((t) => t.includes('://') && URL_PATTERN.test(t));
    if (urlWord) {
      const call = this.urlCall(urlWord, name, name, exchange);
      if (call === null) return undefined; // a local scheme
      if (call) return { ...call, transport };
    }
    if (hostFlag !== undefined) {
      const hp = splitHostPort(hostFlag.replace(/^[a-z]+:\/\//, '').split(',')[0]);
      host = hp.host;
      port = hp.port;
    }
    if (portFlag !== undefined && /^\d+$/.test(portFlag)) port = Number(portFlag);
    if (host === undefined && tool.positional === 'host-port') {
      const args = positionalAfterFlags(texts, ['-w', '-W', '-i', '-p', '-s', '-q', '-c', '-x', '-X', '-e', '-o', '-I', '-O', '-T', '-g', '-G', '-P']);
      host = args[0];
      if (args[1] !== undefined && /^\d+(-\d+)?$/.test(args[1])) port = Number(args[1].split('-')[0]);
    }
    if (host === undefined && tool.positional === 'host:port') {
      const hp = positional.find((t) => /^[^:/\s]+:\d+$/.test(t));
      if (hp) ({ host, port } = splitHostPort(hp));
    }
    if (host === undefined && (tool.positional === 'url') && ['curl', 'wget', 'http', 'https', 'xh'].includes(name)) {
      const bare = positional.find((t) => /^[A-Za-z0-9.-]+(:\d+)?(\/|$)/.test(t) && !t.startsWith('/'));
      if (bare) {
        ({ host, port } = splitHostPort(bare.split('/')[0]));
        port ??= 80;
      }
    }
    if (host === undefined && tool.hostEnv) {
      this.varsRead = true;
      const fromEnv = tool.hostEnv.map((v) => this.vars.get(v)).find((v) => v !== undefined);
      if (fromEnv) ({ host, port: port } = { host: splitHostPort(fromEnv.replace(/^[a-z]+:\/\//, '')).host, port: port ?? splitHostPort(fromEnv.replace(/^[a-z]+:\/\//, '')).port });
      if (fromEnv === UNKNOWN_VALUE) host = `$${tool.hostEnv!.find((v) => this.vars.get(v) === UNKNOWN_VALUE)}`;
    }
    if (port === undefined && tool.portEnv) {
      this.varsRead = true;
      const p = tool.portEnv.map((v) => this.vars.get(v)).find((v) => typeof v === 'string' && /^\d+$/.test(v));
      if (p) port = Number(p);
    }
    port ??= tool.defaultPort;
    if (host === undefined && tool.destination === DefaultDestination.CONFIGURED) {
      // A program configured for a service usually reads its URL from env (FLYWAY_URL, DATABASE_URL, ...).
      this.varsRead = true;
      for (const [variable, value] of this.vars) {
        if (typeof value !== 'string' || variable === 'KUBERNETES_SERVICE_HOST') continue;
        const call = value.includes('://') && URL_PATTERN.test(value) ? this.urlCall(value, name, `${name}, with the URL in ${variable}`, exchange) : undefined;
        if (call) return { ...call, transport };
      }
    }
    if (host === undefined && tool.destination === DefaultDestination.LOCAL) {
      return { program: name, host: 'localhost', port, destination: DestinationClass.LOOPBACK, exchange, transport, evidence: name };
    }
    if (host === undefined) {
      return {
        program: name, host: tool.defaultHost, port, destination: destinationOf(tool.destination), ...assumedFor(tool.destination, name), exchange, transport, evidence: name,
      };
    }
    return this.hostCall(name, shown(host), port, exchange, transport, name);
  }

  private hostCall(program: string, host: string, port: number | undefined, exchange: Exchange, transport: Transport, evidence: string): ModelCall {
    const unknownHost = host.includes('$');
    const destination = unknownHost ? DestinationClass.UNKNOWN : classifyHost(host);
    if (destination === DestinationClass.UNKNOWN) {
      return { program, host, port, destination: DestinationClass.IN_CLUSTER, assumed: `${host} is not in the spec; assumed in the cluster`, exchange, transport, evidence };
    }
    return { program, host, port, destination, exchange, transport, evidence };
  }

  /** The call a URL names, null for a local scheme (file://), undefined for no URL. */
  private urlCall(text: string, program: string, evidence: string, exchange: Exchange = Exchange.DATA): ModelCall | null | undefined {
    const match = URL_PATTERN.exec(text);
    if (!match) return undefined;
    const scheme = match[1].toLowerCase();
    if (LOCAL_SCHEMES.has(scheme)) return null;
    if (!(scheme in SCHEME_PORTS)) return undefined;
    const provider = PROVIDER_SCHEMES[scheme];
    if (provider) {
      return { program, host: provider, port: 443, destination: DestinationClass.EXTERNAL, exchange: Exchange.DATA, transport: Transport.TCP, evidence: `${evidence}: ${scheme}://` };
    }
    const host = shown(match[2]);
    const port = match[3] ? (/^\d+$/.test(match[3]) ? Number(match[3]) : undefined) : SCHEME_PORTS[scheme];
    const tcpOnly = scheme === 'tcp' ? Exchange.CONNECT : exchange;
    return this.hostCall(program, host, port, tcpOnly, Transport.TCP, evidence);
  }

  // --- Scripts -------------------------------------------------------------------------------

  private runScript(script: string, positional: string[]): Flows {
    if (this.depth >= MAX_DEPTH) return N0;
    const file = parseShell(script);
    if (file instanceof Error) {
      this.markUnknown(`its script does not parse (${file.message})`);
      return N0;
    }
    const saved = this.savePositional();
    positional.forEach((p, i) => this.vars.set(String(i), p));
    const words = this.words;
    this.words = file.words;
    this.depth++;
    try {
      return this.runStmts(file.Stmts, false);
    } finally {
      this.depth--;
      this.words = words;
      this.restorePositional(saved);
    }
  }

  /** Takes the positional parameters out of the variables, to be put back by restorePositional. */
  private savePositional(): Array<[string, string | null]> {
    const saved: Array<[string, string | null]> = [];
    for (let i = 0; this.vars.has(String(i)); i++) {
      saved.push([String(i), this.vars.get(String(i))!]);
      this.vars.delete(String(i));
    }
    return saved;
  }

  private restorePositional(saved: Array<[string, string | null]>): void {
    for (let i = 0; this.vars.has(String(i)); i++) this.vars.delete(String(i));
    for (const [k, v] of saved) this.vars.set(k, v);
  }

  private runStmts(stmts: ShellNode[], checked: boolean): Flows {
    let current: Flows = N0;
    for (const stmt of stmts) {
      if (!(current & NEXT)) break;
      current = (current & ~NEXT) | this.runStmt(stmt, checked);
    }
    return current;
  }

  private runStmt(stmt: ShellNode, checked: boolean): Flows {
    if (++this.steps > MAX_STEPS) {
      this.markUnknown(`its script takes more than ${MAX_STEPS} steps to follow`);
      return NEXT;
    }
    const negated = Boolean(stmt.Negated);
    // bash ignores `set -e` in a condition, a negation, and everything they run, functions included.
    const ignoring = checked || negated;
    if (ignoring) this.ignoreErrexit++;
    let flows: Flows;
    try {
      flows = this.runCommand(stmt.Cmd, ignoring, stmt.Redirs ?? []);
      flows = this.redirectCalls(stmt.Redirs ?? [], flows);
    } finally {
      if (ignoring) this.ignoreErrexit--;
    }
    if (!ignoring && this.errexit && this.ignoreErrexit === 0 && (flows & N1)) flows = (flows & ~N1) | E1;
    if (flows & Q) flows = (flows & ~Q) | N1;
    if (negated) flows = (flows & ~NEXT) | ((flows & N0) ? N1 : 0) | ((flows & N1) ? N0 : 0);
    // A background job: its status is not waited for.
    if (stmt.Background) flows = (flows & ~(NEXT | E0 | E1 | R0 | R1 | H | B | C)) | N0;
    // `$?` for the next command: known when the status is.
    if (flows & NEXT) this.vars.set('?', (flows & NEXT) === N0 ? '0' : (flows & NEXT) === N1 ? '1' : `${UNKNOWN_PART}$?`);
    return flows;
  }

  /** bash's /dev/tcp and /dev/udp redirections open connections. */
  private redirectCalls(redirects: ShellNode[], flows: Flows): Flows {
    for (const r of redirects) {
      const target = r.Word ? this.word(r.Word).text : '';
      const m = /^\/dev\/(tcp|udp)\/([^/]+)\/(\d+)$/.exec(target);
      if (!m) continue;
      // Opened for writing by a command that prints something, bytes go out (a protocol exchange);
      // opened for reading, or by `:`, `true`, `exec` or a bare `echo -n`, it is a bare connect.
      const writes = shellOperators().writes.includes(r.Op) && !this.silentCommand ? Exchange.DATA : Exchange.CONNECT;
      const call = this.hostCall('/dev/' + m[1], shown(m[2]), Number(m[3]), writes, m[1] === 'udp' ? Transport.UDP : Transport.TCP, `/dev/${m[1]}`);
      if (this.fate(this.record(call))) return N1;
    }
    return flows;
  }

  private runCommand(cmd: ShellNode, checked: boolean, redirects: ShellNode[]): Flows {
    if (!cmd) return N0;
    const ops = shellOperators();
    switch (nodeType(cmd)) {
      case 'CallExpr': return this.runCall(cmd, redirects);
      case 'BinaryCmd': {
        if (cmd.Op === ops.and || cmd.Op === ops.or) {
          const left = this.runStmt(cmd.X, true);
          const goOn = cmd.Op === ops.and ? N0 : N1;
          const stop = cmd.Op === ops.and ? N1 : N0;
          // A failure before the last command of the list leaves the list failed, but not for `set -e`.
          let out = (left & ~NEXT) | ((left & stop) ? (stop === N1 ? Q : N0) : 0);
          if (left & goOn) out |= this.runStmt(cmd.Y, checked);
          return out;
        }
        // A pipeline: each side runs in a subshell; its status is the last's, or the worst with pipefail.
        // What the right side reads is empty when the left side failed on every path (a failed call
        // prints nothing) or passed on empty input.
        const input = this.stdinEmpty;
        const left = subshell(this.runStmt(cmd.X, true));
        this.stdinEmpty = this.outputEmpty || !(left & N0);
        const right = subshell(this.runStmt(cmd.Y, true));
        this.stdinEmpty = input;
        if (!this.pipefail) return right;
        // Either side's failure fails the pipeline; its success needs both.
        return (right & ~N0) | ((left & N1) ? N1 : 0) | ((right & N0) && (left & N0) ? N0 : 0) | (left & H);
      }
      case 'IfClause': return this.runIf(cmd, checked);
      case 'WhileClause': {
        const until = Boolean(cmd.Until);
        const cond = this.runStmts(cmd.Cond, true);
        let out = cond & ~NEXT;
        const leave = until ? N0 : N1;
        const stay = until ? N1 : N0;
        if (cond & leave) out |= N0;
        if (cond & stay) {
          const body = this.runStmts(cmd.Do, false);
          if (body & B) out |= N0;
          out |= body & (E0 | E1 | R0 | R1 | H);
          // The condition once more, with what the body changed (a counter becomes unknown): a loop
          // that can only go round, even then, never ends.
          const again = (body & (NEXT | C)) ? this.runStmts(cmd.Cond, true) : 0;
          out |= again & (E0 | E1 | R0 | R1 | H);
          if (again & leave) out |= N0;
          if ((body & (NEXT | C)) && !(cond & leave) && !(again & leave)) out |= H;
        }
        return out;
      }
      case 'ForClause': {
        // `for NAME in WORDS`: the body once per word, up to a few, with NAME bound; else once, NAME unknown.
        const loop = cmd.Loop;
        const name = loop && nodeType(loop) === 'WordIter' && loop.Name ? wordOf(loop.Name.Value, this.words) : undefined;
        const items: Resolved[] = name && loop.Items ? loop.Items.flatMap((w: ShellNode) => this.fields(w)) : [];
        const values = items.length > 0 && items.length <= 8 && items.every((w) => w.known) ? items.map((w) => w.text) : [undefined];
        let body: Flows = 0;
        for (const value of values) {
          if (name) this.vars.set(name, value ?? `${UNKNOWN_PART}$${name}`);
          body |= this.runStmts(cmd.Do, false);
        }
        return N0 | (body & (N1 | E0 | E1 | R0 | R1 | H));
      }
      case 'CaseClause': {
        const word = this.word(cmd.Word);
        let out: Flows = 0;
        let matched = false;
        for (const item of cmd.Items) {
          const patterns: Resolved[] = item.Patterns.map((p: ShellNode) => this.word(p));
          const fits = word.known && patterns.every((p) => p.known) ? patterns.some((p) => globMatch(p.text, word.text)) : undefined;
          if (fits === false) continue;
          out |= this.runStmts(item.Stmts, checked);
          if (fits === true) { matched = true; break; }
        }
        if (!matched) out |= N0;
        return out;
      }
      case 'Block': return this.runStmts(cmd.Stmts, checked);
      case 'Subshell': return subshell(this.runStmts(cmd.Stmts, checked));
      case 'FuncDecl':
        this.functions.set(wordOf(cmd.Name.Value, this.words), { body: cmd.Body, words: this.words });
        return N0;
      case 'DeclClause': {
        for (const a of cmd.Args ?? []) this.assign(a);
        return N0;
      }
      case 'TimeClause': return cmd.Stmt ? this.runStmt(cmd.Stmt, checked) : N0;
      case 'TestClause': return statusFlows(this.testExpression(cmd.X));
      case 'ArithmCmd': return NEXT;
      default: return N0;
    }
  }

  /** What a here-document or here-string feeds the command, resolved as the shell does. */
  private stdinOf(redirect: ShellNode): string | undefined {
    const ops = shellOperators();
    if (redirect.Op === ops.herestring) return redirect.Word ? this.word(redirect.Word).text : undefined;
    if (redirect.Op !== ops.heredoc && redirect.Op !== ops.heredocTabs) return undefined;
    return redirect.Hdoc ? this.word(redirect.Hdoc).text : '';
  }

  /** `[[ ... ]]` with known operands: -n, -z, !, ==, =, !=, && and ||; anything else either way. */
  private testExpression(x: ShellNode): Status {
    if (!x) return 'either';
    const ops = shellOperators();
    const type = nodeType(x);
    if (type === 'Word') { const w = this.word(x); return w.known ? (w.text !== '' ? 0 : 1) : 'either'; }
    if (type === 'ParenTest') return this.testExpression(x.X);
    if (type === 'UnaryTest') {
      if (x.Op === ops.testNot) { const s = this.testExpression(x.X); return s === 'either' ? s : s === 0 ? 1 : 0; }
      const w = nodeType(x.X) === 'Word' ? this.word(x.X) : { text: '', known: false };
      if (!w.known) return 'either';
      if (x.Op === ops.testNonEmpty) return w.text !== '' ? 0 : 1;
      if (x.Op === ops.testEmpty) return w.text === '' ? 0 : 1;
      return 'either';
    }
    if (type === 'BinaryTest') {
      if (x.Op === ops.testAnd || x.Op === ops.testOr) {
        const a = this.testExpression(x.X);
        const b = this.testExpression(x.Y);
        if (x.Op === ops.testAnd) return a === 1 || b === 1 ? 1 : a === 0 && b === 0 ? 0 : 'either';
        return a === 0 || b === 0 ? 0 : a === 1 && b === 1 ? 1 : 'either';
      }
      const a = nodeType(x.X) === 'Word' ? this.word(x.X) : { text: '', known: false };
      const b = nodeType(x.Y) === 'Word' ? this.word(x.Y) : { text: '', known: false };
      if (!a.known || !b.known || /[*?[]/.test(b.text)) return 'either';
      if (ops.testEquals.includes(x.Op)) return a.text === b.text ? 0 : 1;
      if (x.Op === ops.testNotEquals) return a.text !== b.text ? 0 : 1;
    }
    return 'either';
  }

  private runIf(cmd: ShellNode, checked: boolean): Flows {
    if (!cmd.Cond || cmd.Cond.length === 0) return this.runStmts(cmd.Then ?? [], checked); // a plain else
    const cond = this.runStmts(cmd.Cond, true);
    let out = cond & ~NEXT;
    if (cond & N0) out |= this.runStmts(cmd.Then ?? [], checked);
    if (cond & N1) out |= cmd.Else ? this.runIf(cmd.Else, checked) : N0;
    return out;
  }

  private runCall(cmd: ShellNode, redirects: ShellNode[]): Flows {
    const substStatus = { flows: 0 };
    const words: Resolved[] = [];
    for (const w of cmd.Args ?? []) words.push(...this.fields(w, substStatus));
    const assigns = cmd.Assigns ?? [];
    if (words.length === 0) {
      this.silentCommand = true;
      for (const a of assigns) this.assign(a, substStatus);
      return substStatus.flows || N0;
    }
    // `:`, `true`, `exec`, a bare `echo -n`, or `cat </dev/null` write no bytes through a redirect.
    const readsNothing = () => redirects.some((r) => !shellOperators().writes.includes(r.Op) && r.Word && this.word(r.Word).text === '/dev/null');
    this.silentCommand = [':', 'true', 'exec'].includes(words[0].text) || (words[0].text === 'echo' && words.slice(1).every((w) => w.text === '-n'))
      || (words[0].text === 'cat' && words.length === 1 && readsNothing());
    // Prefix assignments apply to this command only.
    const saved = assigns.length > 0 ? new Map(this.vars) : this.vars;
    for (const a of assigns) this.assign(a);
    const stdin = redirects.map((r) => this.stdinOf(r)).find((t) => t !== undefined);
    try {
      return this.runArgv(words, redirects, stdin);
    } finally {
      if (assigns.length > 0) this.vars = saved;
    }
  }

  private assign(a: ShellNode, statuses?: { flows: Flows }): void {
    const name = a.Name?.Value === undefined ? undefined : wordOf(a.Name.Value, this.words);
    if (!name) return;
    if (!a.Value) { if (!a.Naked) this.vars.set(name, ''); return; }
    this.vars.set(name, this.word(a.Value, statuses).text);
  }

  // --- Words ---------------------------------------------------------------------------------

  /** A word as fields: unquoted expansions of known values split on spaces, as the shell does. */
  private fields(word: ShellNode, statuses?: { flows: Flows }): Resolved[] {
    const parts = word.Parts ?? [];
    const inner = parts.length === 1 && nodeType(parts[0]) === 'DblQuoted' && parts[0].Parts?.length === 1 ? parts[0].Parts[0] : undefined;
    const allElements = inner && nodeType(inner) === 'ParamExp' && inner.Index && nodeType(inner.Index) === 'Word' && (inner.Index.Parts ?? []).map((p: ShellNode) => p.Value).join('') === '@';
    const splittable = (parts.length === 1 && nodeType(parts[0]) === 'ParamExp') || allElements;
    const w = this.word(word, statuses);
    if (splittable) return w.text.split(/\s+/).filter((t) => t.length > 0).map(resolved);
    return [w];
  }

  private word(word: ShellNode, statuses?: { flows: Flows }): Resolved {
    let text = '';
    let known = true;
    for (const part of word?.Parts ?? []) {
      const r = this.part(part, statuses);
      text += r.text;
      known &&= r.known;
    }
    return { text, known: known && !text.includes(K8S_UNKNOWN) && !text.includes(UNKNOWN_PART) };
  }

  private part(part: ShellNode, statuses?: { flows: Flows }): Resolved {
    switch (nodeType(part)) {
      case 'Lit': return resolved(wordOf(String(part.Value), this.words));
      case 'SglQuoted': return resolved(String(part.Value));
      case 'DblQuoted': {
        let text = '';
        for (const p of part.Parts ?? []) text += this.part(p, statuses).text;
        return resolved(text);
      }
      case 'ParamExp': {
        const name = part.Param?.Value ?? '';
        const ops = shellOperators();
        const value = this.vars.has(name) ? this.vars.get(name) : UNKNOWN_VALUE;
        const unknownText = { text: `${UNKNOWN_PART}$${name}`, known: false };
        if (part.Length) return value === UNKNOWN_VALUE || value!.includes(UNKNOWN_PART) ? unknownText : { text: String(value!.length), known: true };
        const op = part.Exp?.Op;
        if (op !== undefined && ops.defaults.includes(op)) {
          if (value === UNKNOWN_VALUE && !this.vars.has(name)) return this.word(part.Exp.Word, statuses);
          if (value === '' && (op === ops.defaults[0] || op === ops.defaults[2])) return this.word(part.Exp.Word, statuses);
          return value === UNKNOWN_VALUE ? unknownText : resolved(value!);
        }
        if (op !== undefined && ops.alternates.includes(op)) return value === UNKNOWN_VALUE ? unknownText : value ? this.word(part.Exp.Word, statuses) : { text: '', known: true };
        const index = part.Index && nodeType(part.Index) === 'Word' ? (part.Index.Parts ?? []).map((p: ShellNode) => p.Value).join('') : undefined;
        const plain = (op === undefined || ops.required.includes(op)) && !part.Repl && !part.Slice && (part.Index === null || part.Index === undefined || index === '@' || index === '*');
        if (value === UNKNOWN_VALUE || !plain) return unknownText;
        return resolved(value!);
      }
      case 'CmdSubst': {
        this.captures.push({ text: '', known: true });
        const flows = subshell(this.runStmts(part.Stmts ?? [], true));
        const capture = this.captures.pop()!;
        if (statuses) statuses.flows |= ((flows & N1) ? N1 : 0) | ((flows & ~N1) ? N0 : 0);
        // Known when it only echoed known words, or when the call it made failed and printed nothing.
        return capture.known ? resolved(capture.text) : { text: `${UNKNOWN_PART}$(...)`, known: false };
      }
      case 'ArithmExp': return { text: `${UNKNOWN_PART}$((...))`, known: false };
      default: return { text: `${UNKNOWN_PART}?`, known: false };
    }
  }
}

// Names that are only shell builtins: a file of that name (`/bin/declare`) is some other program.
const SHELL_BUILTINS = new Set(['declare', 'local', 'export', 'readonly', 'typeset', 'source', '.', 'eval', 'let', 'exit', 'return', 'break', 'continue',
  'set', 'unset', 'shift', 'read', 'getopts', 'alias', 'cd', 'wait', 'trap', 'umask', 'ulimit', 'type', 'hash']);

// grep and its kin: status 1 when nothing matches, so on empty input (grep(1), POSIX.1-2017).
const GREPS = new Set(['grep', 'egrep', 'fgrep', 'zgrep', 'rg']);
// Filters that print nothing from empty input, and succeed.
const FILTERS = new Set(['head', 'tail', 'sed', 'tr', 'cut', 'sort', 'uniq', 'tee', 'awk', 'gawk', 'jq', 'yq', 'xargs', 'cat', 'base64', 'rev', 'column', 'fold']);

// Builtins and programs that print nothing a command substitution would capture.
const SILENT = new Set(['true', 'false', ':', 'sleep', 'test', '[', 'mkdir', 'cd', 'export', 'local', 'declare', 'readonly', 'set', 'read', 'shift', 'unset',
  'exit', 'return', 'break', 'continue', 'chmod', 'chown', 'cp', 'mv', 'rm', 'ln', 'touch', 'trap', 'wait', 'umask']);


// The tables by program name, for the lookups every command makes.
const byName = <T extends { readonly names: readonly string[] }>(rows: readonly T[]) => new Map(rows.flatMap((row) => row.names.map((n) => [n, row] as [string, T])));
const TOOL_BY_NAME = byName(NETWORK_TOOLS);
const WRAPPER_BY_NAME = byName(WRAPPERS);
const RUNNER_BY_NAME = byName(RUNNERS);
const INTERPRETER_BY_NAME = byName(INTERPRETERS);
const DNS_TOOL_NAMES = new Set(DNS_TOOLS.flatMap((t) => t.names));

function sameCall(a: ModelCall, b: ModelCall): boolean {
  return a.program === b.program && (a.host ?? '') === (b.host ?? '') && (a.port ?? '') === (b.port ?? '') && a.destination === b.destination
    && a.transport === b.transport && a.exchange === b.exchange;
}

function callKey(call: ModelCall): string {
  return `${call.program}|${call.host ?? ''}|${call.port ?? ''}|${call.destination}|${call.transport}|${call.exchange}`;
}

function toolOf(name: string): NetworkTool | undefined {
  return TOOL_BY_NAME.get(name);
}

/** What a function call gives its caller: a return becomes a status. */
function fromReturn(flows: Flows): Flows {
  return ((flows & R0) ? N0 : 0) | ((flows & R1) ? N1 : 0) | (flows & ~(R0 | R1));
}

/** What a subshell gives its parent: exit and return become a status. */
function subshell(flows: Flows): Flows {
  return ((flows & (N0 | E0 | R0 | B | C)) ? N0 : 0) | ((flows & (N1 | E1 | R1)) ? N1 : 0) | (flows & H);
}

function statusFlows(status: Status): Flows {
  return status === 'either' ? NEXT : status === 0 ? N0 : N1;
}

/** `test` / `[` with known operands; anything about files or unknown values may go either way. */
function testStatus(args: Resolved[]): Status {
  if (args.some((a) => !a.known)) {
    // `[ -n "$X" ]` on an unknown value: set values are usually non-empty, but the model cannot say.
    return 'either';
  }
  const t = args.map((a) => a.text);
  if (t[0] === '!') { const s = testStatus(args.slice(1)); return s === 'either' ? s : s === 0 ? 1 : 0; }
  if (t.length === 0) return 1;
  if (t.length === 1) return t[0] !== '' ? 0 : 1;
  if (t.length === 2) {
    if (t[0] === '-z') return t[1] === '' ? 0 : 1;
    if (t[0] === '-n') return t[1] !== '' ? 0 : 1;
    return 'either';
  }
  if (t.length === 3) {
    const [a, op, b] = t;
    if (op === '=' || op === '==') return a === b ? 0 : 1;
    if (op === '!=') return a !== b ? 0 : 1;
    const x = Number(a);
    const y = Number(b);
    if (Number.isFinite(x) && Number.isFinite(y) && /^-(eq|ne|lt|le|gt|ge)$/.test(op)) {
      const r = { '-eq': x === y, '-ne': x !== y, '-lt': x < y, '-le': x <= y, '-gt': x > y, '-ge': x >= y }[op]!;
      return r ? 0 : 1;
    }
  }
  return 'either';
}

function globMatch(pattern: string, text: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(text);
}

function unwrap(skip: 'flags' | 'flags-and-first' | 'assignments', rest: Resolved[]): Resolved[] {
  let i = 0;
  if (skip === 'assignments') {
    while (i < rest.length && (rest[i].text.startsWith('-') || /^[A-Za-z_][A-Za-z0-9_]*=/.test(rest[i].text))) i++;
    return rest.slice(i);
  }
  while (i < rest.length && rest[i].text.startsWith('-')) {
    // Flags with a value: `timeout -s KILL 10 cmd`, `sudo -u user cmd`, `xargs -n 1 cmd`.
    i += /^-(s|k|u|g|n|I|L|P|d|c)$/.test(rest[i].text) ? 2 : 1;
  }
  return rest.slice(skip === 'flags-and-first' ? i + 1 : i);
}

function positionalAfterFlags(texts: string[], flagsWithValue: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < texts.length; i++) {
    if (texts[i].startsWith('-')) {
      if (flagsWithValue.includes(texts[i])) i++;
      continue;
    }
    out.push(texts[i]);
  }
  return out;
}

function splitHostPort(text: string): { host?: string; port?: number } {
  const v6 = /^\[([0-9a-fA-F:]+)\](?::(\d+))?$/.exec(text);
  if (v6) return { host: v6[1], port: v6[2] ? Number(v6[2]) : undefined };
  const m = /^([^:/]*)(?::(\d+))?/.exec(text);
  return { host: m?.[1] || undefined, port: m?.[2] ? Number(m[2]) : undefined };
}
