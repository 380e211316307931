/**
 * The worker's /metrics endpoint, scraped over HTTP as Prometheus would: an engine's life
 * and a recovery run move our counters by exactly what happened, the engines gauge follows
 * the pods, and the Temporal SDK's own metrics are served on the same endpoint.
 */
import type { CoreV1Api } from '@kubernetes/client-node';
import type { EngineClient } from '../../src/client';
import { DELETE_REASONS } from '../../src/contract/messages';
import { ENGINE_TAG_LABEL, WORKFLOW_TYPES } from '../../src/contract/names';
import type { RecoveryReport } from '../../src/recovery/plan';
import { recoveryStartOptions } from '../../src/recovery/start';
import { driverManifest, eventually, kubeApi, newTag, podsWithTag, startWorker, type TestWorker } from '../helpers/env';
import { createOrphan, podExists, waitForPhase } from '../helpers/orphans';
import { freePort, scrape, total, type Sample } from '../helpers/prometheus';
import { createNamespace, endWorkflows, removeNamespace } from '../helpers/recovery';

const RETAIN = '2s';
let core: CoreV1Api;
let worker: TestWorker | undefined;
let engines: EngineClient | undefined;
let ns = '';
let port = 0;

beforeAll(async () => {
  core = kubeApi();
  ns = await createNamespace(core, 'metrics');
  port = await freePort();
  worker = await startWorker({
    KPL_METRICS_PORT: String(port),
    KPL_METRICS_HOST: '127.0.0.1',
    KPL_NAMESPACES: ns,
    KPL_DEFAULT_RETAIN_PERIOD: RETAIN,
  });
  engines = await worker.engines();
});

afterAll(async () => {
  if (engines) await endWorkflows(engines.temporal, ns);
  await worker?.stop();
  await engines?.temporal.connection.close();
  if (ns) await removeNamespace(core, ns);
});

const samples = async (): Promise<Sample[]> => (await scrape(port)).samples;
const inNs = (labels: Record<string, string> = {}) => ({ namespace: ns, ...labels });

async function until(check: (s: Sample[]) => boolean, what: string, timeoutMs = 30_000): Promise<Sample[]> {
  return eventually(async () => {
    const s = await samples();
    return check(s) ? s : undefined;
  }, what, timeoutMs);
}

test('one endpoint: our registry and the SDK metrics, each family declared once', async () => {
  const { text, contentType } = await scrape(port);
  expect(contentType).toMatch(/^text\/plain/);
  const types = text.split('\n').filter((line) => line.startsWith('# TYPE '));
  expect(new Set(types).size).toBe(types.length);
  expect(text).toContain('# TYPE kpl_pods_created_total counter');
  expect(text).toContain('# TYPE kpl_engines gauge');
  // Core reports its pollers once they start, a moment after the worker does.
  await until((s) => total(s, 'temporal_num_pollers', { task_queue: worker?.config.taskQueue ?? '' }) > 0, 'the SDK to report pollers');
});

