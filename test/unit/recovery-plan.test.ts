import { addPage, decide, emptyReport, MAX_REPORTED_DECISIONS, type EngineRecord, type PodDecision, type PodSummary } from '../../src/recovery/plan';

const NOW = Date.parse('2026-12-04T12:00:00Z');
const context = { instance: 'prod', retainPeriodMs: 5 * 60_000, nowMs: NOW };
const ago = (ms: number) => new Date(NOW - ms).toISOString();

function pod(overrides: Partial<PodSummary> = {}): PodSummary {
  return { name: 'kyuubi-a-driver', uid: 'u1', tag: 'a', state: 'RUNNING', deleting: false, ...overrides };
}

const none: EngineRecord = { status: 'none' };
const running: EngineRecord = { status: 'running' };
const closed: EngineRecord = { status: 'closed' };

describe('decide', () => {
  it.each<[string, PodSummary, EngineRecord, PodDecision['decision'], RegExp]>([
    ['running pod with a running engine', pod(), running, 'owned', /running/],
    ['terminated pod with a running engine (retention timer owns it)', pod({ state: 'FINISHED', terminatedAt: ago(3_600_000) }), running, 'owned', /running/],
    ['running pod without a workflow', pod(), none, 'adopt', /no engine workflow; RUNNING/],
    ['pending pod without a workflow', pod({ state: 'PENDING' }), none, 'adopt', /PENDING/],
    ['unknown-state pod without a workflow', pod({ state: 'UNKNOWN' }), none, 'adopt', /UNKNOWN/],
    ['finished long ago, no workflow', pod({ state: 'FINISHED', terminatedAt: ago(3_600_000) }), none, 'delete', /past its retain period/],
    ['failed exactly at the retain period', pod({ state: 'FAILED', terminatedAt: ago(5 * 60_000) }), none, 'delete', /past/],
    ['finished a moment ago, no workflow', pod({ state: 'FINISHED', terminatedAt: ago(10_000) }), none, 'adopt', /within its retain period/],
    ['terminated without a termination time', pod({ state: 'FAILED' }), none, 'delete', /past/],
    ['foreign instance, no workflow', pod({ instance: 'staging' }), none, 'skip', /instance "staging"/],
    ['foreign instance even with a running workflow', pod({ instance: 'staging' }), running, 'skip', /staging/],
    ['our instance label', pod({ instance: 'prod' }), none, 'adopt', /RUNNING/],
    ['no instance label (spark-submit made it)', pod({ instance: undefined }), none, 'adopt', /RUNNING/],
    ['already being deleted', pod({ deleting: true, state: 'FINISHED', terminatedAt: ago(3_600_000) }), none, 'skip', /being deleted/],
    ['kept by cleanup policy, same pod', pod({ state: 'FAILED', terminatedAt: ago(3_600_000) }), { status: 'kept', podUid: 'u1' }, 'skip', /cleanup policy/],
    ['kept record names another pod of the tag', pod({ state: 'FAILED', terminatedAt: ago(3_600_000) }), { status: 'kept', podUid: 'u0' }, 'delete', /ended without it/],
    ['workflow closed without the pod, live pod', pod(), closed, 'adopt', /ended without it; RUNNING/],
    ['listed before its engine deleted it and closed', pod({ state: 'FINISHED', terminatedAt: ago(10_000) }), { status: 'closed', deletedPodUid: 'u1' }, 'skip', /deleted by its engine/],
    ['engine deleted an earlier pod of the tag', pod(), { status: 'closed', deletedPodUid: 'u0' }, 'adopt', /ended without it/],
    ['workflow closed without the pod, old terminated pod', pod({ state: 'KILLED', terminatedAt: ago(3_600_000) }), closed, 'delete', /ended without it/],
  ])('%s', (_name, summary, record, decision, why) => {
    const result = decide(summary, record, context);
    expect(result.decision).toBe(decision);
    expect(result.why).toMatch(why);
    expect(result).toMatchObject({ pod: summary.name, uid: summary.uid, tag: summary.tag, state: summary.state });
  });
});

describe('addPage', () => {
  const d = (decision: PodDecision['decision'], uid: string): PodDecision => ({ pod: uid, uid, tag: uid, state: 'RUNNING', decision, why: '' });

  it('counts decisions, excludes failed actions from their count, and lists only notable ones', () => {
    const report = addPage(emptyReport('ns', false, ago(0)), [d('owned', 'a'), d('adopt', 'b'), d('adopt', 'c'), d('delete', 'e'), d('skip', 'f')], new Set(['c']));
    expect(report).toMatchObject({ scanned: 5, owned: 1, adopted: 1, deleted: 1, skipped: 1, errors: 1, pages: 1 });
    expect(report.decisions.map((x) => x.uid)).toEqual(['b', 'c', 'e', 'f']);
  });

  it('bounds the decision list and counts what it left out', () => {
    const many = Array.from({ length: MAX_REPORTED_DECISIONS + 7 }, (_, i) => d('adopt', `p${i}`));
    const report = addPage(emptyReport('ns', true, ago(0)), many, new Set());
    expect(report.decisions).toHaveLength(MAX_REPORTED_DECISIONS);
    expect(report.decisionsOmitted).toBe(7);
    expect(report.decisions.at(-1)?.uid).toBe(`p${MAX_REPORTED_DECISIONS + 6}`);
  });
});
