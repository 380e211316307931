/**
 * `kyuubi-pods recover --dry-run` as an operator runs it: on orphans in every state it
 * changes nothing (same pods, no DELETE in the audit log, no engine started), and the real
 * run then does exactly what the plan said. Text mode prints the plan as a table. A bad
 * namespace, a namespace outside KPL_NAMESPACES or a selector the apiserver rejects exits
 * 2 and touches nothing.
 */
import { randomBytes } from 'node:crypto';
import type { CoreV1Api } from '@kubernetes/client-node';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { SEARCH_ATTRIBUTES, enginePodWorkflowId, recoveryWorkflowId } from '../../src/contract/names';
import type { RecoveryReport } from '../../src/recovery/plan';
import { deletesOf } from '../helpers/audit';
import { eventually, kubeApi, startWorker, temporalClient, type TestWorker } from '../helpers/env';
import { runCli, type CliRun } from '../helpers/cli';
import {
  createNamespace,
  createOrphans,
  endWorkflows,
  executionsOf,
  podsByName,
  removeNamespace,
  untilPhase,
  untilTerminatedFor,
} from '../helpers/recovery';

const RETAIN_MS = 3_000;
const CLI_TIMEOUT_MS = 20_000;
const INSTANCE = `dry-${randomBytes(3).toString('hex')}`;

let core: CoreV1Api;
let temporal: Client;
let worker: TestWorker;
let ns: string;
/** A namespace with an orphan in it that the worker's KPL_NAMESPACES leaves out. */
let unmanaged: string;

beforeAll(async () => {
  core = kubeApi();
  temporal = await temporalClient();
  ns = await createNamespace(core, 'rec');
  unmanaged = await createNamespace(core, 'rec');
  // Recovery only when the CLI asks for it.
  worker = await startWorker({
    KPL_RECOVERY_ON_START: 'false',
    KPL_NAMESPACES: ns,
    KPL_INSTANCE: INSTANCE,
    KPL_DEFAULT_RETAIN_PERIOD: `${RETAIN_MS / 1000}s`,
    // Stopping at the end cancels the watches of engines the cleanup ended, without waiting 30 s.
    KPL_SHUTDOWN_GRACE: '2s',
  });
});

afterAll(async () => {
  if (ns && temporal) await endWorkflows(temporal, ns);
  await worker?.stop();
  if (ns) await removeNamespace(core, ns);
  if (unmanaged) await removeNamespace(core, unmanaged);
  await temporal?.connection.close();
});

/** Runs the compiled CLI against the worker's queue; a run that hangs is killed (code null). */
function cli(...args: string[]): Promise<CliRun> {
  return runCli(args, { KPL_TASK_QUEUE: worker.config.taskQueue }, CLI_TIMEOUT_MS);
}

async function recoverJson(...args: string[]): Promise<RecoveryReport> {
  const run = await cli('recover', '-n', ns, '--json', ...args);
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  return JSON.parse(run.stdout) as RecoveryReport;
}

const plan = (report: RecoveryReport) =>
  Object.fromEntries(report.decisions.map((d) => [d.pod, { state: d.state, decision: d.decision, why: d.why }]));

const engineStarted = (tag: string) => engineStartedIn(ns, tag);

