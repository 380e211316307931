/**
 * What recovery does with each labelled pod, decided from facts gathered by activities.
 * Pure and workflow-safe: the workflow calls it, and table tests pin every rule.
 */
import type { EngineState } from '../contract/names';
import { isTerminalState } from '../contract/names';

/** A pod as recovery sees it: identity, ownership labels and mapped engine state. */
export interface PodSummary {
  name: string;
  uid: string;
  tag: string;
  /** Value of our instance label; undefined for pods someone else created (spark-submit). */
  instance?: string;
  state: EngineState;
  /** ISO time the pod terminated, when it has. */
  terminatedAt?: string;
  /** The apiserver is already deleting it. */
  deleting: boolean;
}

/** What Temporal knows about the engine workflow of a tag, confirmed by describe. */
export type EngineRecord =
  | { status: 'running' }
  | { status: 'none' }
  /** Closed after deciding to keep this pod (cleanup COMPLETED/NONE): leave it alone. */
  | { status: 'kept'; podUid?: string }
  /** Closed without finishing the pod's life (terminated, failed, cancelled, or another pod). */
  | { status: 'closed'; deletedPodUid?: string };

export type Decision = 'owned' | 'adopt' | 'delete' | 'skip';

/**
 * The failure type of a recovery that cannot run as asked (a bad namespace or selector, a
 * namespace outside KPL_NAMESPACES): non-retryable, and the CLI's exit 2.
 */
export const INVALID_RECOVERY_INPUT = 'InvalidRecoveryInput';

export interface PodDecision {
  pod: string;
  uid: string;
  tag: string;
  state: EngineState;
  decision: Decision;
  why: string;
}

export interface PlanContext {
  instance: string;
  /** The default retain period of this installation, for orphans nobody set one for. */
  retainPeriodMs: number;
  /** Now, as ms since the epoch (the workflow's deterministic clock). */
  nowMs: number;
}

export function decide(pod: PodSummary, record: EngineRecord, context: PlanContext): PodDecision {
  const base = { pod: pod.name, uid: pod.uid, tag: pod.tag, state: pod.state };
  const result = (decision: Decision, why: string): PodDecision => ({ ...base, decision, why });
  if (pod.instance !== undefined && pod.instance !== context.instance) {
    return result('skip', `belongs to instance "${pod.instance}", not "${context.instance}"`);
  }
  if (record.status === 'running') return result('owned', 'its engine workflow is running');
  if (pod.deleting) return result('skip', 'already being deleted');
  // The pod list can predate the engine's own delete and close: that pod is not an orphan.
  if (record.status === 'closed' && record.deletedPodUid === pod.uid) return result('skip', 'deleted by its engine already');
  if (record.status === 'kept' && (record.podUid === undefined || record.podUid === pod.uid)) {
    return result('skip', 'kept by its engine\'s cleanup policy');
  }
  const orphan = record.status === 'none' ? 'no engine workflow' : 'its engine workflow ended without it';
  if (!isTerminalState(pod.state)) return result('adopt', `${orphan}; ${pod.state}: adopt to follow it`);
  const terminatedMs = pod.terminatedAt ? Date.parse(pod.terminatedAt) : Number.NaN;
  const pastRetention = Number.isNaN(terminatedMs) || context.nowMs - terminatedMs >= context.retainPeriodMs;
  return pastRetention
    ? result('delete', `${orphan}; ${pod.state} and past its retain period`)
    : result('adopt', `${orphan}; ${pod.state} within its retain period: adopt so the timer applies`);
}

export interface RecoveryReport {
  namespace: string;
  dryRun: boolean;
  scanned: number;
  owned: number;
  adopted: number;
  deleted: number;
  skipped: number;
  errors: number;
  pages: number;
  /** Decisions on orphans and skips (not owned pods), most recent last, bounded. */
  decisions: PodDecision[];
  /** Decisions left out of `decisions` to bound the report's size. */
  decisionsOmitted: number;
  startedAt: string;
  /** Set when this run did nothing because the recovery under this workflow id was already running. */
  alreadyRunning?: string;
}

export const MAX_REPORTED_DECISIONS = 500;

export function emptyReport(namespace: string, dryRun: boolean, startedAt: string): RecoveryReport {
  return {
    namespace, dryRun, scanned: 0, owned: 0, adopted: 0, deleted: 0, skipped: 0, errors: 0, pages: 0,
    decisions: [], decisionsOmitted: 0, startedAt,
  };
}

/** Adds one page's decisions and what acting on them achieved. */
export function addPage(report: RecoveryReport, decisions: PodDecision[], failed: ReadonlySet<string>): RecoveryReport {
  const count = (d: Decision) => decisions.filter((x) => x.decision === d && !failed.has(x.uid)).length;
  const notable = decisions.filter((d) => d.decision !== 'owned');
  const kept = [...report.decisions, ...notable];
  const overflow = Math.max(0, kept.length - MAX_REPORTED_DECISIONS);
  return {
    ...report,
    scanned: report.scanned + decisions.length,
    owned: report.owned + count('owned'),
    adopted: report.adopted + count('adopt'),
    deleted: report.deleted + count('delete'),
    skipped: report.skipped + count('skip'),
    errors: report.errors + failed.size,
    pages: report.pages + 1,
    decisions: kept.slice(overflow),
    decisionsOmitted: report.decisionsOmitted + overflow,
  };
}
