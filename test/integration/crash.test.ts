/**
 * Issue 4's crash tests, on the real stack with real processes: the worker runs as
 * `kyuubi-pods worker` in a child process and is SIGKILLed; the Temporal dev server is
 * SIGKILLed and restarted on the same SQLite file. After each crash every engine must end
 * as its pod's annotations imply, every pod of the test's namespace must be gone, and no
 * workflow task may have failed.
 *
 * Restarting Temporal disrupts everyone using the shared stack for some seconds: run this
 * file on purpose, not in a loop.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CoreV1Api } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import { EngineAlreadyEndedError, EngineClient, type EngineOutcome, type LaunchedEngine } from '../../src/client';
import type { EngineSnapshot } from '../../src/contract/messages';
import { recoveryWorkflowId, type EngineState } from '../../src/contract/names';
import type { RecoveryReport } from '../../src/recovery/plan';
import { stackStatus, startTemporal, stopTemporal } from '../../src/stack';
import type { podRecovery } from '../../workflows/recovery';
import {
  activityTimes,
  clearNamespace,
  createNamespace,
  eventMs,
  historyChain,
  podsIn,
  retryTransient,
  workflowTaskFailures,
} from '../helpers/crash';
import { driverManifest, eventually, kubeApi, newTag, temporalClient } from '../helpers/env';
import { WorkerProcess } from '../helpers/worker-process';

jest.setTimeout(240_000);

type Annotations = Parameters<typeof driverManifest>[0];

interface EngineSpec {
  name: string;
  annotations: Annotations;
  retain: string;
  expected: EngineState;
  /** Runs until killed: the test kills it after the crash and expects KILLED. */
  killAfterCrash?: boolean;
}

interface Engine extends EngineSpec {
  tag: string;
  launched: LaunchedEngine;
}

let core: CoreV1Api;
let client: Client;
const workers: WorkerProcess[] = [];
const namespaces: { name: string; tags: string[] }[] = [];
let temporalStopped = false;

beforeAll(async () => {
  core = kubeApi();
  client = await temporalClient();
});

afterAll(async () => {
  for (const worker of workers) await worker.stop().catch(() => undefined);
  // A test that failed between the kill and the restart must not leave the shared stack without Temporal.
  if (temporalStopped || stackStatus().temporal === undefined) await startTemporal();
  for (const namespace of namespaces) await clearNamespace(core, client, namespace.name, namespace.tags);
  await client?.connection.close();
});

/** One test's namespace, queue, engine client and the engines it launched. */
class Scenario {
  readonly engines: Engine[] = [];
  private readonly tags: string[] = [];

  private constructor(
    readonly namespace: string,
    readonly taskQueue: string,
    readonly engineClient: EngineClient,
  ) {
    namespaces.push({ name: namespace, tags: this.tags });
  }

  static async create(prefix: string): Promise<Scenario> {
    const namespace = await createNamespace(core, prefix);
    const taskQueue = `${prefix}-${randomUUID()}`;
    return new Scenario(namespace, taskQueue, new EngineClient(client, taskQueue));
  }

  async startWorker(): Promise<WorkerProcess> {
    const worker = WorkerProcess.start({ taskQueue: this.taskQueue, namespaces: [this.namespace] });
    workers.push(worker);
    await worker.ready(client);
    return worker;
  }

  async launch(spec: EngineSpec): Promise<Engine> {
    const tag = newTag();
    this.tags.push(tag);
    const launched = await retryTransient(
      () =>
        this.engineClient.launchEngine({
          tag,
          namespace: this.namespace,
          pod: driverManifest(spec.annotations),
          policy: { retainPeriod: spec.retain },
        }),
      `launch ${spec.name}`,
    );
    const engine = { ...spec, tag, launched };
    this.engines.push(engine);
    return engine;
  }

  snapshot(engine: Engine): Promise<EngineSnapshot> {
    return retryTransient(() => this.engineClient.getEngine(engine.launched), `state of ${engine.name}`);
  }

  until(engine: Engine, accept: (s: EngineSnapshot) => boolean, what: string, timeoutMs = 30_000): Promise<EngineSnapshot> {
    return eventually(async () => {
      const snapshot = await this.snapshot(engine);
      return accept(snapshot) ? snapshot : undefined;
    }, `${engine.name} ${what}`, timeoutMs);
  }

