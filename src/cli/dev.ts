import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Command } from 'commander';
import { EngineClient } from '../client';
import { loadConfig } from '../config';
import { ENGINE_TAG_LABEL, LOCAL_STACK_ANNOTATIONS } from '../contract/names';
import { createLogger } from '../logger';
import { stackDown, stackUp } from '../stack';
import { packageRoot } from '../stack/paths';
import type { EnginePodInput } from '../contract/schemas';
import { createWorker } from '../worker';
import { readManifest } from './launch';
import { action } from './output';


/** The sample engine runs a while, exits, is retained, then deleted: every phase to watch. */
async function sampleEngine(namespace: string): Promise<EnginePodInput> {
  const tag = randomUUID();
  const manifest = await readManifest(path.join(packageRoot(), 'examples', 'spark-driver-pod.yaml'));
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
    .action(
      action(async (options: { keepStack?: boolean }) => {
        const info = await stackUp();
        process.env.TEMPORAL_ADDRESS = info.temporalAddress;
        process.env.TEMPORAL_NAMESPACE = info.temporalNamespace;
        process.env.KUBECONFIG = info.kubeconfigPath;
        const config = loadConfig();
        const logger = createLogger(config.logLevel);
        const handle = await createWorker({ config, logger });
        const running = handle.run();
        const client = await EngineClient.connect();
        const launched = await client.launchEngine(await sampleEngine('default'));
        await client.temporal.connection.close();
        process.stderr.write(
          `\nSample engine ${launched.tag} launched: runs 60s, retained 30s, then deleted.\n` +
            `Follow it at ${info.uiUrl}/namespaces/${info.temporalNamespace}/workflows/${encodeURIComponent(launched.workflowId)}\n` +
            `Shell: eval "$(kyuubi-pods stack env)" && kyuubi-pods status ${launched.tag} -n default\n` +
            'Ctrl-C stops the worker and the stack.\n\n',
        );
        await running;
        if (!options.keepStack) await stackDown();
      }),
    );
}
