import type { Command } from 'commander';
import { EngineClient, type EngineRef } from '../client';
import { ENGINE_STATES } from '../contract/names';
import { engineStateSchema, engineTagSchema, namespaceSchema } from '../contract/schemas';
import { formatSnapshot, formatTable } from './format';
import { UsageError, action, print } from './output';

async function withClient(run: (client: EngineClient) => Promise<void>): Promise<void> {
  const client = await EngineClient.connect();
  try {
    await run(client);
  } finally {
    await client.temporal.connection.close();
  }
}

function engineRef(tag: string, namespace: string): EngineRef {
  const parsedTag = engineTagSchema.safeParse(tag);
  if (!parsedTag.success) throw new UsageError(`tag "${tag}": ${parsedTag.error.issues[0]?.message}`);
  const parsedNamespace = namespaceSchema.safeParse(namespace);
  if (!parsedNamespace.success) throw new UsageError(`--namespace "${namespace}": ${parsedNamespace.error.issues[0]?.message}`);
  return { tag, namespace };
}

export function registerEngineCommands(program: Command): void {
  program
    .command('status <tag>')
    .description('an engine\'s snapshot: state, pod, deadlines, transitions (also after it ended)')
    .requiredOption('-n, --namespace <namespace>', 'Kubernetes namespace')
    .option('--json', 'print the EngineSnapshot as JSON')
    .addHelpText('after', '\nExamples:\n  kyuubi-pods status 0f3c2b1e -n default\n  kyuubi-pods status 0f3c2b1e -n default --json | jq -r .state')
    .action(
      action(async (tag: string, options: { namespace: string; json?: boolean }) => {
        const ref = engineRef(tag, options.namespace);
        await withClient(async (client) => print(await client.getEngine(ref), Boolean(options.json), formatSnapshot));
      }),
    );

  program
    .command('kill <tag>')
    .description('kill an engine: delete its pod now; fails if the engine already ended')
    .requiredOption('-n, --namespace <namespace>', 'Kubernetes namespace')
    .option('--reason <reason>', 'why, recorded in the engine\'s history')
    .option('--json', 'print the EngineSnapshot as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  kyuubi-pods kill 0f3c2b1e -n default --reason "user cancelled"\n  kyuubi-pods kill 0f3c2b1e -n default --json\n' +
        '\nExit 1 when the engine is unknown or already ended.',
    )
    .action(
      action(async (tag: string, options: { namespace: string; reason?: string; json?: boolean }) => {
        const ref = engineRef(tag, options.namespace);
        await withClient(async (client) =>
          print(await client.killEngine(ref, options.reason), Boolean(options.json), formatSnapshot),
        );
      }),
    );

  program
    .command('list')
    .description('engines known to Temporal, newest first')
    .option('-n, --namespace <namespace>', 'only this Kubernetes namespace')
    .option('--state <state>', `only this state: ${ENGINE_STATES.join(' ')}`)
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      '\nExamples:\n  kyuubi-pods list -n default --state RUNNING\n  kyuubi-pods list --state FAILED --limit 20 --json\n' +
        '\nFrom Temporal visibility, which trails the engines by a second or so.',
    )
    .action(
      action(async (options: { namespace?: string; state?: string; limit: string; json?: boolean }) => {
        const state = options.state === undefined ? undefined : engineStateSchema.safeParse(options.state);
        if (state && !state.success) throw new UsageError(`--state "${options.state}": use one of ${ENGINE_STATES.join(', ')}`);
        if (options.namespace !== undefined) engineRef('x', options.namespace);
        const limit = Number(options.limit);
        if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit "${options.limit}": must be a positive integer`);
        await withClient(async (client) => {
          const engines = await client.listEngines({ namespace: options.namespace, state: state?.data, limit });
          print(engines, Boolean(options.json), (list: typeof engines) =>
            formatTable(
              ['TAG', 'NAMESPACE', 'STATE', 'STATUS', 'POD', 'STARTED'],
              list.map((e) => [e.tag, e.namespace, e.state ?? '-', e.status, e.podName ?? '-', e.startTime]),
            ),
          );
        });
      }),
    );
}