  /** Kills an engine after the crash; a kill that went through before a lost reply is not retried into an error. */
  async kill(engine: Engine): Promise<void> {
    let attempts = 0;
    const snapshot = await retryTransient(async () => {
      attempts++;
      try {
        return await this.engineClient.killEngine(engine.launched, 'crash test');
      } catch (error) {
        if (attempts > 1 && error instanceof EngineAlreadyEndedError) return undefined;
        throw error;
      }
    }, `kill ${engine.name}`, 90_000);
    if (snapshot) expect(snapshot).toMatchObject({ tag: engine.tag, podDeleted: true, killRequest: { reason: 'crash test' } });
  }

  outcomes(timeoutMs: number): Promise<Map<string, EngineOutcome>> {
    return retryTransient(async () => {
      const outcomes = await Promise.all(this.engines.map((engine) => this.engineClient.waitForEngine(engine.launched)));
      return new Map(this.engines.map((engine, i) => [engine.name, outcomes[i] as EngineOutcome]));
    }, 'engine outcomes', timeoutMs);
  }

  /** The end state issue 4 asks for: outcomes as annotated, pods deleted, none left, no task failures. */
  async expectCleanEnd(outcomeTimeoutMs: number): Promise<Map<string, EngineOutcome>> {
    const outcomes = await this.outcomes(outcomeTimeoutMs);
    const byName = (pick: (engine: Engine) => unknown) => Object.fromEntries(this.engines.map((e) => [e.name, pick(e)]));
    expect(byName((e) => outcomes.get(e.name)?.state)).toEqual(byName((e) => e.expected));
    expect(byName((e) => outcomes.get(e.name)?.podDeleted)).toEqual(byName(() => true));

    const left = await eventually(async () => {
      const pods = await podsIn(core, this.namespace);
      return pods.length === 0 ? pods : undefined;
    }, `no pod left in ${this.namespace}`, 30_000).catch(async () => podsIn(core, this.namespace));
    expect(left.map((pod) => `${pod.metadata?.name} ${pod.status?.phase}`)).toEqual([]);

    const failures: Record<string, string[]> = {};
    for (const engine of this.engines) {
      const events = await retryTransient(() => historyChain(client, engine.launched.workflowId, engine.launched.runId), 'history');
      const failed = workflowTaskFailures(events);
      if (failed.length) failures[engine.name] = failed;
    }
    const recovery = await retryTransient(() => historyChain(client, recoveryWorkflowId(this.namespace)), 'recovery history');
    const recoveryFailed = workflowTaskFailures(recovery);
    if (recoveryFailed.length) failures.recovery = recoveryFailed;
    expect(failures).toEqual({});
    return outcomes;
  }

  /** Where each engine's life stood at `atMs`, read back from its history (for the log, not asserted). */
  async phasesAt(atMs: number): Promise<Record<string, string>> {
    const phases: Record<string, string> = {};
    for (const engine of this.engines) {
      const events = await retryTransient(() => historyChain(client, engine.launched.workflowId, engine.launched.runId), 'history');
      const before = (ms: number | undefined) => ms !== undefined && ms < atMs;
      const creates = activityTimes(events, 'createPod');
      const deletes = activityTimes(events, 'deletePod');
      const closed = eventMs(events.find((event) => event.workflowExecutionCompletedEventAttributes));
      if (before(closed)) phases[engine.name] = 'closed';
      else if (!creates.some((c) => before(c.completedMs))) {
        phases[engine.name] = creates.some((c) => before(c.scheduledMs)) ? 'creating: createPod scheduled, not completed' : 'creating: before createPod';
      } else if (deletes.some((d) => before(d.scheduledMs))) {
        phases[engine.name] = deletes.some((d) => before(d.completedMs)) ? 'deleted, not closed' : 'deleting: deletePod scheduled, not completed';
      } else phases[engine.name] = 'live or retaining';
    }
    return phases;
  }
}

/** The instant kwok's exit-after stage terminates a Running pod (its exit-at annotation). */
async function exitAt(scenario: Scenario, engine: Engine): Promise<number> {
  return eventually(async () => {
    const snapshot = await scenario.snapshot(engine);
    if (!snapshot.podName) return undefined;
    const pod = await core.readNamespacedPod({ namespace: scenario.namespace, name: snapshot.podName });
    const at = pod.metadata?.annotations?.['kyuubi-pods.local/exit-at'];
    return at ? Date.parse(at) : undefined;
  }, `${engine.name} exit-at annotation`);
}

