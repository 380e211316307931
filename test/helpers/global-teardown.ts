import { stackDown } from '../../src/stack';

/** Stops the stack only when the tests started it; a developer's running stack stays up. */
export default async function globalTeardown(): Promise<void> {
  if (process.env.KPL_STACK_STARTED_BY_TESTS && !process.env.KPL_KEEP_STACK) await stackDown();
}
