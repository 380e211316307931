import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Command } from 'commander';
import { EngineClient } from '../client';
import { loadConfig } from '../config';
import { ENGINE_TAG_LABEL, LOCAL_STACK_ANNOTATIONS } from '../contract/names';
import type { EnginePodInput } from '../contract/schemas';
import { readManifest } from './launch';
import { action, loadStack } from './output';

/** The sample engine runs a while, exits, is retained, then deleted: every phase to watch. */
async function sampleEngine(root: string, namespace: string): Promise<EnginePodInput> {
  const tag = randomUUID();
  const manifest = await readManifest(path.join(root, 'examples', 'spark-driver-pod.yaml'));
  const { [ENGINE_TAG_LABEL]: _theirs, ...labels } = manifest.metadata?.labels ?? {};
  return {
    tag,
    namespace,
    pod: {
      ...manifest,
      metadata: {
        labels,
        annotations: { ...manifest.metadata?.annotations, [LOCAL_STACK_ANNOTATIONS.exitAfter]: '60s' },
      },
    },
    policy: { retainPeriod: '30s' },
  };
}

export function registerDevCommand(program: Command): void {
  program
    .command('dev')
    .description('start the local stack and a worker, launch a sample engine; Ctrl-C stops all')
    .option('--keep-stack', 'leave the stack running on exit')
    .option('--json', 'print the sample engine (tag, workflow id, UI link) as one JSON line on stdout')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  kyuubi-pods dev\n' +
        '  kyuubi-pods dev --keep-stack --json\n' +
        '  KPL_STACK_PORT_OFFSET=10000 KPL_STACK_DIR=/var/tmp/stack2 kyuubi-pods dev   # beside the shared stack',
    )
    .action(
      action(async (options: { keepStack?: boolean; json?: boolean }) => {
        // Everything that can be bad input is checked before a server starts.
        const config = loadConfig();
        const { stackDown, stackUp } = await loadStack();
        // After loadStack: it turns a bad KPL_STACK_* value into exit 2 on the first load.
        const [{ packageRoot }, { createLogger }, { createWorker }] = await Promise.all([
          import('../stack/paths'),
          import('../logger'),
          import('../worker'),
        ]);
        const namespace = config.namespaces?.[0] ?? 'default';
        const info = await stackUp();
        process.env.TEMPORAL_ADDRESS = info.temporalAddress;
        process.env.TEMPORAL_NAMESPACE = info.temporalNamespace;
        process.env.KUBECONFIG = info.kubeconfigPath;
        const logger = createLogger(config.logLevel);
        const handle = await createWorker({ config, logger });
        const running = handle.run();
        const client = await EngineClient.connect();
        const launched = await client.launchEngine(await sampleEngine(packageRoot(), namespace));
        await client.temporal.connection.close();
        const link = `${info.uiUrl}/namespaces/${info.temporalNamespace}/workflows/${encodeURIComponent(launched.workflowId)}`;
        if (options.json) {
          const { kubeconfigPath, temporalAddress, temporalNamespace, stateDir } = info;
          process.stdout.write(`${JSON.stringify({ ...launched, uiUrl: link, temporalAddress, temporalNamespace, kubeconfigPath, stateDir })}\n`);
        }
        process.stderr.write(
          `\nSample engine ${launched.tag} launched: runs 60s, retained 30s, then deleted.\n` +
            `Follow it at ${link}\n` +
            `Shell: eval "$(kyuubi-pods stack env)" && kyuubi-pods status ${launched.tag} -n ${namespace}\n` +
            'Ctrl-C stops the worker and the stack.\n\n',
        );
        await running;
        if (!options.keepStack) await stackDown();
      }),
    );
}
