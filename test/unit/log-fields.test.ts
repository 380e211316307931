import { enginePodWorkflowId, parseEnginePodWorkflowId, parseRecoveryWorkflowId, recoveryDryRunWorkflowId, recoveryWorkflowId } from '../../src/contract/names';
import { activityLogFields, sdkLogFields, workflowIdFields } from '../../src/log-fields';

const ENGINE_ID = enginePodWorkflowId('spark', 'tag-1');

describe('workflow id parsing is the inverse of the builders', () => {
  test.each([
    ['default', 'a'],
    ['spark-jobs', '0f8c6a1e-5b7d-4c2a-9e3f-1d2c3b4a5e6f'],
    ['ns', 'tag/with/slashes'],
  ])('engine %s/%s', (namespace, tag) => {
    expect(parseEnginePodWorkflowId(enginePodWorkflowId(namespace, tag))).toEqual({ namespace, tag });
  });

  test.each([
    [recoveryWorkflowId('spark'), 'spark'],
    [recoveryDryRunWorkflowId('spark', 'run-1'), 'spark'],
    ['pod-recovery-spark-2024-05-01T10:00:00Z', undefined],
    [ENGINE_ID, undefined],
  ])('recovery %s', (id, namespace) => {
    expect(parseRecoveryWorkflowId(id)).toBe(namespace);
  });

  test.each(['engine-pod/', 'engine-pod/ns', 'engine-pod//tag', 'other/ns/tag', ''])('not an engine id: %j', (id) => {
    expect(parseEnginePodWorkflowId(id)).toBeUndefined();
  });
});

describe('workflowIdFields', () => {
  test.each([
    [ENGINE_ID, { namespace: 'spark', tag: 'tag-1' }],
    [recoveryWorkflowId('spark'), { namespace: 'spark' }],
    ['someone-elses-workflow', {}],
    [undefined, {}],
    [42, {}],
  ])('%j', (id, fields) => {
    expect(workflowIdFields(id)).toEqual(fields);
  });
});

describe('sdkLogFields', () => {
  const failure = new Error('boom');
  test.each([
    ['nothing', undefined, {}],
    [
      'a workflow line: Temporal namespace moved aside, engine fields from the id, pod kept',
      { namespace: 'default', taskQueue: 'q', workflowId: ENGINE_ID, runId: 'r', sdkComponent: 'workflow', pod: 'p', state: 'RUNNING' },
      { temporalNamespace: 'default', taskQueue: 'q', workflowId: ENGINE_ID, runId: 'r', sdkComponent: 'workflow', pod: 'p', state: 'RUNNING', namespace: 'spark', tag: 'tag-1' },
    ],
    [
      'an activity line: task token dropped',
      { namespace: 'default', taskToken: 'AAAA', workflowId: ENGINE_ID, activityType: 'watchPod' },
      { temporalNamespace: 'default', workflowId: ENGINE_ID, activityType: 'watchPod', namespace: 'spark', tag: 'tag-1' },
    ],
    ['a worker line', { sdkComponent: 'worker', taskQueue: 'q', state: 'RUNNING' }, { sdkComponent: 'worker', taskQueue: 'q', state: 'RUNNING' }],
    ['an Error under `error` becomes pino\'s `err`', { error: failure }, { err: failure }],
    ['a non-Error `error` stays', { error: 'text' }, { error: 'text' }],
  ])('%s', (_what, meta, fields) => {
    expect(sdkLogFields(meta)).toEqual(fields);
  });
});

describe('activityLogFields', () => {
  const inEngine = { activityType: 'createPod', workflowId: ENGINE_ID, runId: 'r' };
  test.each([
    [
      'the engine workflow: tag from its id',
      inEngine,
      { namespace: 'spark', pod: 'p' },
      { activityType: 'createPod', workflowId: ENGINE_ID, runId: 'r', namespace: 'spark', tag: 'tag-1', pod: 'p' },
    ],
    [
      'recovery acting on another engine: the explicit tag wins',
      { activityType: 'deleteOrphans', workflowId: recoveryWorkflowId('spark'), runId: 'r' },
      { namespace: 'spark', pod: 'orphan', tag: 'other' },
      { activityType: 'deleteOrphans', workflowId: recoveryWorkflowId('spark'), runId: 'r', namespace: 'spark', tag: 'other', pod: 'orphan' },
    ],
    [
      'an engine id of another namespace gives no tag',
      inEngine,
      { namespace: 'elsewhere', pod: 'p' },
      { activityType: 'createPod', workflowId: ENGINE_ID, runId: 'r', namespace: 'elsewhere', pod: 'p' },
    ],
    ['outside an activity', undefined, { namespace: 'spark', pod: 'p', tag: 't' }, { namespace: 'spark', pod: 'p', tag: 't' }],
  ])('%s', (_what, info, engine, fields) => {
    expect(activityLogFields(info, engine)).toEqual(fields);
  });
});
