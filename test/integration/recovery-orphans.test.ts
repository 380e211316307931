/**
 * After a crash left pods with no workflow: a worker starting up recovers them. Old
 * terminated pods are deleted, recent ones after their retention (the worker's default
 * policy), running ones adopted (status and kill work), a foreign instance's untouched.
 */
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { recoveryWorkflowId } from '../../src/contract/names';
import type { RecoveryReport } from '../../src/recovery/plan';
import { ENGINE_TAG_LABEL } from '../../src/contract/names';
import { eventually, kubeApi, startWorker, temporalClient, type TestWorker } from '../helpers/env';
import { createNamespace, createOrphan, foreignLabels, podExists, waitForPhase } from '../helpers/orphans';

const RETAIN_MS = 8_000;
let core: CoreV1Api;
let worker: TestWorker | undefined;

beforeAll(() => {
  core = kubeApi();
});

afterAll(async () => {
  await worker?.stop();
});

const tagOf = (pod: V1Pod) => pod.metadata?.labels?.[ENGINE_TAG_LABEL] ?? '';
const uidOf = (pod: V1Pod) => pod.metadata?.uid ?? '';

test('a starting worker deletes old terminated orphans, retains recent ones, adopts running ones, leaves foreign ones', async () => {
  const ns = await createNamespace(core, 'orphans');
  const oldFinished = await createOrphan(core, ns, { exitAfter: '0s' });
  const oldFailed = await createOrphan(core, ns, { exitAfter: '0s', exitCode: '1' });
  await waitForPhase(core, ns, oldFinished.metadata?.name ?? '', ['Succeeded']);
  await waitForPhase(core, ns, oldFailed.metadata?.name ?? '', ['Failed']);
  // Older than the retain period by the time the worker starts.
  await new Promise((resolve) => setTimeout(resolve, RETAIN_MS + 500));

  const running = await Promise.all([createOrphan(core, ns), createOrphan(core, ns)]);
  const recent = await createOrphan(core, ns, { exitAfter: '0s' });
  const foreign = await createOrphan(core, ns, { exitAfter: '0s' }, foreignLabels('someone-else'));
  await waitForPhase(core, ns, recent.metadata?.name ?? '', ['Succeeded']);
  await Promise.all(running.map((pod) => waitForPhase(core, ns, pod.metadata?.name ?? '', ['Running'])));
  const recentTerminatedAt = Date.now();

  worker = await startWorker({
    KPL_RECOVERY_ON_START: 'true',
    KPL_NAMESPACES: ns,
    KPL_INSTANCE: 'recovery-test',
    KPL_DEFAULT_RETAIN_PERIOD: `${RETAIN_MS / 1000}s`,
  });
  const temporal = await temporalClient();
  const report = await eventually<RecoveryReport>(async () => {
    try {
      return (await temporal.workflow.getHandle(recoveryWorkflowId(ns)).result()) as RecoveryReport;
    } catch {
      return undefined;
    }
  }, 'recovery report');

  const decisionOf = (pod: V1Pod) => report.decisions.find((d) => d.uid === uidOf(pod))?.decision;
  expect(report).toMatchObject({ namespace: ns, dryRun: false, scanned: 6, deleted: 2, adopted: 3, skipped: 1, errors: 0 });
  expect([oldFinished, oldFailed].map(decisionOf)).toEqual(['delete', 'delete']);
  expect([...running, recent].map(decisionOf)).toEqual(['adopt', 'adopt', 'adopt']);
  expect(decisionOf(foreign)).toBe('skip');

  // Old terminated orphans are gone at once.
  await eventually(async () => (!(await podExists(core, ns, uidOf(oldFinished))) && !(await podExists(core, ns, uidOf(oldFailed))) ? true : undefined), 'old orphans deleted');
  // The recent one is kept until its retain period from termination has passed, then deleted.
  if (Date.now() - recentTerminatedAt < RETAIN_MS - 2_000) expect(await podExists(core, ns, uidOf(recent))).toBe(true);
  await eventually(async () => (!(await podExists(core, ns, uidOf(recent))) ? true : undefined), 'recent orphan deleted after retention', RETAIN_MS + 20_000);

  // Running orphans are followed by engines in track mode: status answers, kill works.
  const engines = await worker.engines();
  for (const pod of running) {
    const snapshot = await engines.getEngine({ tag: tagOf(pod), namespace: ns });
    expect(snapshot).toMatchObject({ state: 'RUNNING', mode: 'track', podUid: uidOf(pod) });
    const killed = await engines.killEngine({ tag: tagOf(pod), namespace: ns }, 'adopted then killed');
    expect(killed.podDeleted).toBe(true);
  }
  await eventually(async () => (!(await Promise.all(running.map((pod) => podExists(core, ns, uidOf(pod))))).some(Boolean) ? true : undefined), 'adopted pods deleted');

  // The foreign instance's pod is untouched: still there, no engine for it.
  expect(await podExists(core, ns, uidOf(foreign))).toBe(true);
  await expect(engines.getEngine({ tag: tagOf(foreign), namespace: ns })).rejects.toThrow(/No engine/);
  await temporal.connection.close();
  await engines.temporal.connection.close();
});
