import { checkDnsSubdomain, checkQuantity } from '../common/checks';

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
   * Requested size. Large models need hundreds of GiB.
   * @default "100Gi"
   */
  readonly size?: string;
  /**
   * Storage class.
   * @default the cluster's default storage class
   */
  readonly storageClassName?: string;
  /**
   * Access mode.
   * @default ModelCacheAccessMode.READ_WRITE_ONCE
   */
  readonly accessMode?: ModelCacheAccessMode;
}

/** Options of an emptyDir model cache. */
export interface EphemeralModelCacheOptions {
  /**
   * Size limit.
   * @default "50Gi"
   */
  readonly sizeLimit?: string;
}

/** Where vLLM keeps downloaded model weights. */
export class ModelCache {
  /** A PersistentVolumeClaim that the construct creates. */
  public static newClaim(options: NewModelCacheClaimOptions = {}): ModelCache {
    const size = checkQuantity('modelCache.size', options.size ?? '100Gi')!;
    if (options.storageClassName !== undefined) checkDnsSubdomain('modelCache.storageClassName', options.storageClassName);
    const accessMode = options.accessMode ?? ModelCacheAccessMode.READ_WRITE_ONCE;
    return new ModelCache({ size, storageClassName: options.storageClassName, accessMode });
  }

  /** A PersistentVolumeClaim that already exists in the namespace. */
  public static existingClaim(claimName: string): ModelCache {
    return new ModelCache({ claimName: checkDnsSubdomain('modelCache.claimName', claimName) });
  }

  /** An emptyDir: weights are downloaded again whenever the pod moves. */
  public static ephemeral(options: EphemeralModelCacheOptions = {}): ModelCache {
    return new ModelCache({ sizeLimit: checkQuantity('modelCache.sizeLimit', options.sizeLimit ?? '50Gi') });
  }

  /** Size of a new claim, if this cache creates one. */
  public readonly size?: string;
  public readonly storageClassName?: string;
  public readonly accessMode?: ModelCacheAccessMode;
  /** Name of an existing claim, if this cache uses one. */
  public readonly claimName?: string;
  /** Size limit of an emptyDir cache. */
  public readonly sizeLimit?: string;

  private constructor(spec: { size?: string; storageClassName?: string; accessMode?: ModelCacheAccessMode; claimName?: string; sizeLimit?: string }) {
    this.size = spec.size;
    this.storageClassName = spec.storageClassName;
    this.accessMode = spec.accessMode;
    this.claimName = spec.claimName;
    this.sizeLimit = spec.sizeLimit;
  }

  /** Whether this cache makes the construct render a PersistentVolumeClaim. */
  public get createsClaim(): boolean {
    return this.size !== undefined;
  }
}
