import { checkInteger, checkNonEmpty } from '../common/checks';
import { ConfigurationError } from '../common/errors';
import { SecretKeyReference } from '../common/secret-key-reference';

/**
 * A vLLM OpenAI-compatible server that h2oGPT can call and wait for: a `VllmServer` this app
 * deploys, or `VllmEndpoint.fromUrl` for one it does not (KServe, the vLLM production-stack,
 * another team's).
 */
export interface IVllmEndpoint {
  /** Host name clients use, e.g. `chat-vllm.ai.svc`. */
  readonly host: string;
  /** Port clients use. */
  readonly port: number;
  /** Base URL, e.g. `http://chat-vllm.ai.svc:8000`. */
  readonly url: string;
  /** The URL that answers 200 once the engine is up. */
  readonly healthUrl: string;
  /** The model name clients send in each request. */
  readonly servedModelName: string;
  /** The key clients must send, if the server requires one. */
  readonly apiKey?: SecretKeyReference;
  /** How long the server may take to become ready, in seconds: the waiter's deadline is this plus 300. */
  readonly startupBudgetSeconds: number;
  /**
   * LoRA adapters the server serves beside its model: h2oGPT lists each as a model of that server.
   * @default none
   */
  readonly loraAdapters?: ServedLoraAdapters;
}

/** A server's LoRA adapters, as h2oGPT lists them (docs/app-facts.md §7). */
export interface ServedLoraAdapters {
  /** The adapters' names, as clients send them. */
  readonly names: string[];
  /** The base model's Hugging Face id: h2oGPT reads its tokenizer for the adapters, whose names have none. */
  readonly tokenizerModel: string;
  /** The context length h2oGPT assumes for each adapter: the server's maxModelLen. */
  readonly maxModelLen: number;
}

/** Options of `VllmEndpoint.fromUrl`. */
export interface VllmEndpointOptions {
  /** The model name the server serves, as `/v1/models` lists it; h2oGPT sends it with every request. */
  readonly servedModelName: string;
  /**
   * Path of the health endpoint, answering 200 once the engine is up.
   * @default "/health"
   */
  readonly healthPath?: string;
  /**
   * The key the server requires, from a Secret in h2oGPT's namespace.
   * @default no key
   */
  readonly apiKey?: SecretKeyReference;
  /**
   * How long the server may take to become ready after h2oGPT starts, in seconds.
   * @default 1800
   */
  readonly startupBudgetSeconds?: number;
}

// http only: h2oGPT's vLLM link is host:port (or http://host:port:/v1:key), and the mesh, not
// the URL, carries TLS inside the cluster.
const HTTP_URL = /^http:\/\/([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*|\d{1,3}(\.\d{1,3}){3})(:(\d{1,5}))?\/?$/;

/** A vLLM server that this app does not deploy, reached by URL. */
export class VllmEndpoint implements IVllmEndpoint {
  /**
   * A vLLM server at `url`, e.g. `http://models.example.svc:8000`: scheme http, a DNS name or
   * IPv4 address, an optional port (80 when absent), no path.
   */
  public static fromUrl(url: string, options: VllmEndpointOptions): IVllmEndpoint {
    const match = HTTP_URL.exec(typeof url === 'string' ? url : '');
    if (!match) {
      throw new ConfigurationError('vllm.url', url, url?.startsWith?.('https://')
        ? 'Use the server\'s plain http:// address inside the cluster: h2oGPT\'s vLLM link does not take https, and a mesh encrypts in-cluster traffic (mTLS).'
        : 'Use http://<host>[:<port>] with a lower-case DNS name or an IPv4 address and no path, e.g. "http://models.example.svc:8000".');
    }
    const port = match[7] === undefined ? 80 : checkInteger('vllm.url', Number(match[7]), 1, 65535, 'a port');
    if (typeof options !== 'object' || options === null) {
      throw new ConfigurationError('vllm.servedModelName', undefined, 'Pass { servedModelName: "<model>" }: h2oGPT names the model in every request.');
    }
    const servedModelName = checkNonEmpty('vllm.servedModelName', options.servedModelName,
      'Give the model name the server serves, as its /v1/models lists it, e.g. "Qwen/Qwen2.5-1.5B-Instruct".');
    const healthPath = options.healthPath ?? '/health';
    if (typeof healthPath !== 'string' || !/^\/[-A-Za-z0-9._~/%]*$/.test(healthPath)) {
      throw new ConfigurationError('vllm.healthPath', healthPath, 'Use an absolute path without a query, e.g. "/health".');
    }
    options.apiKey?.validate('vllm.apiKey');
    const budget = checkInteger('vllm.startupBudgetSeconds', options.startupBudgetSeconds ?? 1800, 1, 86_400, 'seconds');
    return new VllmEndpoint(match[1], port, servedModelName, healthPath, budget, options.apiKey);
  }

  public readonly host: string;
  public readonly port: number;
  public readonly url: string;
  public readonly healthUrl: string;
  public readonly servedModelName: string;
  public readonly apiKey?: SecretKeyReference;
  public readonly startupBudgetSeconds: number;

  private constructor(host: string, port: number, servedModelName: string, healthPath: string, startupBudgetSeconds: number, apiKey?: SecretKeyReference) {
    this.host = host;
    this.port = port;
    this.url = `http://${host}:${port}`;
    this.healthUrl = `${this.url}${healthPath}`;
    this.servedModelName = servedModelName;
    this.startupBudgetSeconds = startupBudgetSeconds;
    this.apiKey = apiKey;
  }
}
