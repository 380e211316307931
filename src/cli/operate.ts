import type { Command } from 'commander';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { formatStackEnv, stackDown, stackEnv, stackUp } from '../stack';
import { createWorker } from '../worker';
import { action, print } from './output';

export function registerStackCommands(program: Command): void {
  const stack = program
    .command('stack')
    .description('the local real stack on 127.0.0.1: Temporal dev server + UI, etcd, kube-apiserver, kube-scheduler, kwok')
    .addHelpText('after', '\nExample:\n  kyuubi-pods stack up && eval "$(kyuubi-pods stack env)"');
  stack
    .command('up')
    .description('build what is missing (once), start what is not running, wait until all answer')
    .option('--json', 'machine-readable output')
    .action(
      action(async (options: { json?: boolean }) => {
        const info = await stackUp();
        print(info, Boolean(options.json), () => formatStackEnv(info));
      }),
    );
  stack
    .command('down')
    .description('stop the servers `stack up` started (by PID)')
    .option('--purge', 'also delete their data (SQLite file, etcd data, certificates)')
    .action(action(async (options: { purge?: boolean }) => stackDown({ purge: options.purge })));
  stack
    .command('env')
    .description('print exports of TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and KUBECONFIG for the stack')
    .option('--json', 'machine-readable output')
    .action(
      action(async (options: { json?: boolean }) => {
        const info = stackEnv();
        print(info, Boolean(options.json), () => formatStackEnv(info));
      }),
    );
}

/** Runs a worker until SIGINT/SIGTERM; Temporal's runtime drains it within KPL_SHUTDOWN_GRACE. */
export async function runWorkerProcess(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const handle = await createWorker({ config, logger });
  await handle.run();
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run a worker: engine lifecycles and recovery for the configured namespaces')
    .addHelpText(
      'after',
      '\nConfiguration (environment): TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, KUBECONFIG, KPL_INSTANCE,\n' +
        'KPL_NAMESPACES, KPL_DEFAULT_* policy, KPL_RECOVERY_INTERVAL, KPL_METRICS_PORT, KPL_LOG_LEVEL.',
    )
    .action(action(runWorkerProcess));
}
