/**
 * When this process saw each pod of a namespace terminate, get marked for deletion and
 * disappear: a watch of our own, so latencies come from the apiserver's stream of events,
 * not from the worker under test.
 */
import { KubeConfig, Watch, type V1Pod } from '@kubernetes/client-node';

export interface PodTimes {
  name: string;
  terminatedSeenMs?: number;
  deletionMarkedSeenMs?: number;
  deletedSeenMs?: number;
}

export class PodTimeline {
  readonly pods = new Map<string, PodTimes>();
  private request?: { abort(): void };

  static async start(kubeconfigPath: string, namespace: string): Promise<PodTimeline> {
    const timeline = new PodTimeline();
    const config = new KubeConfig();
    config.loadFromFile(kubeconfigPath);
    timeline.request = await new Watch(config).watch(
      `/api/v1/namespaces/${namespace}/pods`,
      {},
      (type: string, pod: V1Pod) => timeline.record(type, pod, Date.now()),
      () => undefined,
    );
    return timeline;
  }

  private record(type: string, pod: V1Pod, now: number): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    const times = this.pods.get(uid) ?? { name: pod.metadata?.name ?? '' };
    const phase = pod.status?.phase;
    if ((phase === 'Succeeded' || phase === 'Failed') && times.terminatedSeenMs === undefined) times.terminatedSeenMs = now;
    if (pod.metadata?.deletionTimestamp && times.deletionMarkedSeenMs === undefined) times.deletionMarkedSeenMs = now;
    if (type === 'DELETED' && times.deletedSeenMs === undefined) times.deletedSeenMs = now;
    this.pods.set(uid, times);
  }

  stop(): void {
    this.request?.abort();
  }
}
