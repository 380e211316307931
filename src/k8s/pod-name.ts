/**
 * Driver pod names the way Kyuubi derives them (KubernetesUtils.generateDriverPodName), so a
 * pod we create is named as Kyuubi would have named it. Workflow-safe: pure string code.
 */

/**
 * Kyuubi budgets 253 chars minus the kubelet log directory. We cap at 63: the pod name is
 * also the pod's hostname, and the kubelet silently truncates hostnames to a 63-char DNS
 * label, so a longer name would give a driver whose hostname is not its pod name.
 */
export const MAX_ENGINE_POD_NAME = 63;

const PREFIX = 'kyuubi-';
const SUFFIX = '-driver';
/** Spark's default `spark.app.name`, which Kyuubi's SparkProcessBuilder also falls back to. */
const DEFAULT_APP_NAME = 'spark';

/** Spark's and Kyuubi's getResourceNamePrefix without its leading-digit rule, trailing dash removed. */
function sanitize(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-/, '')
    .replace(/-$/, '');
}

/** FNV-1a (32 bit): tiny, stable across runtimes, no crypto module needed. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

export function enginePodName(tag: string, appName: string = DEFAULT_APP_NAME): string {
  if (tag === '') throw new RangeError('engine tag is empty');
  const safeTag = sanitize(tag);
  // A tag with no name-safe character would vanish from the name: only the hash is left.
  if (safeTag !== '') {
    // Spark's rule for a name's first char; Kyuubi keeps it though `kyuubi-` comes first.
    const prefix = sanitize(appName.includes(tag) ? appName : `${appName}-${tag}`).replace(/^[0-9]/, 'x');
    const resolved = prefix.startsWith(PREFIX) ? `${prefix}${SUFFIX}` : `${PREFIX}${prefix}${SUFFIX}`;
    if (resolved.length <= MAX_ENGINE_POD_NAME) return resolved;
    const fallback = `${PREFIX}${safeTag}${SUFFIX}`;
    if (fallback.length <= MAX_ENGINE_POD_NAME) return fallback;
  }

  // The hash is of the raw tag, so tags sharing a long prefix still get distinct names.
  const hash = fnv1a(tag);
  const room = MAX_ENGINE_POD_NAME - PREFIX.length - SUFFIX.length - hash.length - 1;
  const head = safeTag.slice(0, room).replace(/-+$/, '');
  return `${PREFIX}${head ? `${head}-` : ''}${hash}${SUFFIX}`;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** What the API server checks for a pod's metadata.name (a DNS-1123 subdomain). */
export function isValidPodName(name: string): boolean {
  return name.length <= 253 && DNS1123_SUBDOMAIN.test(name);
}

export function isValidLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}
