import { k8s } from 'cdk8s-plus-28';
import { literalForKubernetes } from '../common/checks';
import { SecretKeyReference } from '../common/secret-key-reference';
import { ResolvedWaiterSettings, WAITER_SCRIPT_PATH, waiterEnv } from '../startup/waiter';
import { secretEnv } from './pod-helpers';
import { UiAuthentication } from './ui-authentication';
import { IVllmEndpoint } from './vllm-endpoint';

// h2oGPT's command line and environment, as pure functions of checked props: where the image's
// program reads and writes, how it finds its vLLM servers, and how a wait in its container runs.
// The facts are in docs/app-facts.md.

/** h2oGPT's command, as its image runs it. */
export const H2OGPT_COMMAND: readonly string[] = Object.freeze(['python3', '/workspace/generate.py']);

/** The image's HOME and working directory; h2oGPT writes relative paths under it. */
const WORKSPACE = '/workspace';
export const SAVE_DIR = `${WORKSPACE}/save`;
/**
 * h2oGPT's working directory: writable, with a link to each entry of /workspace, so relative reads
 * (h2o-logo.svg, src/...) find the image's files and relative writes land on a volume.
 */
export const WORKING_DIR = '/run/h2ogpt';
/** Where library caches (XDG_CACHE_HOME) are written. */
const WRITABLE_CACHE = '/var/cache/h2ogpt';
/** Where the image keeps Playwright's browsers: `playwright install` ran with HOME=/workspace. */
const IMAGE_PLAYWRIGHT_BROWSERS = `${WORKSPACE}/.cache/ms-playwright`;
export const AUTH_FILE_NAME = 'auth.json';
/** The per-user state folder (a writable mount), and h2oGPT's copy of the users file in it. */
const USERS_DIR = `${WORKSPACE}/users`;
export const WRITABLE_AUTH_FILE = `${USERS_DIR}/${AUTH_FILE_NAME}`;
/** The init container that links the working directory and copies the users file from the Secret. */
export const WORKSPACE_INIT_CONTAINER = 'prepare-workspace';

/**
 * Where h2oGPT writes, each backed by a mount because the root file system is read-only
 * (docs/app-facts.md §5). Relative paths resolve in the working directory, which is a writable
 * folder of links to /workspace's entries (see WORKING_DIR); the mounts keep the absolute paths
 * /workspace/<name> writable too.
 */
export const WRITABLE_PATHS: Array<{ volume: string; subPath: string; mountPath: string }> = [
  // Library caches go to XDG_CACHE_HOME, off ~/.cache, so that the image's ~/.cache/ms-playwright
  // (Playwright's browsers, installed there at build time) stays visible.
  { volume: 'home', subPath: 'cache', mountPath: WRITABLE_CACHE },
  // ~/.config: matplotlib (MPLCONFIGDIR) and other ~/.config users.
  { volume: 'home', subPath: 'config', mountPath: `${WORKSPACE}/.config` },
  // Per-user state, the shared and per-user document databases, and llamacpp_path (made at start).
  { volume: 'state', subPath: 'users', mountPath: `${WORKSPACE}/users` }, // USERS_DIR
  { volume: 'state', subPath: 'db_nonusers', mountPath: `${WORKSPACE}/db_nonusers` },
  { volume: 'state', subPath: 'db_dir_UserData', mountPath: `${WORKSPACE}/db_dir_UserData` },
  { volume: 'state', subPath: 'llamacpp_path', mountPath: `${WORKSPACE}/llamacpp_path` },
  // Document database and client locks (locks/db_*.lock, locks/gradio_client.lock, the OpenAI
  // server's locks/user_*.lock) and chat exports (chats/chats_<uuid>.json); the /tmp fallback
  // catches PermissionError only, never a read-only file system.
  { volume: 'state', subPath: 'locks', mountPath: `${WORKSPACE}/locks` },
  { volume: 'state', subPath: 'chats', mountPath: `${WORKSPACE}/chats` },
  // h2oGPT's working directory: flagged_data_points/ (Gradio's CSVLogger makes it at start),
  // data_<date>_<host>.zip (the zip button) and any other relative write land here.
  { volume: 'state', subPath: 'workdir', mountPath: WORKING_DIR },
];

// Defaults a user may override through `settings`: they point h2oGPT's writes at the mounts.
const DEFAULT_SETTINGS: { [key: string]: string } = {
  // auth.json is written in the working directory when auth is on; keep it with the user state.
  H2OGPT_AUTH_FILENAME: `${WORKSPACE}/users/auth.json`,
};

// Without a wait, h2oGPT after August 2024 drops an unreachable model for good unless told to fail
// (gen.py fail_if_invalid_client); failing lets the kubelet restart it. Older images, the pinned
// 0.2.1 included, ignore H2OGPT_* variables that name no generate.py argument (utils.H2O_Fire).
const NO_WAIT_SETTINGS: { [key: string]: string } = { H2OGPT_FAIL_IF_INVALID_CLIENT: 'True' };

