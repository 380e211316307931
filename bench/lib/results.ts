/**
 * bench/RESULTS.md: one section per benchmark between markers, replaced by its latest
 * run, with the facts of the machine it ran on.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const RESULTS_FILE = path.join(__dirname, '..', 'RESULTS.md');

export interface MachineFacts {
  date: string;
  cpus: number;
  cpuModel: string;
  memGiB: number;
  node: string;
  os: string;
  /** os.loadavg() when the benchmark started: the machine is shared, so this says how busy it was. */
  loadavg: [number, number, number];
  gitCommit?: string;
}

export function machineFacts(): MachineFacts {
  const [one = 0, five = 0, fifteen = 0] = os.loadavg();
  let gitCommit: string | undefined;
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: __dirname, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    gitCommit = git('rev-parse', '--short', 'HEAD') + (git('status', '--porcelain') ? ' with uncommitted changes' : '');
  } catch {
    gitCommit = undefined; // not a git checkout: the facts go without it
  }
  return {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadavg: [one, five, fifteen],
    gitCommit,
  };
}

/** A 1-minute load average of half the cores or more: other work competed for the CPUs. */
export function underLoad(facts: MachineFacts): boolean {
  return facts.loadavg[0] >= facts.cpus * 0.5;
}

export function formatFacts(facts: MachineFacts): string {
  const load = facts.loadavg.map((l) => l.toFixed(2)).join(' / ');
  const note = underLoad(facts)
    ? ` — **measured under load**: the machine was shared with other engineers' test runs, so figures are pessimistic`
    : '';
  return (
    `_${facts.date}, ${facts.cpus} cores (${facts.cpuModel}), ${facts.memGiB} GiB RAM, Node ${facts.node}, ${facts.os}` +
    `${facts.gitCommit ? `, commit ${facts.gitCommit}` : ''}; load average at start (1/5/15 min) ${load}${note}._`
  );
}

const begin = (name: string) => `<!-- bench:${name} -->`;
const end = (name: string) => `<!-- /bench:${name} -->`;

/** The document with section `name` replaced (or appended) by `body`. */
export function replaceSection(doc: string, name: string, body: string): string {
  const block = `${begin(name)}\n${body.trimEnd()}\n${end(name)}`;
  const start = doc.indexOf(begin(name));
  const stop = doc.indexOf(end(name));
  if (start >= 0 && stop > start) return doc.slice(0, start) + block + doc.slice(stop + end(name).length);
  return `${doc.trimEnd()}\n\n${block}\n`;
}

export function writeSection(name: string, body: string, file = RESULTS_FILE): void {
  const doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  writeFileSync(file, replaceSection(doc, name, body));
}
