/**
 * Orphan pods made directly in the apiserver, as a crash would leave them: labelled like
 * engine pods, with no workflow behind them.
 */
import { randomBytes } from 'node:crypto';
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { ENGINE_TAG_LABEL, INSTANCE_LABEL } from '../../src/contract/names';
import { driverManifest, eventually, newTag } from './env';

export async function createNamespace(core: CoreV1Api, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

export async function createOrphan(
  core: CoreV1Api,
  namespace: string,
  annotations: Parameters<typeof driverManifest>[0] = {},
  labels: Record<string, string> = {},
): Promise<V1Pod> {
  const tag = newTag();
  const manifest = driverManifest(annotations);
  return core.createNamespacedPod({
    namespace,
    body: {
      ...manifest,
      metadata: { ...manifest.metadata, name: `orphan-${tag}`, labels: { ...manifest.metadata?.labels, [ENGINE_TAG_LABEL]: tag, ...labels } },
    },
  });
}

export function foreignLabels(instance: string): Record<string, string> {
  return { [INSTANCE_LABEL]: instance };
}

export async function waitForPhase(core: CoreV1Api, namespace: string, name: string, phases: string[]): Promise<V1Pod> {
  return eventually(async () => {
    const pod = await core.readNamespacedPod({ namespace, name });
    return phases.includes(pod.status?.phase ?? '') ? pod : undefined;
  }, `${name} in ${phases.join('/')}`);
}

export async function podExists(core: CoreV1Api, namespace: string, uid: string): Promise<boolean> {
  const list = await core.listNamespacedPod({ namespace });
  return list.items.some((pod) => pod.metadata?.uid === uid);
}