/**
 * The workspace's preparation, as `sh -c` with its paths as arguments: a link in the working
 * directory for each entry of /workspace that has none yet (a restart keeps what h2oGPT wrote),
 * then the users file's copy.
 */
export function workspaceInitCommand(authFile?: { readonly from: string; readonly to: string }): string[] {
  const script = [
    'set -eu',
    'for entry in "$1"/* "$1"/.[!.]* "$1"/..?*; do',
    '  name=${entry##*/}',
    '  if { [ -e "$entry" ] || [ -L "$entry" ]; } && [ ! -e "$2/$name" ] && [ ! -L "$2/$name" ]; then ln -s "$entry" "$2/$name"; fi',
    'done',
    'if [ $# -eq 4 ]; then cat "$3" > "$4"; fi',
  ].join('\n');
  return ['sh', '-c', script, WORKSPACE_INIT_CONTAINER, WORKSPACE, WORKING_DIR, ...(authFile ? [authFile.from, authFile.to] : [])];
}

/**
 * h2oGPT's login from a file (gen.py): `auth` names the file, `auth_access=closed` admits only its
 * users, `auth_freeze` keeps the UI's later state out of it (login still writes it: the writable
 * copy), and an empty `guest_name` allows no guest.
 */
function authenticationEnv(authentication: UiAuthentication | undefined): k8s.EnvVar[] {
  if (!authentication) return [];
  const file = WRITABLE_AUTH_FILE;
  return [
    { name: 'H2OGPT_AUTH', value: file },
    { name: 'H2OGPT_AUTH_FILENAME', value: file },
    { name: 'H2OGPT_AUTH_ACCESS', value: 'closed' },
    { name: 'H2OGPT_AUTH_FREEZE', value: 'True' },
    { name: 'H2OGPT_GUEST_NAME', value: '' },
  ];
}

/** The environment variable that carries server `index`'s API key: the first keeps its old name. */
export function apiKeyVariable(index: number): string {
  return index === 0 ? 'VLLM_API_KEY' : `VLLM_API_KEY_${index + 1}`;
}

/** What h2oGPT's environment is built from, every value already checked. */
export interface H2oGptEnvInput {
  /** Every vLLM server, the first one first. */
  readonly endpoints: IVllmEndpoint[];
  /** Use vLLM's chat-completions API (`vllm_chat:`) rather than the completions API (`vllm:`). */
  readonly chatApi: boolean;
  /** h2oGPT's OpenAI-compatible API, when it serves one. */
  readonly openAiApi?: { readonly port: number; readonly key: SecretKeyReference };
  readonly usageStats: boolean;
  /** The password-file login, when on. */
  readonly authentication?: UiAuthentication;
  /** Whether h2oGPT's start waits for its servers (else it is told to fail on an unreachable one). */
  readonly waits: boolean;
  /** The user's `H2OGPT_*` settings. */
  readonly settings: { [key: string]: string };
  /** The user's variables from Secret keys. */
  readonly secretEnv: { [name: string]: SecretKeyReference };
}

/**
 * The `h2ogpt_inference_server` value of each server. With a key, h2oGPT takes host, port, path
 * and key; the key comes from the Secret through Kubernetes' $(VAR) expansion of the variable
 * `apiKeyVariable(i)`, defined earlier in the same env list.
 */
export function inferenceServerValues(endpoints: IVllmEndpoint[], chatApi: boolean): string[] {
  const api = chatApi ? 'vllm_chat' : 'vllm';
  return endpoints.map((e, i) => {
    const upstream = `${e.host}:${e.port}`;
    return e.apiKey ? `${api}:http://${upstream}:/v1:$(${apiKeyVariable(i)})` : `${api}:${upstream}`;
  });
}

/**
 * The `model_lock` list, with more than one model (servers, and their LoRA adapters). gen.py refuses model_lock beside
 * inference_server or base_model, so it replaces both. JSON strings are Python string literals
 * too, which gen.py's ast.literal_eval reads.
 */
export function modelLockValue(endpoints: IVllmEndpoint[], inferenceServers: string[]): string | undefined {
  // Each LoRA adapter is a model of its server's, under its own name, over vLLM's completions
  // API: h2oGPT 0.2.1's chat client sends /v1/models' first id, the base model, whatever the
  // entry names. Its tokenizer and context length come from the base model (docs/app-facts.md §7).
  const completions = inferenceServerValues(endpoints, false);
  // The server strings keep their $(VAR) for Kubernetes to expand; user names are literals.
  const entry = (server: string, fields: Array<[string, string | number]>) => `{"inference_server": ${JSON.stringify(server)}, `
    + `${fields.map(([key, value]) => `"${key}": ${JSON.stringify(typeof value === 'string' ? literalForKubernetes(value) : value)}`).join(', ')}}`;
  const models = endpoints.flatMap((e, i) => [
    entry(inferenceServers[i], [['base_model', e.servedModelName]]),
    ...(e.loraAdapters?.names ?? []).map((name) => entry(completions[i], [
      ['base_model', name], ['tokenizer_base_model', e.loraAdapters!.tokenizerModel], ['max_seq_len', e.loraAdapters!.maxModelLen],
    ])),
  ]);
  if (models.length <= 1) return undefined;
  return `[${models.join(', ')}]`;
}

