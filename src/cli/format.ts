import type { EngineSnapshot } from '../contract/messages';

export function formatSnapshot(s: EngineSnapshot): string {
  const lines = [
    `engine    ${s.tag} (${s.namespace}, ${s.mode})`,
    `state     ${s.state}${s.reason ? ` (${s.reason})` : ''}`,
    `pod       ${s.podName ?? '-'}${s.phase ? ` phase=${s.phase}` : ''}${s.exitCode !== undefined ? ` exit=${s.exitCode}` : ''}${s.podDeleted ? ' [deleted]' : ''}`,
  ];
  if (s.message) lines.push(`message   ${s.message}`);
  for (const [name, at] of Object.entries(s.deadlines)) if (at) lines.push(`deadline  ${name} ${at}`);
  lines.push('history');
  for (const t of s.transitions) lines.push(`  ${t.at}  ${t.state}${t.reason ? ` (${t.reason})` : ''}`);
  return lines.join('\n');
}

/** A plain aligned table; no dependency needed for this much. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
