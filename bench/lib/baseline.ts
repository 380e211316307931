/**
 * The baseline worker (bench/baseline/) as a child process, ready once Temporal lists it
 * polling its queue.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { newName, sleep } from './cluster';

export interface BaselineWorker {
  taskQueue: string;
  stop(): Promise<void>;
}

export async function startBaselineWorker(client: Client): Promise<BaselineWorker> {
  const taskQueue = newName('bench-baseline');
  const child: ChildProcess = spawn(process.execPath, [require.resolve('tsx/cli'), path.join(__dirname, '..', 'baseline', 'worker.ts')], {
    env: { ...process.env, BENCH_TASK_QUEUE: taskQueue },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let tail = '';
  child.stderr?.on('data', (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`baseline worker exited (${child.exitCode}) before polling:\n${tail}`);
    const { pollers } = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    });
    if ((pollers ?? []).some(() => true)) break;
    if (Date.now() > deadline) throw new Error(`baseline worker not polling ${taskQueue} after 120 s:\n${tail}`);
    await sleep(250);
  }
  return {
    taskQueue,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await Promise.race([exited, sleep(15_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
