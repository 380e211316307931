/**
 * Long life: a lifecycle forced through continue-as-new keeps its state. The test server
 * suggests continue-as-new after 60 events (test/helpers/stack-options.ts) and this
 * worker's watch window is 100 ms, so a few seconds of a running pod cross several runs.
 */
import { searchAttributeKeys } from '../../src/contract/messages';
import { driverManifest, eventually,  startWorker } from '../helpers/env';
import { engineSuite } from '../helpers/engine-suite';
import { engineHandle, historyOf, untilNoPods, untilSnapshot, type EngineHandle } from '../helpers/engine';

const NS = 'default';

const suite = engineSuite(() => startWorker({ KPL_WATCH_WINDOW: '100ms', KPL_SHUTDOWN_GRACE: '1s' }), NS);

/** Resolves once the engine runs in a later run than `firstRunId`. */
function untilContinued(handle: EngineHandle, firstRunId: string) {
  return eventually(async () => {
    const { runId } = await handle.describe();
    return runId !== firstRunId ? runId : undefined;
  }, 'a continued-as-new run', 20_000);
}

async function continuedAsNew(firstRunId: string, tag: string): Promise<boolean> {
  const events = await historyOf(engineHandle(suite.engines.temporal, NS, tag, firstRunId));
  const last = events[events.length - 1];
  return Boolean(last?.workflowExecutionContinuedAsNewEventAttributes);
}

test('an engine forced through continue-as-new keeps its pod, transitions and retention', async () => {
  const tag = suite.leftovers.tag();
  const launched = await suite.engines.launchEngine({ tag, namespace: NS, pod: driverManifest({ exitAfter: '5s' }), policy: { retainPeriod: '1s' } });
  const handle = engineHandle(suite.engines.temporal, NS, tag);
  const running = await untilSnapshot(handle, (s) => s.state === 'RUNNING', 'RUNNING');
  await untilContinued(handle, launched.runId);

  const outcome = await suite.engines.waitForEngine(launched);
  expect(await continuedAsNew(launched.runId, tag)).toBe(true);
  expect(outcome).toMatchObject({ state: 'FINISHED', podName: running.podName, podUid: running.podUid, podDeleted: true });
  expect(outcome.startedAt).toBe(running.startedAt);
  expect(outcome.podStartedAt).toBe(running.podStartedAt);
  expect(outcome.transitions).toEqual([...running.transitions, expect.objectContaining({ state: 'FINISHED' })]);
  expect(Date.parse(outcome.closedAt) - Date.parse(outcome.terminatedAt ?? '')).toBeGreaterThanOrEqual(1_000);
  await untilNoPods(suite.core, NS, tag, 10_000);

  const last = await handle.describe();
  expect(last.runId).not.toBe(launched.runId);
  expect(last.typedSearchAttributes.get(searchAttributeKeys.engineState)).toBe('FINISHED');
  expect(last.typedSearchAttributes.get(searchAttributeKeys.podName)).toBe(running.podName);
  expect(last.typedSearchAttributes.get(searchAttributeKeys.engineTag)).toBe(tag);
  expect(last.typedSearchAttributes.get(searchAttributeKeys.namespace)).toBe(NS);
  // Each run's history stays near the suggestion threshold, not the engine's whole life.
  expect((await historyOf(handle)).length).toBeLessThan(100);
});

test('a kill after continue-as-new reaches the new run and deletes the pod', async () => {
  const tag = suite.leftovers.tag();
  const launched = await suite.engines.launchEngine({ tag, namespace: NS, pod: driverManifest(), policy: { retainPeriod: '1s' } });
  const handle = engineHandle(suite.engines.temporal, NS, tag);
  const running = await untilSnapshot(handle, (s) => s.state === 'RUNNING', 'RUNNING');
  await untilContinued(handle, launched.runId);

  const snapshot = await suite.engines.killEngine(launched, 'after a while');
  expect(snapshot).toMatchObject({ state: 'KILLED', podUid: running.podUid, podDeleted: true });
  expect(snapshot.transitions.map((t) => t.state)).toEqual(['PENDING', 'RUNNING', 'KILLED']);
  await untilNoPods(suite.core, NS, tag, 10_000);
  expect(await suite.engines.waitForEngine(launched)).toMatchObject({ state: 'KILLED', reason: 'after a while' });
});
