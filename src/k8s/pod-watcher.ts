/**
 * One shared watch (informer) per namespace per worker process. Every watchPod activity
 * waits on it for its pod's next event, so a thousand running engines cost one watch
 * connection, not a thousand polling loops.
 */
import { makeInformer, type Informer, type ObjectCache, type V1Pod } from '@kubernetes/client-node';
import { ENGINE_TAG_LABEL } from '../contract/names';
import type { Kube } from './kube';
import type { Logger } from '../logger';

export type PodEventType = 'add' | 'update' | 'delete';
export interface PodEvent {
  type: PodEventType;
  pod: V1Pod;
}
type Listener = (event: PodEvent) => void;

const RESTART_DELAY_MS = 1_000;

export class NamespacePodWatcher {
  private readonly informer: Informer<V1Pod> & ObjectCache<V1Pod>;
  private readonly listeners = new Set<Listener>();
  private syncedPromise?: Promise<void>;
  private markSynced?: () => void;
  private stopped = false;

  constructor(
    private readonly kube: Kube,
    readonly namespace: string,
    private readonly logger: Logger,
  ) {
    const list = () =>
      kube.call('list', async (options) => {
        const pods = await kube.core.listNamespacedPod({ namespace, labelSelector: ENGINE_TAG_LABEL }, options);
        // The informer fills its cache in the continuation of this promise; the cache is
        // complete once that has run, hence the next macrotask.
        setImmediate(() => this.markSynced?.());
        return pods;
      });
    this.informer = makeInformer(kube.config, `/api/v1/namespaces/${namespace}/pods`, list, ENGINE_TAG_LABEL);
    this.informer.on('add', (pod) => this.emit({ type: 'add', pod }));
    this.informer.on('update', (pod) => this.emit({ type: 'update', pod }));
    this.informer.on('delete', (pod) => this.emit({ type: 'delete', pod }));
    this.informer.on('error', (error: unknown) => this.restartAfterError(error));
  }

  /** Resolves once the cache holds a full list of the namespace's engine pods. */
  synced(): Promise<void> {
    this.syncedPromise ??= new Promise<void>((resolve) => {
      this.markSynced = resolve;
      this.informer.start().catch((error: unknown) => this.restartAfterError(error));
    });
    return this.syncedPromise;
  }

  get(name: string): V1Pod | undefined {
    return this.informer.get(name, this.namespace);
  }

  pods(): readonly V1Pod[] {
    return this.informer.list(this.namespace);
  }

  findByTag(tag: string): V1Pod | undefined {
    return this.pods().find((pod) => pod.metadata?.labels?.[ENGINE_TAG_LABEL] === tag);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.informer.stop();
  }

  private emit(event: PodEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }

  private restartAfterError(error: unknown): void {
    if (this.stopped) return;
    this.logger.warn({ err: error, namespace: this.namespace }, 'pod watch failed; restarting it');
    setTimeout(() => {
      if (!this.stopped) this.informer.start().catch((e: unknown) => this.restartAfterError(e));
    }, RESTART_DELAY_MS).unref();
  }
}

/** The process's watchers, created on first use per namespace. */
export class PodWatchers {
  private readonly byNamespace = new Map<string, NamespacePodWatcher>();

  constructor(
    private readonly kube: Kube,
    private readonly logger: Logger,
  ) {}

  async forNamespace(namespace: string): Promise<NamespacePodWatcher> {
    let watcher = this.byNamespace.get(namespace);
    if (!watcher) {
      watcher = new NamespacePodWatcher(this.kube, namespace, this.logger);
      this.byNamespace.set(namespace, watcher);
    }
    await watcher.synced();
    return watcher;
  }

  /** Every namespace watched so far with the engine pods its cache holds now (for metrics). */
  watched(): { namespace: string; pods: readonly V1Pod[] }[] {
    return [...this.byNamespace.values()].map((watcher) => ({ namespace: watcher.namespace, pods: watcher.pods() }));
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.byNamespace.values()].map((watcher) => watcher.stop()));
    this.byNamespace.clear();
  }
}