test('an engine life and a recovery run move the counters by what happened', async () => {
  if (!worker || !engines) throw new Error('worker not started');
  const queue = worker.config.taskQueue;

  // An engine: created, runs, exits 0, retained, deleted.
  const tag = newTag();
  const launched = await engines.launchEngine({ tag, namespace: ns, pod: driverManifest({ exitAfter: '3s' }), policy: { retainPeriod: '1s' } });
  await until((s) => total(s, 'kpl_engines', inNs({ state: 'RUNNING' })) === 1, 'the engines gauge to count the running pod');
  const outcome = await engines.waitForEngine(launched);
  expect(outcome).toMatchObject({ state: 'FINISHED', podDeleted: true });
  await eventually(async () => ((await podsWithTag(core, ns, tag)).length === 0 ? true : undefined), 'engine pod gone');

  let s = await until((x) => total(x, 'kpl_engines', inNs({ state: 'FINISHED' })) === 0, 'the gauge to drop the deleted pod');
  expect(total(s, 'kpl_engines', inNs())).toBe(0);
  expect(total(s, 'kpl_pods_created_total', inNs())).toBe(1);
  expect(total(s, 'kpl_pods_deleted_total', inNs({ reason: DELETE_REASONS.retentionEnded }))).toBe(1);
  expect(total(s, 'kpl_pods_deleted_total', inNs())).toBe(1);
  for (const state of ['PENDING', 'RUNNING', 'FINISHED']) {
    expect([state, total(s, 'kpl_engine_state_transitions_total', inNs({ state }))]).toEqual([state, 1]);
  }
  expect(total(s, 'kpl_engine_state_transitions_total', inNs())).toBe(3);
  // The apiserver's own answers: 201 Created, 200 OK for the delete.
  expect(total(s, 'kpl_kubernetes_requests_total', { verb: 'create', code: '201' })).toBe(1);
  expect(total(s, 'kpl_kubernetes_requests_total', { verb: 'create' })).toBe(1);
  expect(total(s, 'kpl_kubernetes_requests_total', { verb: 'delete', code: '200' })).toBe(1);
  expect(total(s, 'kpl_kubernetes_requests_total', { verb: 'list', code: '200' })).toBeGreaterThanOrEqual(1);
  // The SDK's metrics, from Core through the runtime's buffer.
  const engineTask = { task_queue: queue, workflow_type: WORKFLOW_TYPES.enginePod };
  expect(total(s, 'temporal_workflow_completed', engineTask)).toBe(1);
  expect(total(s, 'temporal_activity_execution_latency_count', { task_queue: queue, activity_type: 'createPod' })).toBe(1);
  expect(total(s, 'temporal_activity_execution_latency_count', { task_queue: queue, activity_type: 'deletePod' })).toBe(1);
  expect(total(s, 'temporal_workflow_endtoend_latency_count', engineTask)).toBe(1);

  // Recovery: one running orphan to adopt, one terminated past retention to delete.
  const running = await createOrphan(core, ns);
  const old = await createOrphan(core, ns, { exitAfter: '0s' });
  await waitForPhase(core, ns, running.metadata?.name ?? '', ['Running']);
  await waitForPhase(core, ns, old.metadata?.name ?? '', ['Succeeded']);
  await new Promise((resolve) => setTimeout(resolve, 3_500)); // past the 2 s retain period, whole seconds
  const report = (await engines.temporal.workflow.execute(WORKFLOW_TYPES.podRecovery, recoveryStartOptions(ns, queue))) as RecoveryReport;
  expect(report).toMatchObject({ scanned: 2, adopted: 1, deleted: 1, errors: 0 });
  await eventually(async () => (!(await podExists(core, ns, old.metadata?.uid ?? '')) ? true : undefined), 'old orphan deleted');

  s = await until((x) => total(x, 'kpl_engines', inNs({ state: 'RUNNING' })) === 1 && total(x, 'kpl_engines', inNs({ state: 'FINISHED' })) === 0, 'the gauge to show the adopted pod only');
  expect(total(s, 'kpl_recovery_orphans_total', inNs({ decision: 'adopt' }))).toBe(1);
  expect(total(s, 'kpl_recovery_orphans_total', inNs({ decision: 'delete' }))).toBe(1);
  expect(total(s, 'kpl_recovery_runs_total', inNs())).toBe(1);
  expect(total(s, 'kpl_recovery_duration_seconds_count', inNs())).toBe(1);
  expect(total(s, 'kpl_recovery_duration_seconds_sum', inNs())).toBeGreaterThan(0);
  expect(total(s, 'kpl_pods_deleted_total', inNs({ reason: DELETE_REASONS.orphanPastRetention }))).toBe(1);
  expect(total(s, 'kpl_pods_created_total', inNs())).toBe(1);
  expect(total(s, 'kpl_kubernetes_requests_total', { verb: 'delete', code: '200' })).toBe(2);
  expect(total(s, 'temporal_workflow_completed', { task_queue: queue, workflow_type: WORKFLOW_TYPES.podRecovery })).toBe(1);

  // The adopted engine, killed: a free-text reason is one bounded label value.
  const adopted = { tag: running.metadata?.labels?.[ENGINE_TAG_LABEL] ?? '', namespace: ns };
  await until((x) => total(x, 'kpl_engine_state_transitions_total', inNs({ state: 'RUNNING' })) === 2, 'the adopted engine to count RUNNING');
  await engines.killEngine(adopted, 'metrics test: no longer needed');
  s = await until((x) => total(x, 'kpl_engines', inNs()) === 0, 'the gauge to reach zero');
  expect(total(s, 'kpl_pods_deleted_total', inNs({ reason: 'KillRequested' }))).toBe(1);
  expect(total(s, 'kpl_engine_state_transitions_total', inNs({ state: 'KILLED' }))).toBe(1);
  expect(total(s, 'kpl_kubernetes_requests_total', { verb: 'delete', code: '200' })).toBe(3);
});
