import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { ZodError } from 'zod';
import { EngineClient } from '../client';
import { loadConfig } from '../config';
import { FAILURE_TYPES } from '../contract/messages';
import { assertNamespaceAllowed } from '../contract/normalize';
import { describeIssues, enginePodInputSchema, type EnginePodInput, type PolicyInput } from '../contract/schemas';
import { formatSnapshot } from './format';
import { UsageError, action, explainWorkflowFailure, print } from './output';

type PodManifestInput = NonNullable<EnginePodInput['pod']>;

/** The flag behind each input field, so an error names what the operator typed. */
const FLAGS: Record<string, string> = {
  tag: '--tag',
  namespace: '--namespace',
  'policy.cleanup': '--cleanup',
  'policy.retainPeriod': '--retain',
  'policy.pendingTimeout': '--pending-timeout',
  'policy.submitTimeout': '--submit-timeout',
  'policy.maxLifetime': '--max-lifetime',
  'policy.stateSource': '--state-source',
  'policy.stateContainer': '--state-container',
};

/** The schema's message for each field, followed by the flag (or file) it came from. */
function explainIssues(error: ZodError, file: string | undefined): string {
  return error.issues
    .map((issue) => {
      const [head, sub] = issue.path.map(String);
      const origin = head === 'pod' ? (file ? `--file ${file}` : undefined) : FLAGS[sub ? `${head}.${sub}` : (head ?? '')];
      const line = describeIssues(new ZodError([issue]));
      return origin ? line.replace(/$/gm, ` (${origin})`) : line;
    })
    .join('\n');
}

interface LaunchOptions {
  tag: string;
  namespace: string;
  file?: string;
  track?: boolean;
  wait?: boolean;
  json?: boolean;
  cleanup?: string;
  retain?: string;
  pendingTimeout?: string;
  submitTimeout?: string;
  maxLifetime?: string;
  stateSource?: string;
  stateContainer?: string;
}

/** Reads a manifest file; its shape is validated with the rest of the input. */
export async function readManifest(file: string): Promise<PodManifestInput> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--file ${file}: cannot read it (${(error as Error).message})`);
  }
  let manifest: unknown;
  try {
    manifest = parseYaml(text);
  } catch (error) {
    throw new UsageError(`--file ${file}: not valid YAML: ${(error as Error).message}`);
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    throw new UsageError(`--file ${file}: must hold one Pod manifest (a YAML mapping)`);
  }
  return manifest as PodManifestInput;
}

function policyFrom(options: LaunchOptions): PolicyInput | undefined {
  const policy = {
    cleanup: options.cleanup,
    retainPeriod: options.retain,
    pendingTimeout: options.pendingTimeout,
    submitTimeout: options.submitTimeout,
    maxLifetime: options.maxLifetime,
    stateSource: options.stateSource,
    stateContainer: options.stateContainer,
  };
  const given = Object.entries(policy).filter(([, value]) => value !== undefined);
  return given.length ? (Object.fromEntries(given)) : undefined;
}

export function registerLaunch(program: Command): void {
  program
    .command('launch')
    .description('start an engine pod\'s life: create the pod from a manifest, or track one spark-submit creates')
    .requiredOption('--tag <tag>', 'engine tag (Kyuubi\'s kyuubi-unique-tag)')
    .requiredOption('-n, --namespace <namespace>', 'Kubernetes namespace')
    .option('-f, --file <pod.yaml>', 'pod manifest to create')
    .option('--track', 'track a pod someone else creates, found by its kyuubi-unique-tag label')
    .option('--wait', 'wait for the engine\'s outcome')
    .option('--cleanup <policy>', 'ALL | COMPLETED | NONE')
    .option('--retain <duration>', 'keep a terminated pod this long (5m, PT5M)')
    .option('--pending-timeout <duration>', 'fail and delete a pod pending this long')
    .option('--submit-timeout <duration>', 'track mode: NOT_FOUND if no pod appears within this')
    .option('--max-lifetime <duration>', 'kill the engine after this long')
    .option('--state-source <source>', 'POD | CONTAINER')
    .option('--state-container <name>', 'container whose state decides with --state-source CONTAINER')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  kyuubi-pods launch --tag 0f3c2b1e -n default -f driver.yaml --retain 1m\n' +
        '  kyuubi-pods launch --tag 0f3c2b1e -n default -f driver.yaml --cleanup COMPLETED --max-lifetime PT8H --json\n' +
        '  kyuubi-pods launch --tag 0f3c2b1e -n spark --track --submit-timeout 2m --wait --json\n' +
        '\nDurations: 30s, 5m, 1h30m, 2d or ISO-8601 (PT5M). Bad input exits 2 naming the field; nothing is started.',
    )
    .action(
      action(async (options: LaunchOptions) => {
        if (Boolean(options.file) === Boolean(options.track)) {
          throw new UsageError('give exactly one of --file <pod.yaml> (create) or --track');
        }
        const input: EnginePodInput = {
          tag: options.tag,
          namespace: options.namespace,
          mode: options.track ? 'track' : 'create',
          ...(options.file ? { pod: await readManifest(options.file) } : {}),
          ...(policyFrom(options) ? { policy: policyFrom(options) } : {}),
        };
        // Checked here as well as in the client, so bad input exits 2 before any connection.
        const parsed = enginePodInputSchema.safeParse(input);
        if (!parsed.success) throw new UsageError(`Invalid engine input:\n${explainIssues(parsed.error, options.file)}`);
        assertNamespaceAllowed(parsed.data.namespace, loadConfig().namespaces);
        const client = await EngineClient.connect();
        try {
          const launched = await client.launchEngine(input);
          if (!options.wait) {
            print(launched, Boolean(options.json), (l: typeof launched) => `started ${l.workflowId}`);
            return;
          }
          const outcome = await client
            .waitForEngine(launched)
            .catch((error: unknown) => explainWorkflowFailure(error, `engine ${launched.workflowId}`, FAILURE_TYPES.invalidInput));
          print(outcome, Boolean(options.json), formatSnapshot);
        } finally {
          await client.temporal.connection.close();
        }
      }),
    );
}
