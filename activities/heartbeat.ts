/**
 * Heartbeats while an activity works or waits, so a worker SIGKILLed mid-call is noticed
 * within the workflow's heartbeatTimeout instead of only at startToClose (minutes for
 * recovery), and a long wait is not mistaken for a dead worker.
 */
import { Context } from '@temporalio/activity';

const HEARTBEAT_INTERVAL_MS = 5_000;

async function heartbeatUntil<T>(work: Promise<T>): Promise<T> {
  const context = Context.current();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), HEARTBEAT_INTERVAL_MS);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

/** The activity, heartbeating for as long as it runs. */
export function heartbeating<A extends unknown[], R>(activity: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return (...args: A) => heartbeatUntil(activity(...args));
}

/**
 * Heartbeats while waiting for `ready` (a namespace's pod cache filling after a worker
 * start, slow while kube-apiserver is down); after `limitMs` it fails retryably instead
 * of waiting forever.
 */
export async function heartbeatWhileWaiting<T>(ready: Promise<T>, what: string, limitMs: number): Promise<T> {
  let limit: NodeJS.Timeout | undefined;
  const givingUp = new Promise<never>((_, reject) => {
    limit = setTimeout(() => reject(new Error(`${what} not ready after ${limitMs / 1000} s: is kube-apiserver reachable? (retried)`)), limitMs);
  });
  try {
    return await heartbeatUntil(Promise.race([ready, givingUp]));
  } finally {
    clearTimeout(limit);
  }
}
