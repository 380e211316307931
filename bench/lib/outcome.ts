/**
 * What a benchmark reports: its figures beside the goal, printed and written to its
 * section of RESULTS.md.
 */
import { formatFacts, type MachineFacts } from './results';

export interface Outcome {
  /** Its section of RESULTS.md. */
  section: string;
  title: string;
  /** The goal as the issue states it. */
  goal: string;
  met: boolean;
  /** The headline comparison, e.g. "ratio 1,234x (goal ≥ 500x)". */
  headline: string;
  /** Measured figures, in the order they are shown. */
  figures: [string, string][];
  /** How it was measured, and anything a reader must know to trust the numbers. */
  method: string[];
}

export function formatConsole(o: Outcome): string {
  const width = Math.max(...o.figures.map(([k]) => k.length));
  return [
    `== ${o.title}`,
    ...o.figures.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
    `  goal: ${o.goal}`,
    `  ${o.headline} — ${o.met ? 'GOAL MET' : 'GOAL NOT MET'}`,
  ].join('\n');
}

export function formatSection(o: Outcome, facts: MachineFacts, settings: string): string {
  return [
    `## ${o.title}`,
    '',
    formatFacts(facts),
    '',
    `**${o.headline}** — ${o.met ? 'goal met' : 'goal not met'}. Goal: ${o.goal}.`,
    '',
    '| figure | value |',
    '|---|---|',
    ...o.figures.map(([k, v]) => `| ${k} | ${v} |`),
    '',
    ...o.method.map((line) => `- ${line}`),
    `- Settings: ${settings}`,
  ].join('\n');
}
