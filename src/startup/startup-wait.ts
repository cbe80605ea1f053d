import { checkImage, checkInteger } from '../common/checks';
import { WAITER_SCRIPT_PATH } from './waiter';

/** A small image with `sh` and `nc` (busybox) for the init-container wait, pinned. */
export const DEFAULT_WAITER_IMAGE = 'busybox:1.36.1';

/** The waiter init container's UID unless a strategy needs another: nobody. */
export const DEFAULT_WAITER_UID = 65534;

/** Where the h2oGPT pod waits for vLLM. */
export enum StartupWaitKind {
  /** It does not wait. */
  NONE = 'none',
  /** An init container waits before h2oGPT starts. */
  INIT_CONTAINER = 'init-container',
  /** The h2oGPT container waits, then execs generate.py. */
  IN_APP = 'in-app',
}

/** Options of the init-container wait. */
export interface InitContainerWaitOptions {
  /**
   * Image with `sh` and `curl`, GNU `wget` or `nc` (busybox), pinned.
   * @default DEFAULT_WAITER_IMAGE
   */
  readonly image?: string;
  /**
   * UID the init container runs as. The mesh proxy's UID (1337 Istio, 2102 Linkerd) makes its
   * traffic escape capture; leave it unset otherwise.
   * @default 65534 (nobody)
   */
  readonly runAsUser?: number;
  /**
   * Annotations the wait needs on h2oGPT's pod, e.g. the mesh's exclusion of vLLM's port from
   * capture (`portExclusionMetadata`); H2oGpt writes them on its pod.
   * @default none
   */
  readonly podAnnotations?: { [key: string]: string };
}

/**
 * How the h2oGPT workload waits for its upstream. The stack picks one from the mesh mode; use
 * these factories when composing the workloads yourself.
 */
export class StartupWait {
  /** The init-container waiter's image the library pins (busybox: `sh` and `nc`). */
  public static readonly DEFAULT_IMAGE: string = DEFAULT_WAITER_IMAGE;
  /** The init-container waiter's UID unless a strategy needs another: nobody. */
  public static readonly DEFAULT_UID: number = DEFAULT_WAITER_UID;
  /** Where the waiter script sits inside the container that runs it. */
  public static readonly SCRIPT_PATH: string = WAITER_SCRIPT_PATH;

  /** Start at once and let Kubernetes restart h2oGPT until vLLM is up. */
  public static none(): StartupWait {
    return new StartupWait(StartupWaitKind.NONE, DEFAULT_WAITER_IMAGE, DEFAULT_WAITER_UID, {});
  }

  /** Wait in an init container. */
  public static initContainer(options: InitContainerWaitOptions = {}): StartupWait {
    const image = checkImage('startupWait.image', options.image ?? DEFAULT_WAITER_IMAGE);
    const uid = checkInteger('startupWait.runAsUser', options.runAsUser ?? DEFAULT_WAITER_UID, 1, 2147483647, 'a non-root UID');
    return new StartupWait(StartupWaitKind.INIT_CONTAINER, image, uid, { ...options.podAnnotations });
  }

  /** Wait inside the h2oGPT container, then exec generate.py. */
  public static inApp(): StartupWait {
    return new StartupWait(StartupWaitKind.IN_APP, DEFAULT_WAITER_IMAGE, DEFAULT_WAITER_UID, {});
  }

  public readonly kind: StartupWaitKind;
  /** Image of the init container (INIT_CONTAINER only). */
  public readonly image: string;
  /** UID of the init container (INIT_CONTAINER only). */
  public readonly runAsUser: number;
  /** Annotations the wait needs on h2oGPT's pod (INIT_CONTAINER only). */
  public readonly podAnnotations: { [key: string]: string };

  private constructor(kind: StartupWaitKind, image: string, runAsUser: number, podAnnotations: { [key: string]: string }) {
    this.kind = kind;
    this.image = image;
    this.runAsUser = runAsUser;
    this.podAnnotations = podAnnotations;
  }
}
