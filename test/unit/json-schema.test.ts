import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDuration } from '../../src/contract/duration';
import {
  DURATION_PATTERN,
  LABEL_VALUE_PATTERN,
  POD_NAME_PATTERN,
  SCHEMA_FILES,
  contractNames,
  renderDocument,
  schemaDocuments,
} from '../../src/contract/json-schema';
import { enginePodWorkflowId } from '../../src/contract/names';
import { isValidLabelValue, isValidPodName } from '../../src/k8s/pod-name';

const SCHEMA_DIR = path.resolve(__dirname, '../../schema');
const documents = schemaDocuments();

test('the committed schema/ files are what the zod schemas generate now', () => {
  const stale = Object.entries(documents)
    .filter(([file, document]) => !existsSync(path.join(SCHEMA_DIR, file)) || readFileSync(path.join(SCHEMA_DIR, file), 'utf8') !== renderDocument(document))
    .map(([file]) => `schema/${file}`);
  const orphaned = readdirSync(SCHEMA_DIR)
    .filter((file) => file.endsWith('.json') && !(file in documents))
    .map((file) => `schema/${file} (no longer generated: delete it)`);
  if (stale.length || orphaned.length) {
    throw new Error(`Out of date with src/contract: ${[...stale, ...orphaned].join(', ')}. Run \`npm run build && npm run schema\` and commit schema/.`);
  }
});

describe('contract.json', () => {
  const contract = contractNames() as {
    workflows: { enginePod: { workflowId: string; input: string; result: string } };
    queries: Record<string, { result: string }>;
    updates: Record<string, { argument: string; result: string }>;
    signals: Record<string, { argument: string }>;
  };

  it.each([
    ['default', 'abc'],
    ['spark-jobs', '0f3c2b1e-8a45-4b9c-9d2e-5f6a7b8c9d0e'],
  ])('filling the workflow id template for %s/%s gives enginePodWorkflowId', (namespace, tag) => {
    const filled = contract.workflows.enginePod.workflowId.replace('{namespace}', namespace).replace('{tag}', tag);
    expect(filled).toBe(enginePodWorkflowId(namespace, tag));
  });

  test('every schema file it refers to is generated', () => {
    const referenced = [
      contract.workflows.enginePod.input,
      contract.workflows.enginePod.result,
      ...Object.values(contract.queries).map((q) => q.result),
      ...Object.values(contract.updates).flatMap((u) => [u.argument, u.result]),
      ...Object.values(contract.signals).map((s) => s.argument),
    ];
    for (const file of referenced) expect(Object.keys(documents)).toContain(file);
  });
});

describe('the enginePod input schema', () => {
  const input = documents[SCHEMA_FILES.enginePodInput] as {
    properties: { policy: { properties: Record<string, unknown> } };
    $defs: Record<string, { type: string; pattern: string }>;
  };

  it.each(['retainPeriod', 'pendingTimeout', 'submitTimeout', 'maxLifetime'])('says %s is a Duration string', (field) => {
    expect(input.properties.policy.properties[field]).toEqual({ $ref: '#/$defs/Duration' });
    expect(input.$defs.Duration).toMatchObject({ type: 'string', pattern: DURATION_PATTERN });
  });
});

// The patterns restate, for JSON Schema, rules the worker checks in code: they must agree.
const parses = (text: string) => {
  try {
    parseDuration(text);
    return true;
  } catch {
    return false;
  }
};

describe('DURATION_PATTERN agrees with parseDuration', () => {
  it.each(['0', '0s', '500ms', '30s', '5m', '1h30m', '1.5h', '.5s', '2d', 'PT5M', 'PT30S', 'PT0.5S', 'PT0,5S', 'P1D', 'P1DT2H', 'P2W', 'PT1H30M15S'])(
    'accepts %s, which parses',
    (text) => {
      expect(new RegExp(DURATION_PATTERN).test(text)).toBe(true);
      expect(parses(text)).toBe(true);
    },
  );

  it.each(['', '5', '5 m', '-5m', 'P', 'PT', 'P1Y', 'P1M', 'PT5', '5min', 'abc', '1h 30m'])('refuses %j, which does not parse', (text) => {
    expect(new RegExp(DURATION_PATTERN).test(text)).toBe(false);
    expect(parses(text)).toBe(false);
  });

  // Non-canonical spellings the parser forgives; the schema asks for the canonical one.
  it.each(['pt5m', ' 5m '])('refuses the non-canonical %j', (text) => {
    expect(new RegExp(DURATION_PATTERN).test(text)).toBe(false);
    expect(parses(text)).toBe(true);
  });
});

describe.each<[string, string, (value: string) => boolean, number, string[]]>([
  ['LABEL_VALUE_PATTERN', LABEL_VALUE_PATTERN, isValidLabelValue, 63, ['', 'a', 'A.b_c-9', '0f3c2b1e-8a45', '-a', 'a-', 'a b', 'a/b', 'é']],
  ['POD_NAME_PATTERN', POD_NAME_PATTERN, isValidPodName, 253, ['a', 'kyuubi-x-driver', 'a.b', 'A', '-a', 'a.', 'a..b', 'a_b', '']],
])('%s agrees with its code check', (_name, pattern, check, maxLength, samples) => {
  it.each(samples)('on %j', (sample) => {
    expect(new RegExp(pattern).test(sample) && sample.length <= maxLength).toBe(check(sample));
  });
});