/** The report of the recovery run a worker started at or after `sinceMs`. */
async function recoveryStartedSince(scenario: Scenario, sinceMs: number): Promise<RecoveryReport> {
  const handle = client.workflow.getHandle<typeof podRecovery>(recoveryWorkflowId(scenario.namespace));
  const runId = await eventually(async () => {
    const description = await retryTransient(() => handle.describe(), 'describe recovery');
    return description.startTime.getTime() >= sinceMs - 1_000 ? description.runId : undefined;
  }, 'recovery started by the new worker');
  return retryTransient(() => client.workflow.getHandle<typeof podRecovery>(handle.workflowId, runId).result(), 'recovery result');
}

const sleepUntil = (ms: number) => sleep(Math.max(0, ms - Date.now()));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

test('worker SIGKILLed with engines creating, running, retaining and deleting: a new worker process finishes every life, no pod leaks', async () => {
  const t0 = Date.now();
  const scenario = await Scenario.create('crash-worker');
  const first = await scenario.startWorker();
  const startedMs = Date.now() - t0;

  const running = await Promise.all([
    scenario.launch({ name: 'running-until-killed', annotations: {}, retain: '0s', expected: 'KILLED', killAfterCrash: true }),
    scenario.launch({ name: 'running-exits-0', annotations: { exitAfter: '20s' }, retain: '0s', expected: 'FINISHED' }),
    scenario.launch({ name: 'running-exits-1', annotations: { exitAfter: '20s', exitCode: '1' }, retain: '0s', expected: 'FAILED' }),
  ]);
  const retaining = await Promise.all([
    scenario.launch({ name: 'retaining-finished', annotations: { exitAfter: '1s' }, retain: '10s', expected: 'FINISHED' }),
    scenario.launch({ name: 'retaining-failed', annotations: { exitAfter: '1s', exitCode: '3' }, retain: '10s', expected: 'FAILED' }),
  ]);
  // Staggered exits around the kill: some are mid-delete when it lands (best effort).
  const deleting = await Promise.all(
    [6000, 6150, 6300, 6450].map((ms, i) =>
      scenario.launch({
        name: `deleting-${ms}ms`,
        annotations: { exitAfter: `${ms}ms`, ...(i % 2 ? { exitCode: '1' } : {}) },
        retain: '0s',
        expected: i % 2 ? 'FAILED' : 'FINISHED',
      }),
    ),
  );

  for (const engine of running) await scenario.until(engine, (s) => s.state === 'RUNNING', 'RUNNING');
  for (const engine of retaining) {
    await scenario.until(engine, (s) => s.state === engine.expected && !s.podDeleted && Boolean(s.deadlines.deleteAt), 'retaining');
  }
  const exits = (await Promise.all(deleting.map((engine) => exitAt(scenario, engine)))).sort((a, b) => a - b);
  // Between the second and third exit: the first two are being deleted, the others still run.
  const killAt = (exits[1] ?? 0) + 60;
  expect(killAt - Date.now()).toBeGreaterThan(500);

  // Launched in the last moments before the kill; the last one's createPod cannot have run yet.
  await Promise.all(
    [400, 200, 100, 0].map(async (before, i) => {
      await sleepUntil(killAt - before);
      await scenario.launch({
        name: `creating-${before}ms-before`,
        annotations: { exitAfter: '1s', ...(i % 2 ? { exitCode: '1' } : {}) },
        retain: '0s',
        expected: i % 2 ? 'FAILED' : 'FINISHED',
      });
    }),
  );
  const killedAt = Date.now();
  expect(await first.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
  expect(first.alive).toBe(false);

  await sleep(1_000);
  const restartedAt = Date.now();
  const second = await scenario.startWorker();
  const secondReadyMs = Date.now() - restartedAt;
  // The new worker's recovery finds every pod owned by a live engine and touches none.
  const recovery = await recoveryStartedSince(scenario, restartedAt);
  expect(recovery).toMatchObject({ adopted: 0, deleted: 0, errors: 0 });

  for (const engine of scenario.engines.filter((e) => e.killAfterCrash)) await scenario.kill(engine);
  await scenario.expectCleanEnd(150_000);
  const endedMs = Date.now() - killedAt;
  expect(second.alive).toBe(true);

  const phases = await scenario.phasesAt(killedAt);
  expect(phases['creating-0ms-before']).toMatch(/^creating/);
  console.info(
    `worker crash: first worker ready in ${seconds(startedMs)}, second in ${seconds(secondReadyMs)}; ` +
      `all engines ended ${seconds(endedMs)} after the SIGKILL. Phases at the kill:\n` +
      Object.entries(phases).map(([name, phase]) => `  ${name}: ${phase}`).join('\n'),
  );
});

test('Temporal dev server SIGKILLed mid-run and restarted on the same SQLite file: the worker reconnects, workflows continue, no pod leaks', async () => {
  const scenario = await Scenario.create('crash-temporal');
  const worker = await scenario.startWorker();

  const [untilKilled, exitsLater] = await Promise.all([
    scenario.launch({ name: 'running-until-killed', annotations: {}, retain: '0s', expected: 'KILLED', killAfterCrash: true }),
    scenario.launch({ name: 'exits-after-restart', annotations: { exitAfter: '25s' }, retain: '0s', expected: 'FINISHED' }),
  ]);
  const duringOutage = await Promise.all([
    scenario.launch({ name: 'exits-0-during-outage', annotations: { exitAfter: '8500ms' }, retain: '0s', expected: 'FINISHED' }),
    scenario.launch({ name: 'exits-2-during-outage', annotations: { exitAfter: '8500ms', exitCode: '2' }, retain: '0s', expected: 'FAILED' }),
  ]);
  const deleting = await Promise.all(
    [6000, 6150].map((ms) => scenario.launch({ name: `deleting-${ms}ms`, annotations: { exitAfter: `${ms}ms` }, retain: '0s', expected: 'FINISHED' })),
  );
  const retaining = await scenario.launch({ name: 'retaining', annotations: { exitAfter: '1s' }, retain: '8s', expected: 'FINISHED' });
  for (const engine of [untilKilled, exitsLater, ...duringOutage]) await scenario.until(engine, (s) => s.state === 'RUNNING', 'RUNNING');
  await scenario.until(retaining, (s) => s.state === 'FINISHED' && !s.podDeleted && Boolean(s.deadlines.deleteAt), 'retaining');
  const deletingExits = await Promise.all(deleting.map((engine) => exitAt(scenario, engine)));
  const outageExits = await Promise.all(duringOutage.map((engine) => exitAt(scenario, engine)));
  const killAt = Math.min(...deletingExits) + 60;
  expect(killAt - Date.now()).toBeGreaterThan(500);
  await Promise.all(
    [200, 0].map(async (before, i) => {
      await sleepUntil(killAt - before);
      await scenario.launch({ name: `creating-${before}ms-before`, annotations: { exitAfter: '1s', ...(i ? { exitCode: '1' } : {}) },
        retain: '0s', expected: i ? 'FAILED' : 'FINISHED' });
    }),
  );

  temporalStopped = true;
  const killedAt = Date.now();
  await stopTemporal({ signal: 'SIGKILL' });
  expect(stackStatus().temporal).toBeUndefined();
  // Down while the outage engines' pods terminate: their watches end with no server to report to.
  expect(Math.max(...outageExits)).toBeGreaterThan(Date.now());
  await sleepUntil(Math.max(Math.max(...outageExits) + 1_000, killedAt + 3_000));
  await startTemporal();
  temporalStopped = false;
  const upMs = Date.now() - killedAt;

  // The same process, not a new one, polls the restarted server.
  expect(worker.alive).toBe(true);
  await eventually(async () => ((await retryTransient(() => worker.polling(client), 'describe task queue')) ? true : undefined),
    'worker polling the restarted server', 60_000);
  const reconnectedMs = Date.now() - killedAt;

  await scenario.kill(untilKilled);
  await scenario.expectCleanEnd(150_000);
  expect(worker.alive).toBe(true);
  console.info(
    `temporal restart: server answering again ${seconds(upMs)} after the SIGKILL, worker polling after ${seconds(reconnectedMs)}, ` +
      `all engines ended after ${seconds(Date.now() - killedAt)}. Phases at the kill:\n` +
      Object.entries(await scenario.phasesAt(killedAt)).map(([name, phase]) => `  ${name}: ${phase}`).join('\n'),
  );
});
