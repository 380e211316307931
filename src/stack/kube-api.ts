/**
 * Credentials (admin token, service-account key), the kubeconfig, and a minimal HTTPS
 * client for the few apiserver calls the stack itself makes (readiness, the fake node).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { APISERVER_URL, HOST, PORTS, type StatePaths } from './paths';

/** Creates the token, token file and SA key once; later runs reuse them so clients keep working. */
export function ensureCredentials(paths: StatePaths): void {
  fs.mkdirSync(paths.certDir, { recursive: true, mode: 0o700 });
  if (!fs.existsSync(paths.token)) {
    fs.writeFileSync(paths.token, randomBytes(32).toString('hex'), { mode: 0o600 });
  }
  const token = adminToken(paths);
  // Static token auth: one admin in system:masters, which RBAC lets do anything.
  fs.writeFileSync(paths.tokenAuthFile, `${token},admin,admin-uid,system:masters\n`, { mode: 0o600 });
  if (!fs.existsSync(paths.serviceAccountKey)) {
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    fs.writeFileSync(paths.serviceAccountKey, privateKey, { mode: 0o600 });
  }
}

export function adminToken(paths: StatePaths): string {
  return fs.readFileSync(paths.token, 'utf8').trim();
}

/** The apiserver writes a self-signed serving cert (plus its CA) into --cert-dir at first start. */
export function servingCertPath(paths: StatePaths): string {
  return path.join(paths.certDir, 'apiserver.crt');
}

function caBundle(paths: StatePaths): string | undefined {
  try {
    return fs.readFileSync(servingCertPath(paths), 'utf8');
  } catch {
    return undefined;
  }
}

export function writeKubeconfig(paths: StatePaths): void {
  const ca = caBundle(paths);
  if (ca === undefined) throw new Error(`no serving certificate in ${paths.certDir}; is kube-apiserver running?`);
  const cluster = 'kyuubi-pods-local';
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: cluster,
        cluster: { server: APISERVER_URL, 'certificate-authority-data': Buffer.from(ca).toString('base64') },
      },
    ],
    users: [{ name: 'admin', user: { token: adminToken(paths) } }],
    contexts: [{ name: cluster, context: { cluster, user: 'admin', namespace: 'default' } }],
    'current-context': cluster,
  };
  // JSON is valid YAML, and every kubeconfig reader accepts it.
  const tmp = `${paths.kubeconfig}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(kubeconfig, null, 2), { mode: 0o600 });
  fs.renameSync(tmp, paths.kubeconfig);
}

export interface KubeResponse {
  status: number;
  body: string;
}

export function kubeRequest(
  paths: StatePaths,
  method: string,
  urlPath: string,
  body?: unknown,
  timeoutMs = 5000,
  contentType = 'application/json',
): Promise<KubeResponse> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const ca = caBundle(paths);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: HOST,
        port: PORTS.apiserver,
        method,
        path: urlPath,
        ca,
        // Before the first start there is no cert to trust yet; loopback to our own server.
        rejectUnauthorized: ca !== undefined,
        headers: {
          authorization: `Bearer ${adminToken(paths)}`,
          accept: 'application/json',
          ...(payload === undefined ? {} : { 'content-type': contentType }),
        },
        timeout: timeoutMs,
        // No pooled keep-alive sockets: a CLI or Jest setup process must be free to exit.
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Plain HTTPS GET without verification, for components' own /healthz on loopback. */
export function insecureGet(port: number, urlPath: string): Promise<KubeResponse> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: HOST, port, path: urlPath, rejectUnauthorized: false, timeout: 3000, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${urlPath}: timed out`)));
    req.on('error', reject);
  });
}
