/**
 * The JVM client (clients/java) as Kyuubi would run it: a fat jar, built with Maven when it
 * is missing or older than its sources or the schema/ files it bundles.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { runProcess, type CliRun } from './cli';
import { ROOT } from './env';

const PROJECT = path.join(ROOT, 'clients/java');
export const JAR = path.join(PROJECT, 'target/kyuubi-pod-lifecycle-client.jar');

/** The JVM caller is part of what we ship: without a JDK and Maven its tests fail, never skip. */
export function requireJavaTools(): void {
  const missing = ['java', 'mvn'].find((tool) => spawnSync(tool, ['-version'], { stdio: 'ignore' }).error !== undefined);
  if (missing) throw new Error(`${missing} is not on PATH: the Java client tests need a JDK 17+ and Maven (README "Set up on a fresh machine")`);
}

function newestMtime(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
    const full = path.join(dir, entry.name);
    return Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }, 0);
}

export function jarIsStale(): boolean {
  if (!existsSync(JAR)) return true;
  const sources = Math.max(newestMtime(path.join(PROJECT, 'src')), statSync(path.join(PROJECT, 'pom.xml')).mtimeMs, newestMtime(path.join(ROOT, 'schema')));
  return statSync(JAR).mtimeMs < sources;
}

/** Builds the jar if needed; the first build downloads the SDK from Maven Central. */
export async function ensureJar(timeoutMs: number): Promise<void> {
  if (!jarIsStale()) return;
  const build = await runProcess('mvn', ['-q', '-f', path.join(PROJECT, 'pom.xml'), '-DskipTests', 'package'], {}, timeoutMs);
  if (build.code !== 0) throw new Error(`mvn package failed (exit ${build.code}):\n${build.stdout}\n${build.stderr}`);
}

export function runJar(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<CliRun> {
  return runProcess('java', ['-jar', JAR, ...args], env, timeoutMs);
}
