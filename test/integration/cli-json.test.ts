/**
 * `--json` of the commands cli.test.ts leaves out, against the real stack: `list` filtered
 * by namespace and state finds exactly the engines launched in a namespace of its own;
 * `worker --json` serves engines and logs JSON lines; `stack env|status|down --json` on a
 * stack directory of the test's own (never the shared stack). Bad input to `worker`,
 * `stack` and `dev` exits 2 naming the variable or flag, before anything starts.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { CoreV1Api } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import { stringify as toYaml } from 'yaml';
import type { EngineSnapshot } from '../../src/contract/messages';
import { enginePodWorkflowId } from '../../src/contract/names';
import { CLI, runCli, type CliRun } from '../helpers/cli';
import { driverManifest, eventually, kubeApi, newTag, podsWithTag, startWorker, temporalClient, type TestWorker } from '../helpers/env';
import { createNamespace, endWorkflows, removeNamespace } from '../helpers/recovery';

interface Listed {
  tag: string;
  namespace: string;
  workflowId: string;
  status: string;
  state?: string;
  podName?: string;
  startTime: string;
}

let core: CoreV1Api;
let temporal: Client;
let dir: string;

beforeAll(async () => {
  core = kubeApi();
  temporal = await temporalClient();
  dir = mkdtempSync(path.join(tmpdir(), 'kpl-cli-json-'));
});

afterAll(async () => {
  await temporal?.connection.close();
});

const manifestFile = (annotations: Parameters<typeof driverManifest>[0] = {}) => {
  const file = path.join(dir, `pod-${newTag()}.yaml`);
  writeFileSync(file, toYaml(driverManifest(annotations)));
  return file;
};

const json = <T>(run: CliRun): T => {
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  return JSON.parse(run.stdout) as T;
};

describe('list --json in a namespace of its own', () => {
  let worker: TestWorker;
  let ns: string;
  const cli = (...args: string[]) => runCli(args, { KPL_TASK_QUEUE: worker.config.taskQueue });

  beforeAll(async () => {
    ns = await createNamespace(core, 'cli');
    worker = await startWorker({ KPL_SHUTDOWN_GRACE: '1s' });
  });

  afterAll(async () => {
    if (ns) await endWorkflows(temporal, ns);
    await worker?.stop();
    if (ns) await removeNamespace(core, ns);
  });

  test('filters by namespace and state: exactly the engines expected; kill ends one and its pod is gone', async () => {
    const running = newTag();
    const finished = newTag();
    const launched = json<{ tag: string; namespace: string; workflowId: string; started: boolean }>(
      await cli('launch', '--tag', running, '-n', ns, '-f', manifestFile(), '--json'),
    );
    expect(launched).toMatchObject({ tag: running, namespace: ns, workflowId: enginePodWorkflowId(ns, running), started: true });
    const outcome = json<EngineSnapshot>(
      await cli('launch', '--tag', finished, '-n', ns, '-f', manifestFile({ exitAfter: '1s' }), '--retain', '0s', '--wait', '--json'),
    );
    expect(outcome).toMatchObject({ tag: finished, namespace: ns, state: 'FINISHED', podDeleted: true });

    const list = async (...filter: string[]) => json<Listed[]>(await cli('list', '-n', ns, ...filter, '--json'));
    // Visibility trails the workflows: wait until both show their current state.
    await eventually(async () => {
      const all = await list();
      const states = Object.fromEntries(all.map((e) => [e.tag, e.state]));
      return states[running] === 'RUNNING' && states[finished] === 'FINISHED' ? true : undefined;
    }, 'both engines in visibility');

    const all = await list();
    expect(all.map((e) => e.tag).sort()).toEqual([running, finished].sort());
    expect(all.every((e) => e.namespace === ns)).toBe(true);
    expect((await list('--state', 'RUNNING')).map((e) => [e.tag, e.status, e.workflowId])).toEqual([
      [running, 'RUNNING', enginePodWorkflowId(ns, running)],
    ]);
    expect((await list('--state', 'FINISHED')).map((e) => [e.tag, e.status])).toEqual([[finished, 'COMPLETED']]);
    expect(await list('--state', 'FAILED')).toEqual([]);
    expect((await list('--limit', '1')).length).toBe(1);

    const table = await cli('list', '-n', ns);
    expect(table.code).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^TAG\s+NAMESPACE\s+STATE\s+STATUS\s+POD\s+STARTED$/);
    expect(rows).toHaveLength(2);

    const killed = json<EngineSnapshot>(await cli('kill', running, '-n', ns, '--json'));
    expect(killed).toMatchObject({ tag: running, namespace: ns, podDeleted: true });
    await eventually(async () => ((await podsWithTag(core, ns, running)).length === 0 ? true : undefined), 'killed pod gone');
    const status = json<EngineSnapshot>(await cli('status', running, '-n', ns, '--json'));
    expect(status).toMatchObject({ tag: running, state: 'KILLED', podDeleted: true });
  });

  test.each([
    ['--state', ['--state', 'running'], /--state "running": use one of PENDING/],
    ['--namespace', ['-n', 'Bad_NS'], /--namespace "Bad_NS": must be lower-case/],
    ['--limit', ['--limit', '0'], /--limit "0": must be a positive integer/],
    ['an unknown flag', ['--sort', 'tag'], /unknown option '--sort'/],
  ])('list with a bad %s exits 2 naming it', async (_what, args, message) => {
    const run = await cli('list', ...args, '--json');
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 2, stdout: '' });
    expect(run.stderr).toMatch(message);
  });
});

describe('worker', () => {
  test('worker --json serves engines on its queue and logs JSON lines; SIGTERM ends it with exit 0', async () => {
    const taskQueue = `test-${randomUUID()}`;
    const child = spawn(process.execPath, [CLI, 'worker', '--json'], {
      env: {
        ...process.env,
        KPL_TASK_QUEUE: taskQueue,
        KPL_METRICS_PORT: '0',
        KPL_RECOVERY_ON_START: 'false',
        KPL_LOG_LEVEL: 'info',
        KPL_SHUTDOWN_GRACE: '1s',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const tag = newTag();
      const run = await runCli(
        ['launch', '--tag', tag, '-n', 'default', '-f', manifestFile({ exitAfter: '1s' }), '--retain', '0s', '--wait', '--json'],
        { KPL_TASK_QUEUE: taskQueue },
        90_000,
      );
      expect(json<EngineSnapshot>(run)).toMatchObject({ tag, state: 'FINISHED', podDeleted: true });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stdout).toBe('');
    const lines = stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  test.each([
    ['KPL_LOG_LEVEL', { KPL_LOG_LEVEL: 'loud' }, []],
    ['KPL_SHUTDOWN_GRACE', { KPL_SHUTDOWN_GRACE: '-5m' }, []],
    ['KPL_NAMESPACES', { KPL_NAMESPACES: 'Not_A_Namespace' }, []],
    ['--verbose', {}, ['--verbose']],
  ])('a bad %s exits 2 naming it, before connecting anywhere', async (name, env, args) => {
    // An address nothing listens on: a worker that got as far as connecting would fail with 1.
    const run = await runCli(['worker', ...args], { TEMPORAL_ADDRESS: '127.0.0.1:1', ...env }, 20_000);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(name);
  });
});

describe('stack on a directory of its own (never the shared stack)', () => {
  // Far from the shared stack's ports and below the ephemeral range.
  const env = (stateDir: string) => ({ KPL_STACK_DIR: stateDir, KPL_STACK_PORT_OFFSET: '17000' });

  test('stack env --json, stack status --json and stack down --json describe that stack', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'kpl-stack-'));
    const info = json<{ temporalAddress: string; temporalNamespace: string; kubeconfigPath: string; uiUrl: string; stateDir: string }>(
      await runCli(['stack', 'env', '--json'], env(stateDir)),
    );
    expect(info).toMatchObject({
      temporalAddress: '127.0.0.1:24233',
      temporalNamespace: 'default',
      uiUrl: 'http://127.0.0.1:25233',
      stateDir,
      kubeconfigPath: path.join(stateDir, 'kubeconfig'),
    });
    const text = await runCli(['stack', 'env'], env(stateDir));
    expect(text.stdout).toContain('export TEMPORAL_ADDRESS=127.0.0.1:24233');

    const status = json<{ stateDir: string; servers: Record<string, { running: boolean; pid?: number }> }>(
      await runCli(['stack', 'status', '--json'], env(stateDir)),
    );
    expect(status.stateDir).toBe(stateDir);
    expect(Object.keys(status.servers).sort()).toEqual(['etcd', 'kube-apiserver', 'kube-scheduler', 'kwok', 'temporal']);
    expect(Object.values(status.servers).every((s) => !s.running)).toBe(true);

    expect(json(await runCli(['stack', 'down', '--json'], env(stateDir)))).toEqual({ stateDir, stopped: [], purged: false });
  });

  test('the shared stack\'s status lists its servers running (read-only: PID files only)', async () => {
    const status = json<{ servers: Record<string, { running: boolean; pid?: number }> }>(await runCli(['stack', 'status', '--json']));
    expect(status.servers.temporal).toMatchObject({ running: true, pid: expect.any(Number) as number });
    expect(status.servers['kube-apiserver']).toMatchObject({ running: true });
  });

  test.each([
    ['stack env', ['stack', 'env', '--json']],
    ['stack status', ['stack', 'status', '--json']],
    ['stack up', ['stack', 'up', '--json']],
    ['dev', ['dev', '--json']],
  ])('%s with a bad KPL_STACK_PORT_OFFSET exits 2 naming it and starts nothing', async (_name, args) => {
    const stateDir = path.join(mkdtempSync(path.join(tmpdir(), 'kpl-stack-')), 'state');
    const run = await runCli(args, { KPL_STACK_DIR: stateDir, KPL_STACK_PORT_OFFSET: 'ten thousand' }, 20_000);
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 2, stdout: '' });
    expect(run.stderr).toMatch(/KPL_STACK_PORT_OFFSET="ten thousand" is not a whole number/);
    expect(existsSync(stateDir)).toBe(false);
  });

  test.each([
    ['dev with a bad KPL_DEFAULT_RETAIN_PERIOD', ['dev'], { KPL_DEFAULT_RETAIN_PERIOD: '10 parsecs' }, 'KPL_DEFAULT_RETAIN_PERIOD'],
    ['dev with an unknown flag', ['dev', '--keep'], {}, "unknown option '--keep'"],
    ['stack with no subcommand', ['stack'], {}, 'Usage: kyuubi-pods stack'],
    ['stack with an unknown subcommand', ['stack', 'restart'], {}, "unknown command 'restart'"],
    ['stack down with an unknown flag', ['stack', 'down', '--force'], {}, "unknown option '--force'"],
  ])('%s exits 2 naming it and starts nothing', async (_name, args, extraEnv, named) => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'kpl-stack-'));
    const run = await runCli(args, { ...env(stateDir), ...extraEnv }, 20_000);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(named);
    // No server was started there: no PID file, no log, no kubeconfig.
    expect(readdirSync(stateDir)).toEqual([]);
  });
});

test('every command and subcommand has --help with examples, exit 0', async () => {
  const commands = [[], ['launch'], ['status'], ['kill'], ['list'], ['recover'], ['worker'], ['dev'], ['stack'], ['stack', 'up'], ['stack', 'down'], ['stack', 'env'], ['stack', 'status']];
  for (const command of commands) {
    const run = await runCli([...command, '--help']);
    expect({ command, code: run.code }).toEqual({ command, code: 0 });
    expect({ command, examples: /\nExamples?:\n {2}.*kyuubi-pods /.test(run.stdout) }).toEqual({ command, examples: true });
  }
});
