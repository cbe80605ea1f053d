import { ConfigurationError } from '../common/errors';
import { didYouMean } from '../common/suggest';
import { Dataplane, Mesh, MeshProfile, MtlsMode } from './mesh-profiles';
import { allMeshProfiles, meshProfile } from './meshes';

export { MtlsMode } from './mesh-profiles';

/** Options common to every mesh mode. */
export interface MeshOptions {
  /**
   * Whether the vLLM upstream accepts plaintext.
   * @default MtlsMode.STRICT
   */
  readonly mtls?: MtlsMode;
  /**
   * The mesh's release, e.g. "1.28" (Istio) or "2.20" (Linkerd; "stable-2.14.10" is read as 2.14).
   * Releases change the dataplane (docs/mesh-facts.md §4); when it is unknown, decisions and
   * verdicts are ones that hold for every dataplane the release could give, and say so.
   * @default unknown
   */
  readonly version?: string;
}

/** Options of a sidecar mesh mode. */
export interface SidecarMeshOptions extends MeshOptions {
  /**
   * Whether the mesh's CNI plugin (istio-cni, linkerd-cni) sets up traffic capture. With it, user
   * init containers are captured before their proxy runs. You rarely know for sure, so the default assumes the worst.
   * @default true
   */
  readonly cni?: boolean;
}

/**
 * The service mesh a stack runs in, named by the user. Build one with a static factory, e.g.
 * `MeshMode.istioSidecar({ cni: true })`, or from a CLI name with `MeshMode.fromName`.
 */
export class MeshMode {
  /** No service mesh. */
  public static none(): MeshMode {
    return new MeshMode(Mesh.NONE, Dataplane.NONE, false, MtlsMode.PERMISSIVE);
  }

  /** Istio with a classic sidecar (`istio-proxy` in `containers`). */
  public static istioSidecar(options: SidecarMeshOptions = {}): MeshMode {
    return MeshMode.of(Mesh.ISTIO, Dataplane.SIDECAR, options);
  }

  /** Istio with a native sidecar (Istio >= 1.24 per pod, Kubernetes >= 1.29). */
  public static istioNativeSidecar(options: MeshOptions = {}): MeshMode {
    return MeshMode.of(Mesh.ISTIO, Dataplane.NATIVE_SIDECAR, options);
  }

  /** Istio ambient mode (ztunnel on the node, no proxy in the pod). */
  public static istioAmbient(options: MeshOptions = {}): MeshMode {
    return MeshMode.of(Mesh.ISTIO, Dataplane.AMBIENT, options);
  }

  /** Linkerd with a classic sidecar (`linkerd-proxy` in `containers`). */
  public static linkerdSidecar(options: SidecarMeshOptions = {}): MeshMode {
    return MeshMode.of(Mesh.LINKERD, Dataplane.SIDECAR, options);
  }

  /** Linkerd with a native sidecar (Linkerd >= 2.15, Kubernetes >= 1.29). */
  public static linkerdNativeSidecar(options: MeshOptions = {}): MeshMode {
    return MeshMode.of(Mesh.LINKERD, Dataplane.NATIVE_SIDECAR, options);
  }

  /**
   * A mode from its CLI name (`none`, `istio-sidecar`, `istio-native-sidecar`, `istio-ambient`,
   * `linkerd`, `linkerd-native-sidecar`). Errors name the fields `mesh`, `mtls` and `cni`; wrap the
   * call in `withFieldPrefix` to call them something else (CLI flags, plugin properties).
   */
  public static fromName(name: string, options: SidecarMeshOptions = {}): MeshMode {
    checkOptions(options); // also with no mesh, where the options are otherwise unused
    if (name === 'none') {
      if (options.version !== undefined) throw new ConfigurationError('version', options.version, 'There is no mesh to have a release: leave it unset with mesh "none".');
      if (options.cni !== undefined) throw new ConfigurationError('cni', options.cni, 'There is no mesh, so no CNI plugin: leave it unset with mesh "none".');
      return MeshMode.none();
    }
    for (const profile of allMeshProfiles()) {
      for (const [dataplane, modeName] of Object.entries(profile.modeNames)) {
        if (modeName !== name) continue;
        // Only a classic sidecar's init containers depend on the CNI plugin; saying otherwise is a mistake.
        if (options.cni !== undefined && dataplane !== Dataplane.SIDECAR) {
          throw new ConfigurationError('cni', options.cni, dataplane === Dataplane.AMBIENT
            ? `${name} always runs ${profile.cniPluginName}; leave it unset.`
            : `A native sidecar meshes init containers with or without ${profile.cniPluginName}; leave it unset.`);
        }
        return MeshMode.of(profile.mesh, dataplane as Dataplane, options);
      }
    }
    throw new ConfigurationError('mesh', name, `Use one of: ${MeshMode.names().join(', ')}.${typeof name === 'string' ? didYouMean(name, MeshMode.names()) : ''}`);
  }

