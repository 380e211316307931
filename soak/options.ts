/**
 * The soak's knobs, from flags or SOAK_* variables, over a preset: `short` (about 3 min)
 * or `full` (300 lifecycles, about 12 min). Validated with messages naming the flag.
 */
import { Command, Option } from 'commander';
import { z } from 'zod';
import { durationSchema } from '../src/contract/schemas';

export interface SoakOptions {
  preset: 'short' | 'full';
  lifecycles: number;
  launchWindowMs: number;
  /** The worker is SIGKILLed this long after it starts polling: [min, max]. */
  killEveryMs: [number, number];
  apiserverDownMs: number;
  /** When the apiserver goes down, as a fraction of the launch window. */
  apiserverAt: number;
  temporalDownMs: number;
  temporalAt: number;
  /** After the launch window: how long every engine has to close. */
  drainTimeoutMs: number;
  namespaces: number;
  seed: number;
  keepStack: boolean;
}

export const PRESETS = {
  short: { lifecycles: 60, launchWindow: '80s', drainTimeout: '2m' },
  full: { lifecycles: 300, launchWindow: '9m', drainTimeout: '4m' },
} as const;

const fraction = z.coerce.number().min(0, 'must be from 0 to 1').max(1, 'must be from 0 to 1');
const range = z.string().transform((text, ctx) => {
  const parts = text.split('-');
  try {
    if (parts.length !== 2) throw new Error('give two durations joined by "-", e.g. 5s-15s');
    const [min, max] = parts.map((part) => durationSchema.parse(part)) as [number, number];
    if (min > max || max <= 0) throw new Error('the first must not exceed the second, and the second must be above 0');
    return [min, max] as [number, number];
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: error instanceof z.ZodError ? error.issues.map((i) => i.message).join('; ') : (error as Error).message });
    return z.NEVER;
  }
});

const schema = z.object({
  preset: z.enum(['short', 'full']).default('full'),
  lifecycles: z.coerce.number().int().min(1).max(5000).optional(),
  launchWindow: durationSchema.optional(),
  killEvery: range.default([5_000, 15_000]),
  apiserverDown: durationSchema.default(30_000),
  apiserverAt: fraction.default(0.3),
  temporalDown: durationSchema.default(5_000),
  temporalAt: fraction.default(0.65),
  drainTimeout: durationSchema.optional(),
  namespaces: z.coerce.number().int().min(1).max(20).default(3),
  seed: z.coerce.number().int().min(0).optional(),
  keepStack: z.boolean().default(false),
});

const FLAGS: Record<string, string> = {
  preset: '--preset', lifecycles: '--lifecycles', launchWindow: '--launch-window', killEvery: '--kill-every',
  apiserverDown: '--apiserver-down', apiserverAt: '--apiserver-at', temporalDown: '--temporal-down',
  temporalAt: '--temporal-at', drainTimeout: '--drain-timeout', namespaces: '--namespaces', seed: '--seed', keepStack: '--keep-stack',
};

export function soakCommand(): Command {
  const option = (flags: string, description: string, env: string) => new Option(flags, description).env(env);
  return new Command('soak')
    .description('crash soak on a stack of its own: engine lifecycles while the worker, Temporal and the apiserver die')
    .addOption(option('--preset <name>', 'short (~3 min) or full (300 lifecycles, ~12 min); default full', 'SOAK_PRESET'))
    .addOption(option('--lifecycles <n>', 'engines to launch (short 60, full 300)', 'SOAK_LIFECYCLES'))
    .addOption(option('--launch-window <duration>', 'launches spread over this (short 80s, full 9m)', 'SOAK_LAUNCH_WINDOW'))
    .addOption(option('--kill-every <min-max>', 'SIGKILL the worker this long after it polls (default 5s-15s)', 'SOAK_KILL_EVERY'))
    .addOption(option('--apiserver-down <duration>', 'kube-apiserver outage (default 30s)', 'SOAK_APISERVER_DOWN'))
    .addOption(option('--apiserver-at <fraction>', 'outage start, fraction of the launch window (default 0.3)', 'SOAK_APISERVER_AT'))
    .addOption(option('--temporal-down <duration>', 'Temporal dev server down this long (default 5s)', 'SOAK_TEMPORAL_DOWN'))
    .addOption(option('--temporal-at <fraction>', 'Temporal restart, fraction of the launch window (default 0.65)', 'SOAK_TEMPORAL_AT'))
    .addOption(option('--drain-timeout <duration>', 'after the window, time for every engine to close (short 2m, full 4m)', 'SOAK_DRAIN_TIMEOUT'))
    .addOption(option('--namespaces <n>', 'Kubernetes namespaces to spread engines over (default 3)', 'SOAK_NAMESPACES'))
    .addOption(option('--seed <n>', 'seed of the plan and the kill timings (default random, printed)', 'SOAK_SEED'))
    .addOption(new Option('--keep-stack', 'leave the soak stack running at the end (to inspect it)').env('SOAK_KEEP_STACK'))
    .addHelpText('after', '\nThe stack: KPL_STACK_PORT_OFFSET (default 14000) and KPL_STACK_DIR (default <tmp>/kyuubi-pods-soak-stack).');
}

/** Flags (as commander parsed them) to options; throws naming the flag that is wrong. */
export function soakOptions(raw: Record<string, unknown>, randomSeed: () => number): SoakOptions {
  const parsed = schema.safeParse({ ...raw, keepStack: raw.keepStack === undefined ? undefined : Boolean(raw.keepStack) });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      return `${FLAGS[key] ?? key}: ${issue.message}`;
    });
    throw new Error(`Invalid soak options:\n${lines.join('\n')}`);
  }
  const o = parsed.data;
  const preset = PRESETS[o.preset];
  return {
    preset: o.preset,
    lifecycles: o.lifecycles ?? preset.lifecycles,
    launchWindowMs: o.launchWindow ?? durationSchema.parse(preset.launchWindow),
    killEveryMs: o.killEvery,
    apiserverDownMs: o.apiserverDown,
    apiserverAt: o.apiserverAt,
    temporalDownMs: o.temporalDown,
    temporalAt: o.temporalAt,
    drainTimeoutMs: o.drainTimeout ?? durationSchema.parse(preset.drainTimeout),
    namespaces: o.namespaces,
    seed: o.seed ?? randomSeed(),
    keepStack: o.keepStack,
  };
}
