import type { Command } from 'commander';
import { loadConfig } from '../config';
import type { ServerName } from '../stack';
import { formatTable } from './format';
import { action, loadStack, print } from './output';

const STACK_ENV_HELP =
  '\nEnvironment: KPL_STACK_DIR (state, logs, kubeconfig), KPL_STACK_PORT_OFFSET (moves every port, for a\n' +
  'second stack beside the shared one), KPL_TEMPORAL_BIN, KPL_ETCD_BIN, KPL_KUBE_APISERVER_BIN,\n' +
  'KPL_KUBE_SCHEDULER_BIN, KPL_KWOK_BIN (use these binaries instead of building them).';

interface ServerStatus {
  running: boolean;
  pid?: number;
}

/** Which servers of the stack in `stateDir` run, by their recorded PIDs. */
async function statusOf(): Promise<{ stateDir: string; servers: Record<ServerName, ServerStatus> }> {
  const { stackEnv, stackStatus } = await loadStack();
  const pids = stackStatus();
  const servers = Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [name, pid === undefined ? { running: false } : { running: true, pid }]),
  ) as Record<ServerName, ServerStatus>;
  return { stateDir: stackEnv().stateDir, servers };
}

export function registerStackCommands(program: Command): void {
  const stack = program
    .command('stack')
    .description('the local real stack on 127.0.0.1: Temporal dev server + UI, etcd, kube-apiserver, kube-scheduler, kwok')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  kyuubi-pods stack up && eval "$(kyuubi-pods stack env)"\n' +
        '  kyuubi-pods stack status --json\n' +
        '  KPL_STACK_PORT_OFFSET=10000 KPL_STACK_DIR=/var/tmp/stack2 kyuubi-pods stack up\n' +
        '  kyuubi-pods stack down --purge\n' +
        STACK_ENV_HELP,
    );
  stack
    .command('up')
    .description('build what is missing (once), start what is not running, wait until all answer')
    .option('--json', 'print where the stack is (addresses, kubeconfig, servers started now) as JSON')
    .addHelpText('after', '\nExamples:\n  kyuubi-pods stack up\n  kyuubi-pods stack up --json | jq -r .uiUrl')
    .action(
      action(async (options: { json?: boolean }) => {
        const { formatStackEnv, stackUp } = await loadStack();
        const info = await stackUp();
        print(info, Boolean(options.json), () => formatStackEnv(info));
      }),
    );
  stack
    .command('down')
    .description('stop the servers `stack up` started (by PID)')
    .option('--purge', 'also delete their data (SQLite file, etcd data, certificates)')
    .option('--json', 'print which servers were stopped as JSON')
    .addHelpText('after', '\nExamples:\n  kyuubi-pods stack down\n  kyuubi-pods stack down --purge --json')
    .action(
      action(async (options: { purge?: boolean; json?: boolean }) => {
        const { stackDown } = await loadStack();
        const before = await statusOf();
        await stackDown({ purge: options.purge });
        const stopped = Object.entries(before.servers).filter(([, s]) => s.running).map(([name]) => name);
        const result = { stateDir: before.stateDir, stopped, purged: Boolean(options.purge) };
        print(result, Boolean(options.json), (r: typeof result) => (r.stopped.length ? `stopped ${r.stopped.join(', ')}` : 'nothing was running'));
      }),
    );
  stack
    .command('env')
    .description('print exports of TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and KUBECONFIG for the stack')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExamples:\n  eval "$(kyuubi-pods stack env)"\n  kyuubi-pods stack env --json')
    .action(
      action(async (options: { json?: boolean }) => {
        const { formatStackEnv, stackEnv } = await loadStack();
        const info = stackEnv();
        print(info, Boolean(options.json), () => formatStackEnv(info));
      }),
    );
  stack
    .command('status')
    .description('which of the stack\'s servers run (by recorded PID; no network calls)')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExamples:\n  kyuubi-pods stack status\n  kyuubi-pods stack status --json')
    .action(
      action(async (options: { json?: boolean }) => {
        const status = await statusOf();
        print(status, Boolean(options.json), (s: typeof status) =>
          formatTable(
            ['SERVER', 'STATE', 'PID'],
            Object.entries(s.servers).map(([name, server]) => [name, server.running ? 'running' : 'stopped', String(server.pid ?? '-')]),
          ),
        );
      }),
    );
}

/** Runs a worker until SIGINT/SIGTERM; Temporal's runtime drains it within KPL_SHUTDOWN_GRACE. */
export async function runWorkerProcess(options: { json?: boolean } = {}): Promise<void> {
  // Configuration first: a bad KPL_* value exits 2 before anything connects.
  const config = loadConfig();
  const [{ createLogger }, { createWorker }] = await Promise.all([import('../logger'), import('../worker')]);
  const logger = createLogger(config.logLevel, options.json ? { pretty: false } : {});
  const handle = await createWorker({ config, logger });
  await handle.run();
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run a worker: engine lifecycles and recovery for the configured namespaces')
    .option('--json', 'log JSON lines to stderr even on a terminal (they are JSON whenever stderr is not one)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  eval "$(kyuubi-pods stack env)" && kyuubi-pods worker\n' +
        '  KPL_NAMESPACES=spark,etl KPL_METRICS_PORT=9464 kyuubi-pods worker --json\n' +
        '\nConfiguration (environment): TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, KUBECONFIG, KPL_INSTANCE,\n' +
        'KPL_NAMESPACES, KPL_DEFAULT_* policy, KPL_RECOVERY_INTERVAL, KPL_METRICS_PORT, KPL_LOG_LEVEL,\n' +
        'KPL_SHUTDOWN_GRACE, KPL_TASK_QUEUE, KPL_ENCRYPTION_KEY. A bad value exits 2 naming the variable.',
    )
    .action(action(runWorkerProcess));
}
