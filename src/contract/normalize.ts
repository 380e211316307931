/**
 * Turns a caller's input into what `enginePod` runs on: validated, defaults applied,
 * durations in milliseconds, the manifest named and labelled. Pure; throws
 * InvalidInputError naming every bad field, so bad input creates nothing.
 */
import type { Config } from '../config';
import { conflictingLabels, engineManifest, manifestPodName } from '../k8s/manifests';
import type { NormalizedEngineInput } from './messages';
import { describeIssues, enginePodInputSchema } from './schemas';

export class InvalidInputError extends Error {
  override name = 'InvalidInputError';
}

/** The worker and the client library refuse a namespace outside KPL_NAMESPACES alike. */
export function assertNamespaceAllowed(namespace: string, allowed: readonly string[] | undefined): void {
  if (allowed && !allowed.includes(namespace)) {
    throw new InvalidInputError(
      `Invalid engine input:\nnamespace: "${namespace}" is not managed by this installation ` +
        `(KPL_NAMESPACES allows ${allowed.join(', ')})`,
    );
  }
}

export type NormalizeContext = Pick<Config, 'instance' | 'namespaces' | 'defaultPolicy'>;

export function normalizeEngineInput(raw: unknown, context: NormalizeContext): NormalizedEngineInput {
  const parsed = enginePodInputSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidInputError(`Invalid engine input:\n${describeIssues(parsed.error)}`);
  }
  const input = parsed.data;
  assertNamespaceAllowed(input.namespace, context.namespaces);
  const ownership = { tag: input.tag, instance: context.instance, namespace: input.namespace };
  const conflicts = conflictingLabels(input.pod?.metadata?.labels, ownership);
  if (conflicts.length) {
    throw new InvalidInputError(
      `Invalid engine input:\npod.metadata.labels: would override the labels that mark the pod ours: ${conflicts.join(', ')}`,
    );
  }
  const pod = input.pod ? engineManifest(input.pod, ownership) : undefined;
  const p = input.policy ?? {};
  const defaults = context.defaultPolicy;
  return {
    tag: input.tag,
    namespace: input.namespace,
    mode: input.mode ?? 'create',
    pod,
    podName: input.podName ?? (pod ? manifestPodName(pod) : undefined),
    podUid: input.podUid,
    instance: context.instance,
    policy: {
      cleanup: p.cleanup ?? defaults.cleanup,
      retainPeriodMs: p.retainPeriod ?? defaults.retainPeriodMs,
      pendingTimeoutMs: p.pendingTimeout ?? defaults.pendingTimeoutMs,
      submitTimeoutMs: p.submitTimeout ?? defaults.submitTimeoutMs,
      maxLifetimeMs: p.maxLifetime ?? defaults.maxLifetimeMs,
      stateSource: p.stateSource ?? defaults.stateSource,
      stateContainer: p.stateContainer ?? defaults.stateContainer,
    },
  };
}
