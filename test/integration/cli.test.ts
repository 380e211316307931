/**
 * The `kyuubi-pods` binary as an operator runs it: JSON output, and bad input rejected with
 * exit 2, a message naming the field, and nothing created in Temporal or Kubernetes.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CoreV1Api } from '@kubernetes/client-node';
import { stringify as toYaml } from 'yaml';
import { EngineClient, EngineNotFoundError } from '../../src/client';
import type { EngineSnapshot } from '../../src/contract/messages';
import { ENGINE_TAG_LABEL } from '../../src/contract/names';
import { driverManifest, eventually, kubeApi, newTag, podsWithTag, startWorker, type TestWorker } from '../helpers/env';
import { runCli, type CliRun } from '../helpers/cli';

const NS = 'default';
let worker: TestWorker;
let engines: EngineClient;
let core: CoreV1Api;
let dir: string;

beforeAll(async () => {
  worker = await startWorker();
  engines = await worker.engines();
  core = kubeApi();
  dir = mkdtempSync(path.join(tmpdir(), 'kpl-cli-'));
});

afterAll(async () => {
  await worker?.stop();
  await engines?.temporal.connection.close();
});

function cli(...args: string[]): Promise<CliRun> {
  return runCli(args, { KPL_TASK_QUEUE: worker.config.taskQueue });
}

function writeFile(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

async function expectNothingCreated(tag: string): Promise<void> {
  await expect(engines.getEngine({ tag, namespace: NS })).rejects.toBeInstanceOf(EngineNotFoundError);
  expect(await podsWithTag(core, NS, tag)).toEqual([]);
}

const goodManifest = () => writeFile(`pod-${newTag()}.yaml`, toYaml(driverManifest({ exitAfter: '2s' })));

describe('launch rejects bad input with exit 2, naming the field, creating nothing', () => {
  test.each([
    ['malformed YAML manifest', () => ['-f', writeFile('bad.yaml', 'spec: [unclosed\n  containers:')], /--file .*bad\.yaml: not valid YAML/],
    ['manifest without containers', () => ['-f', writeFile('empty.yaml', toYaml({ spec: { containers: [] } }))], /pod\.spec\.containers: must list at least one container/],
    ['bad duration', () => ['-f', goodManifest(), '--retain', '10 parsecs'], /policy\.retainPeriod: "10 parsecs" is not a duration/],
    ['negative duration', () => ['-f', goodManifest(), '--pending-timeout', '-5m'], /policy\.pendingTimeout: "-5m" is not a duration/],
    ['unknown cleanup policy', () => ['-f', goodManifest(), '--cleanup', 'SOME'], /policy\.cleanup/],
    ['override of our labels', () => ['-f', writeFile('steal.yaml', toYaml({ ...driverManifest(), metadata: { labels: { 'app.kubernetes.io/managed-by': 'someone-else' } } }))], /pod\.metadata\.labels: would override/],
    ['both --file and --track', () => ['-f', goodManifest(), '--track'], /exactly one of --file/],
  ])('%s', async (_name, extraArgs, message) => {
    const tag = newTag();
    const run = await cli('launch', '--tag', tag, '-n', NS, ...extraArgs());
    expect(run.stderr).toMatch(message);
    expect(run.code).toBe(2);
    await expectNothingCreated(tag);
  });

  test('empty tag', async () => {
    const run = await cli('launch', '--tag', '', '-n', NS, '-f', goodManifest());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/tag: must not be empty/);
  });

  test('namespace that is not a DNS label', async () => {
    const tag = newTag();
    const run = await cli('launch', '--tag', tag, '-n', 'Not_A_Namespace', '-f', goodManifest());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/namespace: must be lower-case/);
  });

  test('missing required option', async () => {
    const run = await cli('launch', '-n', NS, '-f', goodManifest());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--tag/);
  });
});

test('launch --json, status --json, launch --wait --json', async () => {
  const tag = newTag();
  const launched = await cli('launch', '--tag', tag, '-n', NS, '-f', goodManifest(), '--retain', '1s', '--json');
  expect(launched.code).toBe(0);
  expect(JSON.parse(launched.stdout)).toMatchObject({ tag, namespace: NS, workflowId: `engine-pod/${NS}/${tag}` });

  const running = await eventually(async () => {
    const status = await cli('status', tag, '-n', NS, '--json');
    const snapshot = JSON.parse(status.stdout) as EngineSnapshot;
    return status.code === 0 && snapshot.state === 'RUNNING' ? snapshot : undefined;
  }, 'engine RUNNING');
  expect(running).toMatchObject({ tag, namespace: NS, mode: 'create', podDeleted: false });
  expect(running.podName).toMatch(/-driver$/);

  const waited = await cli('launch', '--tag', newTag(), '-n', NS, '-f', goodManifest(), '--retain', '0s', '--wait', '--json');
  expect(waited.code).toBe(0);
  expect(JSON.parse(waited.stdout)).toMatchObject({ state: 'FINISHED', podDeleted: true });
});

test('launch --wait: input only the worker can refuse exits 2 with its reason, not "Workflow execution failed"', async () => {
  const tag = newTag();
  // Valid to the schema the CLI checks, but the tag label contradicts the engine's tag.
  const manifest = driverManifest();
  const conflicting = { ...manifest, metadata: { ...manifest.metadata, labels: { [ENGINE_TAG_LABEL]: 'someone-else' } } };
  const waited = await cli('launch', '--tag', tag, '-n', NS, '-f', writeFile('conflict.yaml', toYaml(conflicting)), '--wait');
  expect(waited.code).toBe(2);
  expect(waited.stderr).toContain('pod.metadata.labels');
  expect(waited.stderr).not.toContain('Workflow execution failed');
  expect(await podsWithTag(core, NS, tag)).toEqual([]);
});

test('kill --json returns the snapshot once the pod is deleted; a second kill fails with exit 1', async () => {
  const tag = newTag();
  const manifest = writeFile(`long-${tag}.yaml`, toYaml(driverManifest()));
  expect((await cli('launch', '--tag', tag, '-n', NS, '-f', manifest)).code).toBe(0);
  await eventually(async () => ((await engines.getEngine({ tag, namespace: NS })).state === 'RUNNING' ? true : undefined), 'RUNNING');

  const killed = await cli('kill', tag, '-n', NS, '--reason', 'test says so', '--json');
  expect(killed.code).toBe(0);
  expect(JSON.parse(killed.stdout)).toMatchObject({ tag, podDeleted: true, killRequest: { reason: 'test says so' } });
  await eventually(async () => ((await podsWithTag(core, NS, tag)).length === 0 ? true : undefined), 'pod gone');

  const again = await cli('kill', tag, '-n', NS);
  expect(again.code).toBe(1);
  expect(again.stderr).toMatch(/already KILLED/);
});

test('status and kill: unknown engine exits 1, bad tag exits 2', async () => {
  const unknown = await cli('status', newTag(), '-n', NS, '--json');
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toMatch(/No engine/);
  const badTag = await cli('kill', 'bad tag!', '-n', NS);
  expect(badTag.code).toBe(2);
  expect(badTag.stderr).toMatch(/tag "bad tag!"/);
});

test('list --json filters by namespace and state; a bad state exits 2', async () => {
  const tag = newTag();
  const run = await cli('launch', '--tag', tag, '-n', NS, '-f', goodManifest(), '--retain', '0s', '--wait');
  expect(run.code).toBe(0);
  const listed = await eventually(async () => {
    const list = await cli('list', '-n', NS, '--state', 'FINISHED', '--json');
    const engines = JSON.parse(list.stdout) as { tag: string; state: string }[];
    return engines.some((e) => e.tag === tag) ? engines : undefined;
  }, 'engine in visibility');
  expect(listed.every((e) => e.state === 'FINISHED')).toBe(true);

  const bad = await cli('list', '--state', 'DANCING');
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--state "DANCING"/);
});
