/**
 * The baseline's worker, run as a child process like ours (`tsx bench/baseline/worker.ts`):
 * default worker options, its own queue (BENCH_TASK_QUEUE), Temporal from TEMPORAL_ADDRESS.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import * as activities from './activities';

async function run(): Promise<void> {
  const taskQueue = process.env.BENCH_TASK_QUEUE;
  if (!taskQueue) throw new Error('BENCH_TASK_QUEUE is not set: the harness passes the queue the baseline worker serves');
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue,
    workflowsPath: require.resolve('./workflows'),
    activities,
  });
  process.once('SIGTERM', () => worker.shutdown());
  await worker.run();
  await connection.close();
}

run().catch((error: unknown) => {
  process.stderr.write(`baseline worker failed: ${String(error)}\n`);
  process.exit(1);
});
