/**
 * Plain types and Temporal message definitions shared by workflows, activities and
 * clients. Workflow-safe: no zod, no Node APIs (zod lives in schemas.ts, at the edges).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { SEARCH_ATTRIBUTES, type EngineState } from './names';
import type { RecoveryReport } from '../recovery/plan';

export type CleanupPolicy = 'ALL' | 'COMPLETED' | 'NONE';
export type StateSource = 'POD' | 'CONTAINER';
export type EngineMode = 'create' | 'track';

/** A V1Pod manifest as JSON; validated by the activity, opaque to the workflow. */
export type PodManifest = Record<string, unknown>;

/** The policy after normalization: defaults applied, durations in milliseconds. */
export interface EnginePolicy {
  cleanup: CleanupPolicy;
  retainPeriodMs: number;
  pendingTimeoutMs: number;
  submitTimeoutMs: number;
  maxLifetimeMs?: number;
  stateSource: StateSource;
  stateContainer: string;
}

/** What the first activity hands the workflow: valid, complete, durations in ms. */
export interface NormalizedEngineInput {
  tag: string;
  namespace: string;
  mode: EngineMode;
  /** The manifest to create, labels already applied (create mode only). */
  pod?: PodManifest;
  podName?: string;
  podUid?: string;
  instance: string;
  policy: EnginePolicy;
}

/** What the workflow knows about its pod, as an activity last observed it. */
export interface PodObservation {
  name: string;
  uid: string;
  state: EngineState;
  phase?: string;
  reason?: string;
  message?: string;
  exitCode?: number;
  createdAt?: string;
  startedAt?: string;
  terminatedAt?: string;
  /** The pod is gone from the apiserver (deleted by someone, or never existed). */
  gone?: boolean;
}

export interface StateTransition {
  state: EngineState;
  at: string;
  reason?: string;
}

export interface EngineDeadlines {
  /** The engine is failed and its pod deleted if still PENDING then. */
  pendingUntil?: string;
  /** The engine is killed (MaxLifetimeExceeded) then. */
  maxLifetimeUntil?: string;
  /** A terminated pod is deleted then, per the cleanup policy. */
  deleteAt?: string;
  /** In track mode: NOT_FOUND if no pod with the tag has appeared by then. */
  submitUntil?: string;
}

export interface EngineSnapshot {
  tag: string;
  namespace: string;
  mode: EngineMode;
  state: EngineState;
  phase?: string;
  reason?: string;
  message?: string;
  exitCode?: number;
  podName?: string;
  podUid?: string;
  startedAt: string;
  podCreatedAt?: string;
  podStartedAt?: string;
  terminatedAt?: string;
  deadlines: EngineDeadlines;
  /** Most recent transitions, oldest first; bounded so the snapshot stays small. */
  transitions: StateTransition[];
  killRequest?: { reason: string; at: string };
  /** Whether the pod has been deleted by us, and why. */
  podDeleted: boolean;
  deleteReason?: string;
  /** Known once the input has been validated. */
  policy?: EnginePolicy;
}

/** The workflow's result: its final snapshot. */
export type EngineOutcome = EngineSnapshot & { closedAt: string };

export interface KillRequest {
  reason?: string;
}

/**
 * What continue-as-new carries into the next run as `enginePod`'s second argument; a
 * caller passes only the first (its raw input, validated by the first activity).
 */
export interface CarriedEngine {
  input: NormalizedEngineInput;
  snapshot: EngineSnapshot;
}

export const engineStateQuery = defineQuery<EngineSnapshot>('engineState');
/** Kill and wait until the delete is accepted; rejected when the engine is already terminal. */
export const killUpdate = defineUpdate<EngineSnapshot, [KillRequest]>('kill');
/** Fire-and-forget kill for callers that cannot wait. */
export const killSignal = defineSignal<[KillRequest]>('kill');

export const searchAttributeKeys = {
  engineTag: defineSearchAttributeKey(SEARCH_ATTRIBUTES.engineTag, SearchAttributeType.KEYWORD),
  engineState: defineSearchAttributeKey(SEARCH_ATTRIBUTES.engineState, SearchAttributeType.KEYWORD),
  podName: defineSearchAttributeKey(SEARCH_ATTRIBUTES.podName, SearchAttributeType.KEYWORD),
  namespace: defineSearchAttributeKey(SEARCH_ATTRIBUTES.namespace, SearchAttributeType.KEYWORD),
} as const;

/** ApplicationFailure types the workflow and activities raise; callers match on them. */
export const FAILURE_TYPES = {
  invalidInput: 'InvalidEngineInput',
  podNameConflict: 'PodNameConflict',
  alreadyTerminal: 'EngineAlreadyTerminal',
  namespaceNotAllowed: 'NamespaceNotAllowed',
} as const;

export const KILL_REASONS = {
  default: 'Killed by request',
  maxLifetime: 'MaxLifetimeExceeded',
  pendingTimeout: 'PendingTimeout',
  cancelled: 'WorkflowCancelled',
} as const;

/** Why a pod was deleted other than by a kill (kill reasons above, or a caller's own text). */
export const DELETE_REASONS = {
  retentionEnded: 'RetentionEnded',
  orphanPastRetention: 'OrphanPastRetention',
} as const;

export interface RecoveryInput {
  namespace: string;
  /** Decide and report, change nothing. */
  dryRun?: boolean;
  /** Label selector; default the worker's KPL_RECOVERY_SELECTOR (has kyuubi-unique-tag). */
  selector?: string;
  pageSize?: number;
}

/** What continue-as-new carries between pages of one recovery run. */
export interface CarriedRecovery {
  report: RecoveryReport;
  continueToken?: string;
}

export const recoveryProgressQuery = defineQuery<RecoveryReport>('recoveryProgress');
