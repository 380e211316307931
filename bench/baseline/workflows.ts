/**
 * The throughput baseline: the least a Temporal workflow with activities can be, three
 * no-op activities in a row. Bundled on its own (never part of the engine bundle).
 */
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from './activities';

const { noop } = proxyActivities<typeof activities>({ startToCloseTimeout: '15 seconds' });

export async function trivialBaseline(): Promise<void> {
  await noop();
  await noop();
  await noop();
}
