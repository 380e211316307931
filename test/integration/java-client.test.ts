/**
 * The JVM caller (clients/java) against the real stack: it launches, queries and kills an
 * engine by the names of schema/contract.json, and refuses bad input before starting
 * anything. Its answers must match the JSON Schema we publish for them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { FAILURE_TYPES } from '../../src/contract/messages';
import { ENGINE_TAG_LABEL, enginePodWorkflowId } from '../../src/contract/names';
import { engineOutcomeSchema, engineSnapshotSchema } from '../../src/contract/snapshot-schema';
import { engineHandle, untilNoPods, untilState } from '../helpers/engine';
import { engineSuite } from '../helpers/engine-suite';
import { driverManifest, eventually, podsWithTag, startWorker } from '../helpers/env';
import { ensureJar, requireJavaTools, runJar } from '../helpers/java-client';

const NS = 'default';
describe('the Java client', () => {
  const suite = engineSuite(() => startWorker({ KPL_SHUTDOWN_GRACE: '1s' }), NS);
  let dir: string;

  beforeAll(async () => {
    requireJavaTools();
    dir = mkdtempSync(path.join(tmpdir(), 'kpl-java-'));
    // A cold Maven repository downloads the Temporal SDK first: minutes on a slow link.
    await ensureJar(600_000);
  }, 660_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const jar = (...args: string[]) => runJar(args, { KPL_TASK_QUEUE: suite.worker.config.taskQueue });
  const launched = (stdout: string) => JSON.parse(stdout) as { workflowId: string; runId: string };
  function inputFile(name: string, input: unknown): string {
    const file = path.join(dir, name);
    writeFileSync(file, JSON.stringify(input));
    return file;
  }

  test('launches an engine, reads its state, kills it, and the pod goes', async () => {
    const tag = suite.leftovers.tag();
    const file = inputFile('engine.json', { tag, namespace: NS, pod: driverManifest(), policy: { retainPeriod: 'PT1S', pendingTimeout: '2m' } });

    const launch = await jar('launch', file);
    expect(launch).toMatchObject({ code: 0 });
    const workflowId = enginePodWorkflowId(NS, tag);
    expect(launched(launch.stdout)).toEqual({ workflowId, runId: expect.any(String) as unknown });

    const [pod] = await eventually(async () => {
      const pods = await podsWithTag(suite.core, NS, tag);
      return pods.length ? pods : undefined;
    }, `a pod labelled ${ENGINE_TAG_LABEL}=${tag}`);
    const handle = engineHandle(suite.engines.temporal, NS, tag);
    await untilState(handle, 'RUNNING');

    const state = await jar('state', workflowId);
    expect(state).toMatchObject({ code: 0 });
    const snapshot = engineSnapshotSchema.parse(JSON.parse(state.stdout));
    expect(snapshot).toMatchObject({ tag, state: 'RUNNING', podName: pod?.metadata?.name, podUid: pod?.metadata?.uid });
    expect(snapshot.policy).toMatchObject({ retainPeriodMs: 1_000, pendingTimeoutMs: 120_000 });

    const kill = await jar('kill', workflowId, 'from the JVM');
    expect(kill).toMatchObject({ code: 0 });
    expect(engineSnapshotSchema.parse(JSON.parse(kill.stdout))).toMatchObject({ state: 'KILLED', podDeleted: true, deleteReason: 'from the JVM' });
    await untilNoPods(suite.core, NS, tag, 15_000);

    const wait = await jar('wait', workflowId);
    expect(wait).toMatchObject({ code: 0 });
    expect(engineOutcomeSchema.parse(JSON.parse(wait.stdout))).toMatchObject({ state: 'KILLED', reason: 'from the JVM', podDeleted: true });
    expect((await handle.describe()).status.name).toBe('COMPLETED');

    // A second kill meets a closed engine: a failed operation, not a crash.
    const again = await jar('kill', workflowId);
    expect(again.code).toBe(1);
  });

  test('input the schema refuses starts nothing, and the message names the fields', async () => {
    const tag = suite.leftovers.tag();
    const file = inputFile('bad.json', { tag, namespace: NS, pod: driverManifest(), policy: { retainPeriod: '5 minutes', cleanup: 'SOMETIMES' } });

    const launch = await jar('launch', file);
    expect(launch.code).toBe(2);
    expect(launch.stdout).toBe('');
    expect(launch.stderr).toContain('$.policy.retainPeriod: is not a valid Duration');
    expect(launch.stderr).toContain('$.policy.cleanup');
    await expect(engineHandle(suite.engines.temporal, NS, tag).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(await podsWithTag(suite.core, NS, tag)).toHaveLength(0);
  });

  test('input only the worker can refuse fails the workflow before anything is created', async () => {
    const tag = suite.leftovers.tag();
    const manifest = driverManifest();
    // Valid JSON Schema, but the tag label contradicts the engine's tag: the worker's rule.
    const pod = { ...manifest, metadata: { ...manifest.metadata, labels: { [ENGINE_TAG_LABEL]: 'someone-else' } } };
    const file = inputFile('conflict.json', { tag, namespace: NS, pod });

    const launch = await jar('launch', file);
    expect(launch).toMatchObject({ code: 0 });
    const wait = await jar('wait', launched(launch.stdout).workflowId);
    expect(wait.code).toBe(2);
    expect(wait.stderr).toContain(`${FAILURE_TYPES.invalidInput}: `);
    expect(wait.stderr).toContain('pod.metadata.labels');
    expect((await engineHandle(suite.engines.temporal, NS, tag).describe()).status.name).toBe('FAILED');
    expect(await podsWithTag(suite.core, NS, tag)).toHaveLength(0);
  });
});
