/**
 * Reads the local apiserver's audit log (pod creates and deletes only; see
 * src/stack/kube.ts), so tests count the requests each pod received from the apiserver's
 * own record rather than from the code under test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultStateDir, statePaths } from '../../src/stack/paths';

export interface AuditEvent {
  auditID: string;
  stage: string;
  verb: string;
  requestURI: string;
  userAgent?: string;
  user?: { username?: string };
  objectRef?: { resource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
  requestReceivedTimestamp?: string;
}

/**
 * kwok plays the kubelet: once a pod has a deletionTimestamp it force-deletes it, as a
 * kubelet does when the containers have stopped. That second DELETE is the kubelet's part
 * of every deletion, not a second decision to delete, so counts leave it out by default.
 */
export const FAKE_KUBELET_USER_AGENT = /^kwok\//;

function auditFiles(): string[] {
  const log = statePaths(defaultStateDir()).auditLog;
  const dir = path.dirname(log);
  const base = path.basename(log, '.log');
  // The current file and the backups the apiserver rotated (`<base>-<timestamp>.log`).
  return readdirSync(dir)
    .filter((name) => name.startsWith(base) && name.endsWith('.log'))
    .map((name) => path.join(dir, name));
}

/** Completed requests on pods of one namespace, oldest first. */
export async function auditEventsOf(namespace: string): Promise<AuditEvent[]> {
  const needle = `"namespace":"${namespace}"`;
  const events: AuditEvent[] = [];
  for (const file of auditFiles()) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.includes(needle)) continue;
      let event: AuditEvent;
      try {
        event = JSON.parse(line) as AuditEvent;
      } catch {
        continue; // a line the apiserver is still writing
      }
      if (event.stage === 'ResponseComplete' && event.objectRef?.namespace === namespace) events.push(event);
    }
  }
  return events.sort((a, b) => (a.requestReceivedTimestamp ?? '').localeCompare(b.requestReceivedTimestamp ?? ''));
}

/**
 * DELETE requests per pod name in one namespace, whatever their response (a second DELETE
 * answered 404 is still a duplicate). The fake kubelet's final delete is left out unless
 * `includeKubelet`.
 */
export async function deletesOf(namespace: string, options: { includeKubelet?: boolean } = {}): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const event of await auditEventsOf(namespace)) {
    if (event.verb !== 'delete' || !event.objectRef?.name) continue;
    if (!options.includeKubelet && FAKE_KUBELET_USER_AGENT.test(event.userAgent ?? '')) continue;
    counts.set(event.objectRef.name, (counts.get(event.objectRef.name) ?? 0) + 1);
  }
  return counts;
}
