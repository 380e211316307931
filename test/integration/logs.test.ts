/**
 * The worker's logs as an operator's collector reads them: `kyuubi-pods worker` with stderr
 * piped (not a terminal) writes one JSON object a line, and every line about an engine,
 * from its workflow or its activities, carries the engine's workflow id, tag, pod and
 * namespace; webpack's bundle stats stay out of the info level.
 */
import { randomUUID } from 'node:crypto';
import type { CoreV1Api } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import { EngineClient } from '../../src/client';
import { driverManifest, eventually, kubeApi, newTag, podsWithTag, temporalClient } from '../helpers/env';
import { createNamespace, endWorkflows, removeNamespace } from '../helpers/recovery';
import { WorkerProcess } from '../helpers/worker-process';

type Line = Record<string, unknown>;

let core: CoreV1Api;
let temporal: Client;
let worker: WorkerProcess | undefined;
let ns = '';

beforeAll(async () => {
  core = kubeApi();
  temporal = await temporalClient();
  ns = await createNamespace(core, 'logs');
});

afterAll(async () => {
  if (temporal && ns) await endWorkflows(temporal, ns);
  await worker?.stop();
  await temporal?.connection.close();
  if (ns) await removeNamespace(core, ns);
});

function parseLines(output: string): Line[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Line;
      } catch {
        throw new Error(`worker wrote a line that is not JSON: ${JSON.stringify(line.slice(0, 300))}`);
      }
    });
}

test('every line is JSON with level, time and msg; every line of an engine names its tag, pod and namespace', async () => {
  const taskQueue = `test-logs-${randomUUID()}`;
  worker = WorkerProcess.start({ taskQueue, namespaces: [ns], env: { KPL_LOG_LEVEL: 'info' } });
  await worker.ready(temporal);

  const engines = new EngineClient(temporal, taskQueue);
  const tag = newTag();
  const launched = await engines.launchEngine({ tag, namespace: ns, pod: driverManifest({ exitAfter: '2s' }), policy: { retainPeriod: '1s' } });
  const outcome = await engines.waitForEngine(launched);
  expect(outcome).toMatchObject({ state: 'FINISHED', podDeleted: true });
  await eventually(async () => ((await podsWithTag(core, ns, tag)).length === 0 ? true : undefined), 'engine pod gone');
  const exit = await worker.stop();
  expect(exit.signal ?? exit.code).not.toBe('SIGKILL');

  // The whole output fits the kept tail: a missing start would show as no 'worker started'.
  const lines = parseLines(worker.tail(64 * 1024));
  expect(lines.some((line) => line.msg === 'worker started')).toBe(true);
  for (const line of lines) {
    expect([typeof line.level, typeof line.time, typeof line.msg]).toEqual(['number', 'number', 'string']);
  }

  const engineLines = lines.filter((line) => line.workflowId === launched.workflowId);
  for (const line of engineLines) {
    expect({ msg: line.msg, tag: line.tag, pod: line.pod, namespace: line.namespace }).toEqual({
      msg: line.msg,
      tag,
      pod: outcome.podName,
      namespace: ns,
    });
  }
  // The workflow's own lines and its activities' lines are among them, so the check above is not vacuous.
  const messages = engineLines.map((line) => line.msg);
  expect(messages).toEqual(expect.arrayContaining(['pod created', 'engine state', 'pod deleted']));
  expect(engineLines.filter((line) => line.msg === 'engine state').map((line) => line.state)).toEqual(
    expect.arrayContaining(['RUNNING', 'FINISHED']),
  );
  // Temporal's namespace is kept apart from the Kubernetes one.
  expect(engineLines.find((line) => line.msg === 'engine state')?.temporalNamespace).toBe(temporal.options.namespace);

  // Webpack's stats (a page of text per bundle) are debug output, not info.
  const infoAndUp = lines.filter((line) => typeof line.level === 'number' && line.level >= 30);
  expect(infoAndUp.filter((line) => /webpack|Workflow bundle created|modules by path/i.test(String(line.msg)))).toEqual([]);
});
