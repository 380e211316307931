export async function noop(): Promise<void> {
  // Nothing: the baseline measures Temporal's own cost of an activity round trip.
}
