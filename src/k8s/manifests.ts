/**
 * Pure manifest work: the labels that make a pod ours, and the pod name an engine gets.
 */
import { ENGINE_TAG_LABEL, INSTANCE_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../contract/names';
import type { PodManifest } from '../contract/messages';
import { enginePodName } from './pod-name';

export interface Ownership {
  tag: string;
  instance: string;
}

export function ownershipLabels({ tag, instance }: Ownership): Record<string, string> {
  return { [ENGINE_TAG_LABEL]: tag, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [INSTANCE_LABEL]: instance };
}

/** Labels in the caller's manifest that would take ownership away from us; empty when none. */
export function conflictingLabels(labels: Record<string, string> | undefined, ownership: Ownership): string[] {
  const ours = ownershipLabels(ownership);
  return Object.entries(ours)
    .filter(([key, value]) => labels?.[key] !== undefined && labels[key] !== value)
    .map(([key, value]) => `${key}=${labels?.[key]} (must be ${value} or absent)`);
}

interface ManifestMetadata {
  name?: string;
  labels?: Record<string, string>;
  [key: string]: unknown;
}

/** The manifest we create: the caller's, named deterministically, with our labels. */
export function engineManifest(pod: PodManifest, ownership: Ownership & { namespace: string }): PodManifest {
  const metadata = (pod.metadata ?? {}) as ManifestMetadata;
  const appName = metadata.labels?.['spark-app-name'];
  return {
    ...pod,
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...metadata,
      name: metadata.name ?? enginePodName(ownership.tag, appName),
      namespace: ownership.namespace,
      labels: { ...metadata.labels, ...ownershipLabels(ownership) },
    },
  };
}

export function manifestPodName(pod: PodManifest): string {
  const name = (pod.metadata as ManifestMetadata | undefined)?.name;
  if (!name) throw new Error('manifest has no metadata.name: build it with engineManifest');
  return name;
}
