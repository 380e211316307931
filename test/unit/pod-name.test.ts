import {
  enginePodName,
  isValidLabelValue,
  isValidPodName,
  MAX_ENGINE_POD_NAME,
} from '../../src/k8s/pod-name';

const UUID = '0a1b2c3d-4e5f-6789-abcd-ef0123456789';
const a = (n: number): string => 'a'.repeat(n);
const x = (n: number): string => 'x'.repeat(n);

describe('enginePodName', () => {
  // Expected hashes are FNV-1a 32-bit values computed outside this code base.
  it.each<[string, string, string | undefined, string]>([
    ['default app name is spark, like Kyuubi', UUID, undefined, `kyuubi-spark-${UUID}-driver`],
    ['app name and tag joined', 't1', 'My App', 'kyuubi-my-app-t1-driver'],
    ['app name already holding the tag is used alone', 'abc', 'job-abc', 'kyuubi-job-abc-driver'],
    ['kyuubi- prefix not doubled', 'abc', 'kyuubi-batch', 'kyuubi-batch-abc-driver'],
    ['app name kyuubi merges into the prefix, as in Kyuubi', 'abc', 'kyuubi', 'kyuubi-abc-driver'],
    ['app name kyuubi holding the tag', 'kyuubi', 'kyuubi', 'kyuubi-kyuubi-driver'],
    ['upper case lowered', 'ABC', 'X', 'kyuubi-x-abc-driver'],
    ['symbols become single dashes, leading dashes dropped', 'T', '--Spark..SQL__', 'kyuubi-spark-sql-t-driver'],
    ['leading digit becomes x (Spark rule)', 'q1', '1st-job', 'kyuubi-xst-job-q1-driver'],
    ['leading digit of a tag-only prefix becomes x', '9abc', '', 'kyuubi-xabc-driver'],
    ['trailing dash dropped (Kyuubi would give a double dash)', 'job', 'job!', 'kyuubi-job-driver'],
    ['empty app name', 'abc', '', 'kyuubi-abc-driver'],
    ['surrounding spaces trimmed', 'abc', '  my app  ', 'kyuubi-my-app-abc-driver'],
    ['resolved name of exactly 63 kept', 't', a(47), `kyuubi-${a(47)}-t-driver`],
    ['resolved name of 64 falls back to the tag', 't', a(48), 'kyuubi-t-driver'],
    [
      'Kyuubi default engine name too long falls back',
      UUID,
      `kyuubi_USER_SPARK_SQL_alice_default_${UUID}`,
      `kyuubi-${UUID}-driver`,
    ],
    ['fallback sanitizes the tag', 'My_Tag', a(60), 'kyuubi-my-tag-driver'],
    ['fallback of exactly 63 kept', a(49), undefined, `kyuubi-${a(49)}-driver`],
    ['fallback too long: truncated with hash', a(50), undefined, `kyuubi-${a(40)}-c5394ba7-driver`],
    ['long tag x60', x(60), undefined, `kyuubi-${x(40)}-37d12e35-driver`],
    ['long tag differing at the end', `${x(59)}y`, undefined, `kyuubi-${x(40)}-36d12ca2-driver`],
    [
      'hash of the raw tag, head of the sanitized tag',
      `Long-Tag-${'A'.repeat(50)}`,
      undefined,
      `kyuubi-long-tag-${a(31)}-a9741cdf-driver`,
    ],
    ['truncation never ends on a dash', `${a(39)}-${'b'.repeat(30)}`, undefined, `kyuubi-${a(39)}-848f6349-driver`],
    ['tag with no safe character: hash only', '___', undefined, 'kyuubi-045a3b34-driver'],
    ['another unsafe tag: another hash', '!!!', 'spark', 'kyuubi-2d53a722-driver'],
    ['non-ASCII tag hashed by UTF-16 code unit', 'ÄÖÜ', undefined, 'kyuubi-314dd579-driver'],
  ])('%s', (_why, tag, appName, expected) => {
    const name = enginePodName(tag, appName);
    expect(name).toBe(expected);
    expect(name.length).toBeLessThanOrEqual(MAX_ENGINE_POD_NAME);
    expect(isValidPodName(name)).toBe(true);
    expect(name).not.toMatch(/--/);
  });

  it('caps names at a DNS label (63), not Kyuubi’s 253 budget', () => {
    expect(MAX_ENGINE_POD_NAME).toBe(63);
  });

  it('rejects an empty tag', () => {
    expect(() => enginePodName('')).toThrow('engine tag is empty');
  });

  it('keeps long tags with a shared prefix apart', () => {
    const names = new Set(Array.from({ length: 50 }, (_, i) => enginePodName(`${x(55)}-${i}`)));
    expect(names.size).toBe(50);
  });
});

describe('isValidPodName', () => {
  it.each<[string, boolean]>([
    ['a', true],
    ['1abc', true],
    ['kyuubi-x-driver', true],
    ['a.b', true],
    ['a.b-c.d', true],
    [a(253), true],
    [a(254), false],
    ['', false],
    ['A', false],
    ['-a', false],
    ['a-', false],
    ['a..b', false],
    ['a.-b', false],
    ['.a', false],
    ['a_b', false],
    ['a b', false],
  ])('%j → %s', (name, valid) => {
    expect(isValidPodName(name)).toBe(valid);
  });
});

describe('isValidLabelValue', () => {
  it.each<[string, boolean]>([
    ['', true],
    ['a', true],
    ['0', true],
    ['A_b.c-D', true],
    [UUID, true],
    [a(63), true],
    [a(64), false],
    ['_a', false],
    ['a_', false],
    ['.a', false],
    ['a.', false],
    ['-', false],
    ['a b', false],
    ['a/b', false],
    ['é', false],
  ])('%j → %s', (value, valid) => {
    expect(isValidLabelValue(value)).toBe(valid);
  });
});
