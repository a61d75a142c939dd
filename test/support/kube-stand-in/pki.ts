/**
 * The stand-in's certificates, made with the system `openssl` as k3s makes
 * its own (ECDSA P-256): a server CA, a client CA, the serving certificate
 * and the admin client certificate; and a kubeconfig laid out like k3s's
 * /etc/rancher/k3s/k3s.yaml.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

// ---------------------------------------------------------------------------
// Certificates, made with the system openssl.

export interface Pki {
  caPem: string;
  clientCaPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  clientCertPem: string;
  clientKeyPem: string;
}

export async function makePki(sans: string[]): Promise<Pki> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-stand-in-pki-'));
  const at = (f: string) => path.join(dir, f);
  const openssl = (...args: string[]) => execFileP('openssl', args, { cwd: dir });
  const serial = () => `0x${randomBytes(8).toString('hex')}`;
  const now = Math.floor(Date.now() / 1000);
  try {
    // k3s's keys are SEC1 "EC PRIVATE KEY" P-256 keys.
    for (const k of ['server-ca', 'client-ca', 'serving', 'admin'])
      await openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', at(`${k}.key`));
    for (const [ca, cn] of [
      ['server-ca', `k3s-server-ca@${now}`],
      ['client-ca', `k3s-client-ca@${now}`],
    ] as const) {
      fs.writeFileSync(at(`${ca}.ext`), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature,keyEncipherment,keyCertSign\n');
      await openssl(
        'req',
        '-x509',
        '-new',
        '-key',
        at(`${ca}.key`),
        '-subj',
        `/CN=${cn}`,
        '-days',
        '3650',
        '-sha256',
        '-set_serial',
        serial(),
        '-out',
        at(`${ca}.crt`),
      );
    }
    const ipRe = /^[\d.]+$|:/;
    const altNames = [
      'kubernetes',
      'kubernetes.default',
      'kubernetes.default.svc',
      'kubernetes.default.svc.cluster.local',
      'localhost',
      '127.0.0.1',
      '::1',
      ...sans,
    ]
      .map((n) => (ipRe.test(n) ? `IP:${n}` : `DNS:${n}`))
      .join(',');
    const leaf = async (name: string, ca: string, subj: string, ext: string) => {
      fs.writeFileSync(at(`${name}.ext`), ext);
      await openssl('req', '-new', '-key', at(`${name}.key`), '-subj', subj, '-out', at(`${name}.csr`));
      await openssl(
        'x509',
        '-req',
        '-in',
        at(`${name}.csr`),
        '-CA',
        at(`${ca}.crt`),
        '-CAkey',
        at(`${ca}.key`),
        '-set_serial',
        serial(),
        '-days',
        '365',
        '-sha256',
        '-extfile',
        at(`${name}.ext`),
        '-out',
        at(`${name}.crt`),
      );
    };
    await leaf(
      'serving',
      'server-ca',
      '/O=k3s/CN=k3s',
      `keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${altNames}\n`,
    );
    await leaf('admin', 'client-ca', '/O=system:masters/CN=system:admin', 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
    const read = (f: string) => fs.readFileSync(at(f), 'utf8');
    return {
      caPem: read('server-ca.crt'),
      clientCaPem: read('client-ca.crt'),
      serverCertPem: read('serving.crt') + read('server-ca.crt'),
      serverKeyPem: read('serving.key'),
      // k3s's client-certificate-data carries the client CA after the admin certificate.
      clientCertPem: read('admin.crt') + read('client-ca.crt'),
      clientKeyPem: read('admin.key'),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function kubeconfigYaml(server: string, pki: Pki): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  // The layout and names of k3s's /etc/rancher/k3s/k3s.yaml.
  return `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: ${b64(pki.caPem)}
    server: ${server}
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
kind: Config
preferences: {}
users:
- name: default
  user:
    client-certificate-data: ${b64(pki.clientCertPem)}
    client-key-data: ${b64(pki.clientKeyPem)}
`;
}
