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
