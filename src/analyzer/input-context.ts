import { ContainerContext } from './container-model';
import { PodContext } from './startup-model';

/**
 * The ConfigMaps and Secrets of one input, so that the analyzer can read the scripts an init
 * container runs from a mounted ConfigMap, and the variables it takes with envFrom. Only what the
 * input holds is read: a ConfigMap the input does not have leaves its script unknown.
 */
export class InputContext {
  private readonly data = new Map<string, Record<string, string>>();

  /** Takes an object if it is a ConfigMap or a Secret (stringData, and data decoded). */
  public add(object: any): void {
    if (object?.kind !== 'ConfigMap' && object?.kind !== 'Secret') return;
    const name = object.metadata?.name;
    if (typeof name !== 'string') return;
    const values: Record<string, string> = {};
    if (object.kind === 'ConfigMap') {
      for (const [k, v] of Object.entries(object.data ?? {})) if (typeof v === 'string') values[k] = v;
    } else {
      for (const [k, v] of Object.entries(object.data ?? {})) if (typeof v === 'string') values[k] = Buffer.from(v, 'base64').toString('utf8');
      for (const [k, v] of Object.entries(object.stringData ?? {})) if (typeof v === 'string') values[k] = v;
    }
    this.data.set(`${object.kind}/${object.metadata?.namespace ?? ''}/${name}`, values);
  }

  /** Whether the input had any ConfigMap or Secret. */
  public get empty(): boolean {
    return this.data.size === 0;
  }

  /** What a pod's containers can read from this input. */
  public podContext(spec: any, namespace: string | undefined): PodContext {
    if (this.empty) return {};
    const volumes = new Map<string, any>((spec?.volumes ?? []).map((v: any) => [v?.name, v]));
    return { containerContext: (container: any) => this.containerContext(container, volumes, namespace ?? '') };
  }

  private lookup(kind: 'ConfigMap' | 'Secret', namespace: string, name: unknown): Record<string, string> | undefined {
    if (typeof name !== 'string') return undefined;
    // An object written without a namespace lands in the pod's.
    return this.data.get(`${kind}/${namespace}/${name}`) ?? this.data.get(`${kind}//${name}`);
  }

  private containerContext(container: any, volumes: Map<string, any>, namespace: string): ContainerContext {
    const files = new Map<string, string>();
    for (const mount of container?.volumeMounts ?? []) {
      const volume = volumes.get(mount?.name);
      if (!volume || typeof mount.mountPath !== 'string') continue;
      const sources: Array<{ kind: 'ConfigMap' | 'Secret'; name: unknown; items?: any[] }> = [];
      if (volume.configMap) sources.push({ kind: 'ConfigMap', name: volume.configMap.name, items: volume.configMap.items });
      if (volume.secret) sources.push({ kind: 'Secret', name: volume.secret.secretName, items: volume.secret.items });
      for (const p of volume.projected?.sources ?? []) {
        if (p.configMap) sources.push({ kind: 'ConfigMap', name: p.configMap.name, items: p.configMap.items });
        if (p.secret) sources.push({ kind: 'Secret', name: p.secret.name, items: p.secret.items });
      }
      for (const source of sources) {
        const data = this.lookup(source.kind, namespace, source.name);
        if (!data) continue;
        // Kubernetes writes each key as a file, or only the listed items under their paths.
        const entries: Array<[string, string]> = source.items
          ? source.items.filter((i) => typeof i?.key === 'string' && data[i.key] !== undefined).map((i) => [String(i.path ?? i.key), data[i.key]])
          : Object.entries(data);
        for (const [path, content] of entries) {
          if (typeof mount.subPath === 'string' && mount.subPath !== '') {
            if (mount.subPath === path) files.set(mount.mountPath, content);
          } else {
            files.set(`${mount.mountPath.replace(/\/$/, '')}/${path}`, content);
          }
        }
      }
    }
    const envFrom = new Map<string, string>();
    for (const source of container?.envFrom ?? []) {
      const data = source?.configMapRef ? this.lookup('ConfigMap', namespace, source.configMapRef.name)
        : source?.secretRef ? this.lookup('Secret', namespace, source.secretRef.name) : undefined;
      for (const [k, v] of Object.entries(data ?? {})) envFrom.set(`${source.prefix ?? ''}${k}`, v);
    }
    return { files, envFrom };
  }
}