  /** Every mode name `fromName` accepts. */
  public static names(): string[] {
    return ['none', ...allMeshProfiles().flatMap((p) => Object.values(p.modeNames) as string[])];
  }

  private static of(mesh: Mesh, dataplane: Dataplane, options: SidecarMeshOptions): MeshMode {
    checkOptions(options);
    // CNI only changes what user init containers see with a classic sidecar.
    const cni = dataplane === Dataplane.SIDECAR ? options.cni ?? true : false;
    const version = options.version === undefined ? undefined : parseMeshVersion(options.version);
    return new MeshMode(mesh, dataplane, cni, options.mtls ?? MtlsMode.STRICT, version);
  }

  /** The mesh (Istio, Linkerd, or none). */
  public readonly mesh: Mesh;
  /** How its data plane reaches the pod. */
  public readonly dataplane: Dataplane;
  /** Whether the mesh's CNI plugin captures traffic (classic sidecars only; false otherwise). */
  public readonly cni: boolean;
  /** How the upstream treats plaintext. Always PERMISSIVE with no mesh. */
  public readonly mtls: MtlsMode;

  /** The mesh's release as major.minor, when known. */
  public readonly version?: string;
  private readonly release?: [number, number];

  private constructor(mesh: Mesh, dataplane: Dataplane, cni: boolean, mtls: MtlsMode, release?: [number, number]) {
    this.mesh = mesh;
    this.dataplane = dataplane;
    this.cni = cni;
    this.mtls = mtls;
    this.release = release;
    this.version = release ? `${release[0]}.${release[1]}` : undefined;
  }

  /** Whether the release is known to be `major.minor` or later: true, false, or undefined when unknown. */
  public releaseAtLeast(major: number, minor: number): boolean | undefined {
    if (!this.release) return undefined;
    return this.release[0] > major || (this.release[0] === major && this.release[1] >= minor);
  }

  /** The CLI name of this mode, e.g. `istio-sidecar`. */
  public get name(): string {
    return meshProfile(this.mesh)?.modeNames[this.dataplane] ?? 'none';
  }

  /** A human description, e.g. "Istio sidecar with istio-cni, mTLS strict". */
  public describe(): string {
    const profile = meshProfile(this.mesh);
    if (!profile) return 'no mesh';
    const dataplane = {
      [Dataplane.SIDECAR]: `sidecar ${this.cni ? 'with' : 'without'} ${profile.cniPluginName}`,
      [Dataplane.NATIVE_SIDECAR]: 'native sidecar',
      [Dataplane.AMBIENT]: 'ambient',
      [Dataplane.NONE]: '',
    }[this.dataplane];
    return `${profile.displayName}${this.version ? ` ${this.version}` : ''} ${dataplane}, mTLS ${this.mtls}`;
  }
}

/** "1.28", "1.28.1", "v1.28" or Linkerd's "stable-2.14.10" / "enterprise-2.17.1" as [major, minor]. */
function parseMeshVersion(version: string): [number, number] {
  const match = /^(?:v|stable-|enterprise-)?(\d+)\.(\d+)(?:\.\d+)?$/.exec(typeof version === 'string' ? version : '');
  if (!match) {
    throw new ConfigurationError('version', version,
      'Use the mesh release as major.minor, e.g. "1.28" for Istio or "2.20" (or "stable-2.14.10") for Linkerd; for a Linkerd edge release, give the stable release it corresponds to.');
  }
  return [Number(match[1]), Number(match[2])];
}

function checkOptions(options: SidecarMeshOptions): void {
  if (options.mtls !== undefined && !Object.values(MtlsMode).includes(options.mtls)) {
    throw new ConfigurationError('mtls', options.mtls, `Use one of: ${Object.values(MtlsMode).join(', ')}.`);
  }
  if (options.cni !== undefined && typeof options.cni !== 'boolean') {
    throw new ConfigurationError('cni', options.cni, 'Use true or false.');
  }
}

/** The facts about a mode's mesh, or undefined with no mesh. Internal: not part of the public API. */
export function profileOf(mode: MeshMode): MeshProfile | undefined {
  return meshProfile(mode.mesh);
}