/** h2oGPT's environment before the user's `env`: its servers, its writable paths, its login and the user's settings. */
export function h2oGptEnv(input: H2oGptEnvInput): k8s.EnvVar[] {
  const { endpoints, settings, authentication } = input;
  const servers = inferenceServerValues(endpoints, input.chatApi);
  const modelLock = modelLockValue(endpoints, servers);
  return [
    ...endpoints.flatMap((e, i) => (e.apiKey ? [secretEnv(apiKeyVariable(i), e.apiKey)] : [])),
    ...(modelLock === undefined
      ? [{ name: 'H2OGPT_INFERENCE_SERVER', value: servers[0] }, { name: 'H2OGPT_BASE_MODEL', value: literalForKubernetes(endpoints[0].servedModelName) }]
      : [{ name: 'H2OGPT_MODEL_LOCK', value: modelLock }]),
    { name: 'H2OGPT_SAVE_DIR', value: SAVE_DIR },
    // On by default in h2oGPT, unauthenticated unless keyed: off unless asked for, keyed when on.
    ...(input.openAiApi !== undefined
      ? [
        { name: 'H2OGPT_OPENAI_SERVER', value: 'True' },
        { name: 'H2OGPT_OPENAI_PORT', value: String(input.openAiApi.port) },
        secretEnv('H2OGPT_OPENAI_API_KEY', input.openAiApi.key),
      ]
      : [{ name: 'H2OGPT_OPENAI_SERVER', value: 'False' }]),
    ...(input.usageStats ? [] : [
      { name: 'H2OGPT_ENABLE_HEAP_ANALYTICS', value: 'False' },
      { name: 'GRADIO_ANALYTICS_ENABLED', value: 'False' },
      { name: 'DO_NOT_TRACK', value: '1' },
      { name: 'HF_HUB_DISABLE_TELEMETRY', value: '1' },
    ]),
    // Gradio's uploads and temporary files, on the /tmp mount.
    { name: 'GRADIO_TEMP_DIR', value: '/tmp/gradio' },
    { name: 'MPLCONFIGDIR', value: `${WORKSPACE}/.config/matplotlib` },
    // Hugging Face, torch and other XDG-aware caches go to the writable cache; Playwright follows
    // XDG_CACHE_HOME too, so it is pointed back at the image's browsers (docs/app-facts.md §5).
    { name: 'XDG_CACHE_HOME', value: WRITABLE_CACHE },
    { name: 'PLAYWRIGHT_BROWSERS_PATH', value: IMAGE_PLAYWRIGHT_BROWSERS },
    ...authenticationEnv(authentication),
    // The defaults a setting of the same name (in any case) overrides, then the settings.
    ...Object.entries({ ...DEFAULT_SETTINGS, ...(input.waits ? {} : NO_WAIT_SETTINGS) })
      .filter(([name]) => !(authentication && name === 'H2OGPT_AUTH_FILENAME'))
      .filter(([name]) => !Object.keys(settings).some((k) => k.toUpperCase() === name)).map(([name, value]) => ({ name, value })),
    ...Object.entries(settings).map(([name, value]) => ({ name, value: literalForKubernetes(value) })),
    ...Object.entries(input.secretEnv).map(([name, ref]) => secretEnv(name, ref)),
  ];
}

/**
 * The wait inside h2oGPT's container: its command and the first waiter's environment. The waiter
 * execs its arguments, so PID 1 and signals belong to h2oGPT once vLLM is up. Each further server
 * adds a link to the chain: env sets that waiter's URL and deadline (the other settings are
 * shared) and runs the next waiter, and the last execs generate.py.
 */
export function inAppWait(endpoints: IVllmEndpoint[], settings: ResolvedWaiterSettings[]): { command: string[]; env: k8s.EnvVar[] } {
  const chain = endpoints.slice(1).flatMap((endpoint, i) => [
    'env', `WAIT_URL=${endpoint.healthUrl}`, `WAIT_DEADLINE_SECONDS=${settings[i + 1].deadlineSeconds}`, '/bin/bash', WAITER_SCRIPT_PATH,
  ]);
  return { command: ['/bin/bash', WAITER_SCRIPT_PATH, ...chain, ...H2OGPT_COMMAND], env: waiterEnv(endpoints[0].healthUrl, settings[0]) };
}
