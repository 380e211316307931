/**
 * Heartbeats while an activity runs, so a worker SIGKILLed mid-call is noticed within the
 * workflow's heartbeatTimeout instead of only at startToClose (minutes for recovery).
 */
import { Context } from '@temporalio/activity';

const HEARTBEAT_INTERVAL_MS = 5_000;

export function heartbeating<A extends unknown[], R>(activity: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    const context = Context.current();
    context.heartbeat();
    const timer = setInterval(() => context.heartbeat(), HEARTBEAT_INTERVAL_MS);
    try {
      return await activity(...args);
    } finally {
      clearInterval(timer);
    }
  };
}

/**
 * Heartbeats while waiting for `ready` (a namespace's pod cache filling after a worker
 * start, slow while kube-apiserver is down), so the wait is not mistaken for a dead
 * worker; after `limitMs` it fails retryably instead of waiting forever.
 */
export async function heartbeatWhileWaiting<T>(ready: Promise<T>, what: string, limitMs: number): Promise<T> {
  const context = Context.current();
  const timer = setInterval(() => context.heartbeat(), HEARTBEAT_INTERVAL_MS);
  let limit: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      ready,
      new Promise<never>((_, reject) => {
        limit = setTimeout(() => reject(new Error(`${what} not ready after ${limitMs / 1000} s: is kube-apiserver reachable? (retried)`)), limitMs);
      }),
    ]);
  } finally {
    clearInterval(timer);
    clearTimeout(limit);
  }
}
