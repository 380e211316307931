/**
 * Records what the apiserver says happened to pods with one engine tag, from a watch of
 * our own, so tests assert on the apiserver's view rather than on the code under test.
 */
import { KubeConfig, Watch, type V1Pod } from '@kubernetes/client-node';
import { ENGINE_TAG_LABEL } from '../../src/contract/names';

export interface RecordedEvent {
  type: string;
  phase?: string;
  pod: V1Pod;
}

export class PodRecorder {
  readonly events: RecordedEvent[] = [];
  private request?: { abort(): void };

  private constructor() {}

  static async start(namespace: string, tag: string): Promise<PodRecorder> {
    const recorder = new PodRecorder();
    const config = new KubeConfig();
    config.loadFromDefault();
    recorder.request = await new Watch(config).watch(
      `/api/v1/namespaces/${namespace}/pods`,
      { labelSelector: `${ENGINE_TAG_LABEL}=${tag}` },
      (type: string, pod: V1Pod) => recorder.events.push({ type, phase: pod.status?.phase, pod }),
      () => undefined,
    );
    return recorder;
  }

  phases(): string[] {
    return this.events.map((e) => e.phase ?? '').filter((p, i, all) => p && p !== all[i - 1]);
  }

  sawDeleted(): boolean {
    return this.events.some((e) => e.type === 'DELETED');
  }

  stop(): void {
    this.request?.abort();
  }
}
