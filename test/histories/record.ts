/**
 * Records real histories of every engine path and of a recovery run into
 * test/histories/*.json, for the replay test. Run against the local stack after a
 * deliberate change of workflow code (and never to paper over a replay failure of a
 * change that running workflows would hit):
 *
 *   npm run histories [-- name …]
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CoreV1Api } from '@kubernetes/client-node';
import type { WorkflowHandle } from '@temporalio/client';
import { execFileSync } from 'node:child_process';
import type { EngineClient } from '../../src/client';
import { killSignal } from '../../src/contract/messages';
import { ENGINE_TAG_LABEL, WORKFLOW_TYPES } from '../../src/contract/names';
import { recoveryStartOptions } from '../../src/recovery/start';
import type { EnginePodInput } from '../../src/contract/schemas';
import { stackUp } from '../../src/stack';
import { ensureBinary } from '../../src/stack/binaries';
import { driverManifest, eventually, kubeApi, newTag, startWorker } from '../helpers/env';
import { createNamespace, createOrphan } from '../helpers/orphans';
import { TEST_TEMPORAL_OPTIONS } from '../helpers/stack-options';

type Scenario = (engines: EngineClient, core: CoreV1Api) => Promise<WorkflowHandle>;
const NS = 'default';

async function launch(engines: EngineClient, input: Omit<EnginePodInput, 'tag' | 'namespace'>): Promise<WorkflowHandle> {
  const launched = await engines.launchEngine({ tag: newTag(), namespace: NS, ...input });
  return engines.temporal.workflow.getHandle(launched.workflowId);
}

async function running(engines: EngineClient, handle: WorkflowHandle): Promise<void> {
  const tag = handle.workflowId.split('/').at(-1) ?? '';
  await eventually(async () => ((await engines.getEngine({ tag, namespace: NS })).state === 'RUNNING' ? true : undefined), 'RUNNING');
}

const scenarios: Record<string, Scenario> = {
  'finished': (e) => launch(e, { pod: driverManifest({ exitAfter: '1s' }), policy: { retainPeriod: '1s' } }),
  'failed-cleanup-completed': (e) =>
    launch(e, { pod: driverManifest({ exitAfter: '1s', exitCode: '1' }), policy: { retainPeriod: '0s', cleanup: 'COMPLETED' } }),
  'pending-timeout': (e) => launch(e, { pod: driverManifest({ stuckReason: 'ImagePullBackOff' }), policy: { pendingTimeout: '2s' } }),
  'track-not-found': (e) => launch(e, { mode: 'track', policy: { submitTimeout: '1s' } }),
  'killed-by-update': async (e) => {
    const handle = await launch(e, { pod: driverManifest() });
    await running(e, handle);
    await e.killEngine({ tag: handle.workflowId.split('/').at(-1) ?? '', namespace: NS }, 'recorded kill');
    return handle;
  },
  'killed-by-signal-during-create': async (e) => {
    const handle = await launch(e, { pod: driverManifest() });
    await handle.signal(killSignal, { reason: 'recorded signal' });
    return handle;
  },
  'max-lifetime': (e) => launch(e, { pod: driverManifest(), policy: { maxLifetime: '2s' } }),
  'cancelled': async (e) => {
    const handle = await launch(e, { pod: driverManifest() });
    await running(e, handle);
    await handle.cancel();
    return handle;
  },
  // The worker's 1 s watch window adds events fast; the test server suggests continue-as-new at 60.
  'continued-as-new': async (e) => {
    const launched = await e.launchEngine({ tag: newTag(), namespace: NS, pod: driverManifest() });
    const handle = e.temporal.workflow.getHandle(launched.workflowId);
    await eventually(async () => ((await handle.describe()).runId !== launched.runId ? true : undefined), 'continue-as-new', 60_000);
    await running(e, handle);
    await e.killEngine({ tag: handle.workflowId.split('/').at(-1) ?? '', namespace: NS }, 'after continue-as-new');
    return handle;
  },
  'recovery': async (e, core) => {
    const ns = await createNamespace(core, 'histories');
    const live = await createOrphan(core, ns);
    await createOrphan(core, ns, { exitAfter: '0s' });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const handle = await e.temporal.workflow.start(WORKFLOW_TYPES.podRecovery, recoveryStartOptions(ns, e.taskQueue));
    await handle.result();
    // The adopted engine would run on: end it.
    await e.killEngine({ tag: live.metadata?.labels?.[ENGINE_TAG_LABEL] ?? '', namespace: ns }, 'recorded recovery done');
    return handle;
  },
};

async function main(): Promise<void> {
  const info = await stackUp({ temporal: TEST_TEMPORAL_OPTIONS });
  process.env.TEMPORAL_ADDRESS = info.temporalAddress;
  process.env.KUBECONFIG = info.kubeconfigPath;
  const only = process.argv.slice(2);
  const temporalCli = await ensureBinary('temporal', (line) => process.stderr.write(`${line}\n`));
  const core = kubeApi();
  for (const [name, scenario] of Object.entries(scenarios)) {
    if (only.length && !only.includes(name)) continue;
    const env: Record<string, Record<string, string>> = {
      recovery: { KPL_DEFAULT_RETAIN_PERIOD: '1s' },
      'continued-as-new': { KPL_WATCH_WINDOW: '1s' },
    };
    const worker = await startWorker(env[name] ?? {});
    const engines = await worker.engines();
    try {
      const handle = await scenario(engines, core);
      await handle.result().catch(() => undefined);
      const runs = [handle];
      const latest = await handle.fetchHistory();
      const firstRunId = latest.events?.[0]?.workflowExecutionStartedEventAttributes?.firstExecutionRunId;
      const { runId } = await handle.describe();
      if (firstRunId && firstRunId !== runId) runs.unshift(engines.temporal.workflow.getHandle(handle.workflowId, firstRunId));
      for (const [index, run] of runs.entries()) {
        const file = runs.length > 1 ? `${name}-run${index + 1}.json` : `${name}.json`;
        // The Temporal CLI writes the JSON form every Temporal tool (and runReplayHistories) reads.
        const runId = (await run.describe()).runId;
        const json = execFileSync(temporalCli, ['workflow', 'show', '--address', info.temporalAddress, '-w', run.workflowId, '-r', runId, '--output', 'json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
        writeFileSync(path.join(__dirname, file), json);
        process.stderr.write(`recorded ${file}: ${(JSON.parse(json) as { events: unknown[] }).events.length} events\n`);
      }
    } finally {
      await engines.temporal.connection.close();
      await worker.stop();
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