async function engineStartedIn(namespace: string, tag: string): Promise<boolean> {
  try {
    await temporal.workflow.getHandle(enginePodWorkflowId(namespace, tag)).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

test('recover --dry-run changes nothing, and the real run then does what it planned', async () => {
  const adopt = await createOrphans(core, ns, [{ name: 'running-ours', instance: INSTANCE }, { name: 'running-spark' }]);
  const remove = await createOrphans(core, ns, [
    { name: 'finished-spark', annotations: { exitAfter: '0s' } },
    { name: 'failed-ours', instance: INSTANCE, annotations: { exitAfter: '1s', exitCode: '1' } },
  ]);
  // Would be deleted if it were ours; it belongs to another installation.
  const [foreign] = await createOrphans(core, ns, [{ name: 'finished-foreign', instance: 'someone-else', annotations: { exitAfter: '0s' } }]);
  const orphans = [...adopt, ...remove, foreign!];
  await untilPhase(core, ns, adopt.map((p) => p.name), ['Running']);
  await untilTerminatedFor(core, ns, [...remove, foreign!].map((p) => p.name), RETAIN_MS);
  const before = await podsByName(core, ns);

  // The plan, twice: as JSON and as the table an operator reads.
  const dry = await recoverJson('--dry-run');
  expect(dry).toMatchObject({ namespace: ns, dryRun: true, scanned: 5, owned: 0, adopted: 2, deleted: 2, skipped: 1, errors: 0 });
  const planned = plan(dry);
  expect(Object.fromEntries(Object.entries(planned).map(([pod, d]) => [pod, d.decision]))).toEqual({
    'running-ours': 'adopt',
    'running-spark': 'adopt',
    'finished-spark': 'delete',
    'failed-ours': 'delete',
    'finished-foreign': 'skip',
  });
  expect(planned['finished-foreign']?.why).toMatch(/belongs to instance "someone-else"/);

  const text = await cli('recover', '-n', ns, '--dry-run');
  expect(text.code).toBe(0);
  const lines = text.stdout.split('\n');
  expect(lines[0]).toMatch(/^POD\s+STATE\s+DECISION\s+WHY\s*$/);
  for (const [pod, d] of Object.entries(planned)) {
    expect(lines.find((line) => line.startsWith(`${pod} `))).toMatch(new RegExp(`^${pod}\\s+${d.state}\\s+${d.decision.toUpperCase()}\\s+\\S`));
  }
  expect(text.stdout).toMatch(new RegExp(`${ns}: scanned 5 pods in 1 pages; 0 owned, would adopt 2, would delete 2, skipped 1, errors 0`));

  // Nothing changed: the same pods, none deleting, no DELETE sent, no engine, no real recovery run.
  const afterDry = await podsByName(core, ns);
  expect([...afterDry.keys()].sort()).toEqual([...before.keys()].sort());
  for (const [name, pod] of afterDry) {
    expect([name, pod.metadata?.uid, pod.metadata?.deletionTimestamp]).toEqual([name, before.get(name)?.metadata?.uid, undefined]);
  }
  expect(await deletesOf(ns)).toEqual(new Map());
  for (const pod of orphans) expect([pod.name, await engineStarted(pod.tag)]).toEqual([pod.name, false]);
  const enginesInNs = [];
  for await (const e of temporal.workflow.list({ query: `${SEARCH_ATTRIBUTES.namespace} = '${ns}'` })) enginesInNs.push(e.workflowId);
  expect(enginesInNs).toEqual([]);
  expect(await executionsOf(temporal, recoveryWorkflowId(ns))).toEqual([]);

  // The real run decides as planned, pod by pod, and does it.
  const real = await recoverJson();
  expect(real).toMatchObject({ namespace: ns, dryRun: false, scanned: 5, adopted: 2, deleted: 2, skipped: 1, errors: 0 });
  expect(plan(real)).toEqual(planned);

  await eventually(async () => {
    const pods = await podsByName(core, ns);
    return remove.every((p) => !pods.has(p.name)) ? pods : undefined;
  }, 'planned deletes done');
  const engines = await worker.engines();
  try {
    for (const pod of adopt) {
      const snapshot = await engines.getEngine({ tag: pod.tag, namespace: ns });
      expect(snapshot).toMatchObject({ state: 'RUNNING', mode: 'track', podName: pod.name, podUid: pod.uid });
    }
  } finally {
    await engines.temporal.connection.close();
  }
  const after = await podsByName(core, ns);
  expect([...after.keys()].sort()).toEqual([...adopt, foreign!].map((p) => p.name).sort());
  for (const pod of [...adopt, foreign!]) {
    expect([pod.name, after.get(pod.name)?.metadata?.uid, after.get(pod.name)?.metadata?.deletionTimestamp]).toEqual([pod.name, pod.uid, undefined]);
  }
  expect(await engineStarted(foreign!.tag)).toBe(false);
  expect(Object.fromEntries(await deletesOf(ns))).toEqual(Object.fromEntries(remove.map((p) => [p.name, 1])));
});

test('recover with a namespace that is not a DNS label exits 2 and starts nothing', async () => {
  const run = await cli('recover', '-n', 'Bad_NS');
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/--namespace "Bad_NS": must be lower-case/);
  expect(await executionsOf(temporal, recoveryWorkflowId('Bad_NS'))).toEqual([]);
});

test('recover in a namespace outside KPL_NAMESPACES exits 2 and deletes nothing there', async () => {
  const [orphan] = await createOrphans(core, unmanaged, [{ name: 'finished-unmanaged', annotations: { exitAfter: '0s' } }]);
  await untilTerminatedFor(core, unmanaged, [orphan!.name], RETAIN_MS);
  for (const dryRun of [['--dry-run'], []]) {
    const run = await cli('recover', '-n', unmanaged, ...dryRun);
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 2, stdout: '' });
    expect(run.stderr).toMatch(new RegExp(`namespace "${unmanaged}" is not managed by this installation \\(KPL_NAMESPACES allows ${ns}\\)`));
  }
  const pods = await podsByName(core, unmanaged);
  expect([pods.get(orphan!.name)?.metadata?.uid, pods.get(orphan!.name)?.metadata?.deletionTimestamp]).toEqual([orphan!.uid, undefined]);
  expect(await deletesOf(unmanaged)).toEqual(new Map());
  expect(await engineStartedIn(unmanaged, orphan!.tag)).toBe(false);
});

test('recover with a selector the apiserver rejects exits 2 at once and leaves no recovery running', async () => {
  const deletesBefore = await deletesOf(ns);
  const started = Date.now();
  const run = await cli('recover', '-n', ns, '--selector', 'spark-role in driver');
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/selector "spark-role in driver": unable to parse requirement/);
  // Not retried until someone notices: the run has failed, so the Schedule's next one can start.
  expect(Date.now() - started).toBeLessThan(10_000);
  const runs = await executionsOf(temporal, recoveryWorkflowId(ns));
  expect(runs.filter((r) => r.status.name === 'RUNNING')).toEqual([]);
  expect(await deletesOf(ns)).toEqual(deletesBefore);
});
