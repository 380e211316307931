/**
 * The kwok stage files and the TS names must agree: a renamed annotation in names.ts
 * with a stale YAML would silently turn every controlled pod into a plain one.
 */
import * as fs from 'node:fs';
import { parse } from 'yaml';
import { LOCAL_STACK_ANNOTATIONS } from '../../src/contract/names';
import { stageFiles } from '../../src/stack/kwok';

const prefix = LOCAL_STACK_ANNOTATIONS.exitAfter.split('/')[0] ?? '';
// Written by pod-exit-arm.yaml and read by pod-exit.yaml only; no client sets it.
const internalExitAt = `${prefix}/exit-at`;

const texts = stageFiles().map((file) => ({ file, text: fs.readFileSync(file, 'utf8') }));

test('every stage file is a kwok Stage with a unique name', () => {
  const names = texts.map(({ file, text }) => {
    const doc = parse(text) as { apiVersion?: string; kind?: string; metadata?: { name?: string } };
    expect({ file, apiVersion: doc.apiVersion, kind: doc.kind }).toEqual({
      file,
      apiVersion: 'kwok.x-k8s.io/v1alpha1',
      kind: 'Stage',
    });
    return doc.metadata?.name;
  });
  expect(new Set(names).size).toBe(names.length);
});

test('the stages use exactly the annotations names.ts declares', () => {
  const used = new Set<string>();
  for (const { text } of texts) {
    for (const m of text.matchAll(new RegExp(`${prefix.replace(/\./g, '\\.')}/[a-z-]+`, 'g'))) used.add(m[0]);
  }
  expect([...used].sort()).toEqual([...Object.values(LOCAL_STACK_ANNOTATIONS), internalExitAt].sort());
});
