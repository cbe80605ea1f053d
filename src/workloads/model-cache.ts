import { checkByteQuantity, checkDnsSubdomain } from '../common/checks';
import { ConfigurationError } from '../common/errors';
import { didYouMean } from '../common/suggest';

/** The least a model cache may be: the smallest models' weights take about a gigabyte. */
const MODEL_CACHE_FLOOR = '1Gi';

/** Access mode of a new model-cache claim. */
export enum ModelCacheAccessMode {
  /** One node mounts it; vLLM pods must share a node, so rollouts recreate. */
  READ_WRITE_ONCE = 'ReadWriteOnce',
  /** Many nodes mount it (needs a storage class that offers it). */
  READ_WRITE_MANY = 'ReadWriteMany',
}

/** Options of a new PersistentVolumeClaim for the model cache. */
export interface NewModelCacheClaimOptions {
  /**
   * Requested size, with a unit. Large models need hundreds of GiB.
   * @default "100Gi", or more when the model's size is known and needs it (docs/sizing.md)
   */
  readonly size?: string;
  /**
   * Storage class.
   * @default the cluster's default storage class
   */
  readonly storageClassName?: string;
  /**
   * Access mode.
   * @default ModelCacheAccessMode.READ_WRITE_ONCE, or READ_WRITE_MANY for a server of several nodes
   */
  readonly accessMode?: ModelCacheAccessMode;
}

/** Options of an emptyDir model cache. */
export interface EphemeralModelCacheOptions {
  /**
   * Size limit, with a unit.
   * @default "50Gi"
   */
  readonly sizeLimit?: string;
}

/** Where vLLM keeps downloaded model weights. */
export class ModelCache {
  /** A PersistentVolumeClaim that the construct creates. */
  public static newClaim(options: NewModelCacheClaimOptions = {}): ModelCache {
    const size = checkByteQuantity('modelCache.size', options.size, MODEL_CACHE_FLOOR, '200Gi');
    if (options.storageClassName !== undefined) checkDnsSubdomain('modelCache.storageClassName', options.storageClassName);
    const accessMode = options.accessMode ?? ModelCacheAccessMode.READ_WRITE_ONCE;
    if (!Object.values(ModelCacheAccessMode).includes(accessMode)) {
      const modes = Object.values(ModelCacheAccessMode);
      throw new ConfigurationError('modelCache.accessMode', accessMode, `Use one of: ${modes.join(', ')}.${typeof accessMode === 'string' ? didYouMean(accessMode, modes) : ''}`);
    }
    return new ModelCache({ createsClaim: true, size, storageClassName: options.storageClassName, accessMode, accessModeGiven: options.accessMode !== undefined });
  }

  /** A PersistentVolumeClaim that already exists in the namespace. */
  public static existingClaim(claimName: string): ModelCache {
    return new ModelCache({ createsClaim: false, claimName: checkDnsSubdomain('modelCache.claimName', claimName) });
  }

  /** An emptyDir: weights are downloaded again whenever the pod moves. */
  public static ephemeral(options: EphemeralModelCacheOptions = {}): ModelCache {
    return new ModelCache({ createsClaim: false, sizeLimit: checkByteQuantity('modelCache.sizeLimit', options.sizeLimit ?? '50Gi', MODEL_CACHE_FLOOR, '50Gi') });
  }

  /** Size of a new claim, if this cache creates one and it was given; else the server sizes it. */
  public readonly size?: string;
  public readonly storageClassName?: string;
  public readonly accessMode?: ModelCacheAccessMode;
  /** Name of an existing claim, if this cache uses one. */
  public readonly claimName?: string;
  /** Size limit of an emptyDir cache. */
  public readonly sizeLimit?: string;

  private readonly newClaim: boolean;
  private readonly accessModeGiven: boolean;

  private constructor(spec: { createsClaim: boolean; size?: string; storageClassName?: string; accessMode?: ModelCacheAccessMode; accessModeGiven?: boolean; claimName?: string; sizeLimit?: string }) {
    this.newClaim = spec.createsClaim;
    this.accessModeGiven = spec.accessModeGiven ?? false;
    this.size = spec.size;
    this.storageClassName = spec.storageClassName;
    this.accessMode = spec.accessMode;
    this.claimName = spec.claimName;
    this.sizeLimit = spec.sizeLimit;
  }

  /** Whether this cache makes the construct render a PersistentVolumeClaim. */
  public get createsClaim(): boolean {
    return this.newClaim;
  }

  /**
   * This cache for a server of `nodes` nodes: a new claim whose access mode was not given is
   * ReadWriteMany for several nodes, which must all mount it. Anything else is returned as is.
   * @internal
   */
  public _forNodes(nodes: number): ModelCache {
    if (nodes <= 1 || !this.newClaim || this.accessModeGiven) return this;
    return new ModelCache({ createsClaim: true, size: this.size, storageClassName: this.storageClassName, accessMode: ModelCacheAccessMode.READ_WRITE_MANY });
  }
}
