/**
 * main/cluster/kubeconfig.ts: reading a k3s kubeconfig, pointing it at the
 * address the station reaches the server at, summing it up, and refusing
 * what cannot be used, each with a message naming what is wrong.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { AppError, ErrorCodes } from '../../main/api/errors';
import { serverVersion } from '../../main/cluster/kube';
import { KubeconfigErrors, kubeconfigInfo, parseKubeconfig, rewriteServer } from '../../main/cluster/kubeconfig';
import { startKubeStandIn, type KubeStandIn } from '../support/kube-stand-in';
import { tempDir } from '../support/tmp';

let s: KubeStandIn;
/** As k3s writes it on the box. */
let k3sYaml: string;

beforeAll(async () => {
  s = await startKubeStandIn();
  k3sYaml = s.kubeconfig('https://127.0.0.1:6443');
});
afterAll(async () => {
  await s?.close();
});

const b64 = (x: string) => Buffer.from(x).toString('base64');

function invalid(yaml: string, source?: string): AppError {
  try {
    parseKubeconfig(yaml, source);
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    const a = e as AppError;
    expect(a.code).toBe(KubeconfigErrors.KUBECONFIG_INVALID);
    expect(a.text.zh).toBeTruthy();
    expect(a.text.zh).not.toBe(a.text.en);
    return a;
  }
  throw new Error('expected KUBECONFIG_INVALID');
}

describe('parseKubeconfig', () => {
  it("loads k3s's kubeconfig: context, cluster and user 'default'", () => {
    const k = parseKubeconfig(k3sYaml);
    expect(k.context).toMatchObject({ name: 'default', cluster: 'default', user: 'default' });
    expect(k.cluster.server).toBe('https://127.0.0.1:6443');
    expect(k.config.getCurrentUser()?.name).toBe('default');
  });

  it('uses the only context when current-context is unset', () => {
    const k = parseKubeconfig(k3sYaml.replace('current-context: default\n', ''));
    expect(k.context.name).toBe('default');
  });

  const cases: [string, (y: string) => string, RegExp][] = [
    ['an empty file', () => '  \n', /is empty/],
    ['text that is not YAML', () => 'clusters: [\n  - a\n', /is not valid YAML \(line \d+\)/],
    ['a YAML list', () => '- a\n- b\n', /is not a YAML mapping/],
    ['another kind of document', (y) => y.replace('kind: Config', 'kind: Pod'), /is a "Pod", not a kubeconfig/],
    ['no clusters', (y) => y.replace(/^clusters:\n(- cluster:\n( {4}.*\n)+ {2}name: default\n)/m, 'clusters: []\n'), /has no clusters/],
    ['a cluster without a server', (y) => y.replace(/ {4}server: .*\n/, ''), /is incomplete: clusters\[0\]\.cluster\.server is missing/],
    [
      'a current-context that does not exist',
      (y) => y.replace('current-context: default', 'current-context: prod'),
      /current-context "prod", which is not among/,
    ],
    [
      'a context naming an unknown cluster',
      (y) => y.replace('    cluster: default', '    cluster: elsewhere'),
      /naming cluster "elsewhere", which it does not define/,
    ],
    ['a context naming an unknown user', (y) => y.replace('    user: default', '    user: nobody'), /naming user "nobody", which it does not define/],
    [
      'an http:// server',
      (y) => y.replace('https://127.0.0.1:6443', 'http://127.0.0.1:6443'),
      /the server "http:\/\/127\.0\.0\.1:6443", which is not an https:\/\/ URL/,
    ],
    [
      'a CA that is not a certificate',
      (y) => y.replace(/certificate-authority-data: .*/, `certificate-authority-data: ${b64('not a cert')}`),
      /certificate-authority-data for cluster "default" that is not a base64-encoded PEM certificate/,
    ],
    [
      'a client certificate without its key',
      (y) => y.replace(/ {4}client-key-data: .*\n/, ''),
      /gives user "default" a client-certificate-data but no client-key-data/,
    ],
    [
      'a client key that is not a key',
      (y) => y.replace(/client-key-data: .*/, `client-key-data: ${b64('-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n')}`),
      /client-key-data for user "default" that is not a base64-encoded PEM private key/,
    ],
    [
      'a reference to a file on the machine it came from',
      (y) => y.replace(/client-certificate-data: .*/, 'client-certificate: /var/lib/rancher/k3s/server/tls/client-admin.crt'),
      /refers to the file \/var\/lib\/rancher\/k3s\/server\/tls\/client-admin\.crt \(users\[0\]\.user\.client-certificate\).*kubectl config view --raw --flatten/,
    ],
    [
      'an exec plugin',
      (y) => y.replace(/ {4}client-certificate-data: .*\n {4}client-key-data: .*\n/, '    exec:\n      command: /bin/true\n'),
      /through an exec plugin, which EdgeForge does not run/,
    ],
  ];
  for (const [what, make, message] of cases) {
    it(`refuses ${what} with KUBECONFIG_INVALID saying so`, () => {
      const e = invalid(make(k3sYaml));
      expect(e.text.en).toMatch(message);
    });
  }

  it('refuses a client key of another certificate', async () => {
    const other = await startKubeStandIn();
    try {
      const e = invalid(k3sYaml.replace(b64(s.clientKeyPem), b64(other.clientKeyPem)));
      expect(e.text.en).toContain('a client-key-data that does not belong to its client-certificate-data');
    } finally {
      await other.close();
    }
  });

  it('refuses a token-file without reading it, and names the source in the message and as the file', () => {
    const dir = tempDir();
    const secret = path.join(dir, 'secret');
    fs.writeFileSync(secret, 'local-secret');
    fs.chmodSync(secret, 0o000); // reading it would fail with EACCES instead of the refusal (unless root)
    const yaml = k3sYaml.replace(/ {4}client-certificate-data: .*\n {4}client-key-data: .*\n/, `    token-file: ${secret}\n`);
    const e = invalid(yaml, 'from box1');
    expect(e.text.en).toMatch(/^The kubeconfig from box1 refers to the file .*secret \(users\[0\]\.user\.token-file\)/);
    expect(e.file).toBe('from box1');
  });
});

