import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ORPCError } from '@orpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { connectClient, startHostProcess, type RunningHost } from '../support/host';
import { tempDir } from '../support/tmp';

function get(
  port: number,
  pathAndQuery: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathAndQuery, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
}

function wsStatus(port: number, query: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api${query}`, { headers });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => undefined);
  });
}

async function expectApiError(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ORPCError);
    return (
      e as ORPCError<
        string,
        {
          code: string;
          message: { en: string; zh: string };
          field?: unknown[];
          fields?: { path: unknown[]; issue: string; message: { en: string; zh: string } }[];
        }
      >
    ).data!;
  }
  throw new Error('expected the call to fail');
}

describe('headless host', () => {
  let host: RunningHost;
  let home: string;

  beforeAll(async () => {
    home = path.join(tempDir(), 'home');
    host = await startHostProcess(home);
  });
  afterAll(async () => {
    await host?.stop();
  });

  it('binds to loopback and prints a URL that carries the token', () => {
    expect(host.openUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{20,}$/);
  });

  it('rejects a page request without a token, or with a wrong one, with 401, and says why in both languages', async () => {
    const missing = await get(host.port, '/');
    expect(missing.status).toBe(401);
    expect(missing.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(missing.body).toBe(
      '401 Unauthorized: missing token. Open the URL that EdgeForge printed at start (it carries ?token=...).\n' +
        '401 未授权：缺少令牌。请打开 EdgeForge 启动时打印的地址（带有 ?token=...）。\n',
    );
    const wrong = await get(host.port, '/?token=wrong');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('wrong token');
    expect(wrong.body).toContain('令牌不正确');
    expect((await get(host.port, '/assets/x.js', { cookie: `edgeforge_token_${host.port}=nope` })).status).toBe(401);
  });

  it('trades the token for an HttpOnly cookie, then serves the app with a strict CSP', async () => {
    const first = await get(host.port, `/?token=${host.token}`);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/');
    const cookie = String(first.headers['set-cookie']).split(';')[0]!;
    expect(String(first.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
    const page = await get(host.port, '/', { cookie });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<div id="root">');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toMatch(/https?:/);
  });

  it('rejects a foreign Origin and a foreign Host with 403, even with the token', async () => {
    expect((await get(host.port, `/?token=${host.token}`, { origin: 'http://evil.example' })).status).toBe(403);
    const foreignHost = await get(host.port, `/?token=${host.token}`, { host: 'evil.example' });
    expect(foreignHost.status).toBe(403);
    expect(foreignHost.body).toBe('403 Forbidden: foreign Host header.\n403 禁止访问：Host 请求头不是本机名称。\n');
    expect(await wsStatus(host.port, `?token=${host.token}`, { origin: 'http://evil.example' })).toBe(403);
    expect(await wsStatus(host.port, `?token=${host.token}`, { origin: `http://127.0.0.1:${host.port}` })).toBe(101);
  });

  it('rejects a WebSocket without a token or with a wrong one with 401', async () => {
    const body = await new Promise<string>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api`);
      ws.once('unexpected-response', (_req, res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve(text));
      });
      ws.once('error', () => undefined);
    });
    expect(body).toMatch(/^401 Unauthorized: missing token\. .*\n401 未授权：缺少令牌。/);
    expect(await wsStatus(host.port, '')).toBe(401);
    expect(await wsStatus(host.port, '?token=wrong')).toBe(401);
    expect(await wsStatus(host.port, '', { authorization: 'Bearer wrong' })).toBe(401);
  });

  it('answers bad input with INPUT_INVALID and the path of the offending field, in both languages', async () => {
    const { client, ws } = await connectClient(host);
    try {
      const a = await expectApiError(client.settings.update({ theme: 'purple' as never }));
      expect(a.code).toBe('INPUT_INVALID');
      expect(a.fields?.[0]?.path).toEqual(['theme']);
      expect(a.fields?.[0]?.message.en).toMatch(/expected one of/i);
      expect(a.fields?.[0]?.message.zh).toMatch(/[\u4e00-\u9fff]/);

      const b = await expectApiError(client.jobs.list({ limit: 0 }));
      expect(b.code).toBe('INPUT_INVALID');
      expect(b.fields?.[0]).toMatchObject({ path: ['limit'], issue: 'too_small' });

      const c = await expectApiError(client.diagnostics.hashFile({ path: '   ' }));
      expect(c.fields?.[0]?.path).toEqual(['path']);

      const d = await expectApiError(client.jobs.get({ id: 'job_../../etc' }));
      expect(d.fields?.[0]?.path).toEqual(['id']);

      const h = await expectApiError(
        client.apps.createContainer({
          name: 'vision-gateway',
          workload: 'Deployment',
          containers: [{ name: 'api', imageArtifactId: 'art_0123456789abcdef0123', ports: [{ containerPort: 70000 }] }],
        } as never),
      );
      expect(h.fields?.[0]).toMatchObject({ path: ['containers', 0, 'ports', 0, 'containerPort'], issue: 'too_big' });

      // A rule the service checks gets its own code, and the field it is about.
      const e = await expectApiError(client.diagnostics.hashFile({ path: 'relative/file.bin' }));
      expect(e.code).toBe('PATH_NOT_ABSOLUTE');
      expect(e.field).toEqual(['path']);
      const f = await expectApiError(client.diagnostics.hashFile({ path: path.join(home, 'no-such-file') }));
      expect(f.code).toBe('FILE_NOT_FOUND');
      const g = await expectApiError(client.diagnostics.hashFile({ path: home }));
      expect(g.code).toBe('NOT_A_FILE');
      // Nothing was queued by any of those.
      expect(await client.jobs.list({})).toEqual([]);
    } finally {
      ws.close();
    }
  });

  it('runs the diagnostic job over the API and streams its events', async () => {
    const file = path.join(home, 'sample.bin');
    const data = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    fs.writeFileSync(file, data);
    const { client, ws } = await connectClient(host);
    try {
      const controller = new AbortController();
      const events = await client.jobs.events(undefined, { signal: controller.signal });
      const job = await client.diagnostics.hashFile({ path: file });
      expect(job.state).toMatch(/queued|running/);
      const seen: string[] = [];
      for await (const ev of events) {
        if (ev.type === 'job' && ev.job.id === job.id) {
          seen.push(ev.job.state);
          if (ev.job.state === 'succeeded') {
            expect(ev.job.bytesDone).toBe(data.length);
            expect(ev.job.result).toEqual({ sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length });
            break;
          }
          expect(ev.job.state).not.toBe('failed');
        }
      }
      controller.abort();
      expect(seen).toContain('running');
      const logs = await client.jobs.logs({ id: job.id });
      expect(logs.map((l) => l.message)).toContain('Succeeded');
    } finally {
      ws.close();
    }
  });

  it('takes an upload only with the token and from its own origin, into the uploads folder', async () => {
    const put = (headers: Record<string, string>, body = 'payload') =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(
          { host: '127.0.0.1', port: host.port, path: '/upload/my%20image.tar', method: 'PUT', headers: { 'content-length': String(body.length), ...headers } },
          (res) => {
            let b = '';
            res.on('data', (d: Buffer) => (b += d.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    expect((await put({})).status).toBe(401);
    expect((await put({ authorization: `Bearer ${host.token}`, origin: 'http://evil.example' })).status).toBe(403);
    const ok = await put({ authorization: `Bearer ${host.token}`, origin: `http://127.0.0.1:${host.port}` });
    expect(ok.status).toBe(201);
    const { path: stored } = JSON.parse(ok.body) as { path: string };
    expect(path.dirname(stored)).toBe(path.join(home, 'uploads'));
    expect(path.basename(stored)).toMatch(/^[0-9a-f]{12}-my_image\.tar$/);
    expect(fs.readFileSync(stored, 'utf8')).toBe('payload');
  });

  it('shuts down cleanly on SIGTERM and releases the data directory', async () => {
    const code = await host.stop('SIGTERM');
    expect(code).toBe(0);
    expect(fs.existsSync(path.join(home, 'edgeforge.lock'))).toBe(false);
  });
});

describe('headless host options', () => {
  it('warns when told to --listen on a non-loopback address', async () => {
    const host = await startHostProcess(path.join(tempDir(), 'home'), ['--listen', '0.0.0.0']);
    try {
      expect(host.stderr()).toMatch(/WARNING: listening on 0\.0\.0\.0|警告/);
    } finally {
      const code = await host.stop('SIGINT');
      expect(code, host.stderr() + String(host.child.signalCode)).toBe(0);
    }
  });
});
