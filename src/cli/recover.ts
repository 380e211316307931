import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { WorkflowHandle } from '@temporalio/client';
import { loadConfig } from '../config';
import { recoveryProgressQuery, type RecoveryInput } from '../contract/messages';
import { WORKFLOW_TYPES, recoveryDryRunWorkflowId } from '../contract/names';
import { namespaceSchema } from '../contract/schemas';
import { INVALID_RECOVERY_INPUT, type RecoveryReport } from '../recovery/plan';
import { recoveryStartOptions } from '../recovery/start';
import { connectClient } from '../temporal';
import { formatTable } from './format';
import { UsageError, action, explainWorkflowFailure, print } from './output';

const PROGRESS_INTERVAL_MS = 500;

function formatReport(report: RecoveryReport): string {
  const rows = report.decisions.map((d) => [d.pod, d.state, d.decision.toUpperCase(), d.why]);
  const table = rows.length ? `${formatTable(['POD', 'STATE', 'DECISION', 'WHY'], rows)}\n\n` : '';
  const verb = report.dryRun ? 'would adopt' : 'adopted';
  const deleted = report.dryRun ? 'would delete' : 'deleted';
  return (
    table +
    `${report.namespace}: scanned ${report.scanned} pods in ${report.pages} pages; ${report.owned} owned, ` +
    `${verb} ${report.adopted}, ${deleted} ${report.deleted}, skipped ${report.skipped}, errors ${report.errors}` +
    (report.decisionsOmitted ? ` (${report.decisionsOmitted} older decisions not listed)` : '')
  );
}

/** On a terminal, one line that counts up while recovery pages through the pods. */
async function showProgress(handle: WorkflowHandle, done: () => boolean): Promise<void> {
  if (!process.stderr.isTTY) return;
  while (!done()) {
    try {
      const r = await handle.query(recoveryProgressQuery);
      process.stderr.write(`\rscanned ${r.scanned} pods (${r.pages} pages): adopt ${r.adopted}, delete ${r.deleted}, skip ${r.skipped}   `);
    } catch {
      // not started yet, or between runs of continue-as-new: try again
    }
    await new Promise((resolve) => setTimeout(resolve, PROGRESS_INTERVAL_MS));
  }
  process.stderr.write('\n');
}

/** A failed recovery says why; one that could not run as asked (bad selector...) is bad input. */
const explainFailure = (error: unknown): never => explainWorkflowFailure(error, 'recovery', INVALID_RECOVERY_INPUT);

export function registerRecoverCommand(program: Command): void {
  program
    .command('recover')
    .description('adopt or clean up every labelled pod without a live engine workflow, now')
    .requiredOption('-n, --namespace <namespace>', 'Kubernetes namespace')
    .option('--dry-run', 'print the plan (pod, state, decision, why) and change nothing')
    .option('--selector <selector>', 'label selector of the pods to consider (default: has kyuubi-unique-tag)')
    .option('--json', 'print the recovery report as JSON')
    .addHelpText('after', '\nExamples:\n  kyuubi-pods recover -n default --dry-run\n  kyuubi-pods recover -n spark --json')
    .action(
      action(async (options: { namespace: string; dryRun?: boolean; selector?: string; json?: boolean }) => {
        const namespace = namespaceSchema.safeParse(options.namespace);
        if (!namespace.success) throw new UsageError(`--namespace "${options.namespace}": ${namespace.error.issues[0]?.message}`);
        const config = loadConfig();
        const input: RecoveryInput = { namespace: namespace.data, dryRun: Boolean(options.dryRun), selector: options.selector };
        const client = await connectClient();
        try {
          const start = recoveryStartOptions(namespace.data, config.taskQueue, input);
          const handle = await client.workflow.start(WORKFLOW_TYPES.podRecovery, {
            ...start,
            ...(options.dryRun ? { workflowId: recoveryDryRunWorkflowId(namespace.data, randomUUID()) } : {}),
          });
          let finished = false;
          const progress = showProgress(handle, () => finished);
          const report = (await handle
            .result()
            .catch(explainFailure)
            .finally(() => (finished = true))) as RecoveryReport;
          await progress;
          print(report, Boolean(options.json), formatReport);
        } finally {
          await client.connection.close();
        }
      }),
    );
}