describe('rewriteServer', () => {
  it("points the current cluster at the station's address and leaves everything else as it was", () => {
    const commented = `# k3s kubeconfig, fetched by EdgeForge\n${k3sYaml}`;
    const out = rewriteServer(commented, 'https://10.77.0.20:6443/');
    expect(out.startsWith('# k3s kubeconfig, fetched by EdgeForge\n')).toBe(true);
    const before = parse(commented);
    const after = parse(out);
    expect(after.clusters[0].cluster.server).toBe('https://10.77.0.20:6443');
    after.clusters[0].cluster.server = before.clusters[0].cluster.server;
    expect(after).toEqual(before);
    // The long base64 values stay on one line each, as k3s writes them.
    expect(out.split('\n').filter((l) => l.includes('-data:'))).toHaveLength(3);
  });

  it('gives a kubeconfig the stand-in API server answers to through client-node', async () => {
    expect(await serverVersion(rewriteServer(k3sYaml, s.url))).toBe('v1.30.2+k3s1');
  });

  it('refuses an address that is not https://HOST:PORT with INPUT_INVALID on serverUrl', () => {
    for (const bad of ['10.77.0.20:6443', 'http://10.77.0.20:6443', 'https://user:pw@10.77.0.20:6443', 'https://10.77.0.20:6443/?x=1']) {
      let error: unknown;
      try {
        rewriteServer(k3sYaml, bad);
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe(ErrorCodes.INPUT_INVALID);
      expect((error as AppError).field).toEqual(['serverUrl']);
      expect((error as AppError).text.en).toContain(`"${bad}"`);
    }
  });

  it('refuses to rewrite a kubeconfig it cannot use', () => {
    expect(() => rewriteServer('kind: Pod\n', 'https://10.77.0.20:6443')).toThrow(AppError);
  });
});

describe('kubeconfigInfo', () => {
  it("reads the client certificate's expiry as openssl does, and the user, server and kind of auth", () => {
    const info = kubeconfigInfo(k3sYaml);
    const dir = tempDir();
    const leaf = path.join(dir, 'admin.crt');
    fs.writeFileSync(leaf, s.clientCertPem); // openssl x509 reads the first certificate, the leaf
    const notAfter = execFileSync('openssl', ['x509', '-in', leaf, '-noout', '-enddate'], { encoding: 'utf8' })
      .trim()
      .replace(/^notAfter=/, '');
    expect(info).toEqual({
      server: 'https://127.0.0.1:6443',
      user: 'default',
      authKind: 'client-cert',
      clientCertExpiresAt: new Date(notAfter).toISOString(),
      clientCertSubject: 'O=system:masters, CN=system:admin',
    });
    const inAYear = Date.now() + 365 * 24 * 3600 * 1000;
    expect(Math.abs(Date.parse(info.clientCertExpiresAt!) - inAYear)).toBeLessThan(24 * 3600 * 1000);
  });

  it('tells a token kubeconfig from a certificate one, with no expiry', () => {
    const yaml = k3sYaml.replace(/ {4}client-certificate-data: .*\n {4}client-key-data: .*\n/, `    token: ${s.token}\n`);
    expect(kubeconfigInfo(yaml)).toEqual({
      server: 'https://127.0.0.1:6443',
      user: 'default',
      authKind: 'token',
      clientCertExpiresAt: null,
      clientCertSubject: null,
    });
  });

  it("calls basic auth 'other'", () => {
    const yaml = k3sYaml.replace(/ {4}client-certificate-data: .*\n {4}client-key-data: .*\n/, '    username: admin\n    password: secret\n');
    expect(kubeconfigInfo(yaml).authKind).toBe('other');
  });
});
