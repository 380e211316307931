/**
 * The names every part of the system shares: Temporal ids, queues, labels, search
 * attributes and engine states. Workflow-safe: no Node APIs, no zod, no IO, so the
 * workflow bundle imports it as it is.
 */

export const PACKAGE_NAME = 'kyuubi-pod-lifecycle';
export const CLI_NAME = 'kyuubi-pods';
export const TASK_QUEUE = 'kyuubi-engine-pods';

export const WORKFLOW_TYPES = {
  enginePod: 'enginePod',
  podRecovery: 'podRecovery',
} as const;

/** Kyuubi's own label key on every engine pod it launches. */
export const ENGINE_TAG_LABEL = 'kyuubi-unique-tag';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = PACKAGE_NAME;
export const INSTANCE_LABEL = `${PACKAGE_NAME}/instance`;

/** Annotations the local stack's kwok stages obey (never meaningful on a real cluster). */
export const LOCAL_STACK_ANNOTATIONS = {
  exitAfter: 'kyuubi-pods.local/exit-after',
  exitCode: 'kyuubi-pods.local/exit-code',
  stuckReason: 'kyuubi-pods.local/stuck-reason',
} as const;

export const SEARCH_ATTRIBUTES = {
  engineTag: 'KyuubiEngineTag',
  engineState: 'EngineState',
  podName: 'K8sPodName',
  namespace: 'K8sNamespace',
} as const;
export type SearchAttributeName = (typeof SEARCH_ATTRIBUTES)[keyof typeof SEARCH_ATTRIBUTES];
/** Every search attribute is a Keyword; the stack registers them with this type. */
export const SEARCH_ATTRIBUTE_KIND = 'Keyword';

/** Kyuubi's ApplicationState, spelled as Kyuubi spells it. */
export const ENGINE_STATES = [
  'PENDING',
  'RUNNING',
  'FINISHED',
  'KILLED',
  'FAILED',
  'ZOMBIE',
  'NOT_FOUND',
  'UNKNOWN',
] as const;
export type EngineState = (typeof ENGINE_STATES)[number];

const TERMINAL_STATES: ReadonlySet<EngineState> = new Set(['FINISHED', 'KILLED', 'FAILED', 'NOT_FOUND']);
export function isTerminalState(state: EngineState): boolean {
  return TERMINAL_STATES.has(state);
}

export function enginePodWorkflowId(namespace: string, tag: string): string {
  return `engine-pod/${namespace}/${tag}`;
}

export function recoveryWorkflowId(namespace: string): string {
  return `pod-recovery/${namespace}`;
}

/** The namespace and tag an `enginePod` workflow id names (inverse of enginePodWorkflowId), or undefined. */
export function parseEnginePodWorkflowId(workflowId: string): { namespace: string; tag: string } | undefined {
  const match = /^engine-pod\/([^/]+)\/(.+)$/.exec(workflowId);
  return match?.[1] && match[2] ? { namespace: match[1], tag: match[2] } : undefined;
}

/** The namespace a recovery workflow id (a run, a dry run) is about, or undefined. */
export function parseRecoveryWorkflowId(workflowId: string): string | undefined {
  return /^pod-recovery\/([^/]+)(\/|$)/.exec(workflowId)?.[1];
}

export function recoveryScheduleId(namespace: string): string {
  return `pod-recovery-${namespace}`;
}

/** A dry run never shares the real run's id, so it can run beside it. */
export function recoveryDryRunWorkflowId(namespace: string, runId: string): string {
  return `${recoveryWorkflowId(namespace)}/dry-run/${runId}`;
}

/**
 * Payload encryption's wire format (KPL_ENCRYPTION_KEY), published in schema/contract.json
 * so callers in other languages (clients/java) encrypt the same way: AES-256-GCM over the
 * protobuf-serialized payload, stored as `IV | ciphertext | tag`, the key's id beside it.
 * keyId = the first `keyIdHexChars` of hex(SHA-256(keyIdDomain + "\0" + key bytes)).
 */
export const PAYLOAD_ENCRYPTION = {
  keyVariable: 'KPL_ENCRYPTION_KEY',
  cipher: 'AES-256-GCM',
  keyBytes: 32,
  ivBytes: 12,
  tagBytes: 16,
  encoding: 'binary/encrypted',
  keyIdMetadataKey: 'encryption-key-id',
  keyIdDomain: 'kyuubi-pod-lifecycle/encryption-key-id',
  keyIdHexChars: 16,
} as const;
