/**
 * The headless host: serves the built renderer and the API (oRPC over
 * WebSocket at /api) on loopback, for tests, for a Linux station, or for a
 * colleague's browser.
 *
 * Every request must carry the per-run token: as ?token= on the first page
 * load (answered with an HttpOnly SameSite=Strict cookie and a redirect that
 * drops it from the address bar), or as that cookie afterwards.
 *   - missing or wrong token          -> 401
 *   - a foreign Origin or Host header -> 403 (also stops DNS rebinding)
 *
 * A window's output socket (/terminal-output) and output stream
 * (/terminal-output/stream), checked the same way, are handed over to the
 * native I/O process (HostOptions.terminalOutput).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { RPCHandler } from '@orpc/server/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { TERMINAL_OUTPUT_STREAM_PATH } from '../api/contract';
import { rpcHandlerOptions, type ErrorLogger } from '../api/rpc';
import type { AppRouter } from '../runtime';
import type { LocalizedText } from '../api/errors';
import { CONTENT_SECURITY_POLICY } from './csp';
import { rawRefusal, REASONS, refusalText, type RefusalStatus } from './refusal';

export interface HostOptions {
  router: AppRouter;
  /** Folder of the built renderer (index.html and assets/). */
  staticDir: string;
  /** Address to bind; loopback unless the user passed --listen. */
  listen?: string;
  /** 0 picks a free port. */
  port?: number;
  /** A fixed token, for tests; random per run otherwise. */
  token?: string;
  log?: ErrorLogger;
  /** Where PUT /upload/<name> stores a file a browser sends for import. */
  uploadDir?: string;
  /**
   * Windows' output sockets (/terminal-output) and output streams
   * (/terminal-output/stream), served by the native I/O process. `take`
   * gets a checked upgrade or GET with the request as read here, and its
   * socket; without it, or when it fails, a window reads its output through
   * /api. `closeAll` closes the native process's copies when the host
   * stops; the host destroys its own connections and waits for those.
   */
  terminalOutput?: {
    take(request: { method: string; url: string; headers: http.IncomingHttpHeaders; head: Buffer }, socket: Socket): Promise<void>;
    closeAll(): Promise<void>;
  };
}

export interface HostServer {
  url: string;
  /** The URL that carries the token: the one to open. */
  openUrl: string;
  port: number;
  listen: string;
  token: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopback(address: string): boolean {
  return LOOPBACK.has(address) || address.startsWith('127.');
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

function sameToken(given: string | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

function hostName(hostHeader: string): string {
  // "[::1]:8080" -> "::1", "127.0.0.1:8080" -> "127.0.0.1"
  if (hostHeader.startsWith('[')) return hostHeader.slice(1, hostHeader.indexOf(']'));
  return hostHeader.split(':')[0] ?? '';
}

export async function startHost(options: HostOptions): Promise<HostServer> {
  const listen = options.listen ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  const log = options.log ?? ((e: unknown) => console.error('[edgeforge]', e));
  const staticRoot = path.resolve(options.staticDir);
  const indexFile = path.join(staticRoot, 'index.html');
  if (!fs.existsSync(indexFile)) {
    throw new Error(`The renderer is not built (${indexFile} is missing). Run "npm run build" first.`);
  }

  let port = 0;
  const cookieName = () => `edgeforge_token_${port}`;

  type Verdict = { ok: true; via: 'query' | 'cookie' | 'header' } | { ok: false; status: 401 | 403; reason: LocalizedText };

  function check(req: http.IncomingMessage, url: URL): Verdict {
    const host = req.headers.host ?? '';
    // With a loopback bind, only loopback names may be in Host: a rebinding
    // page's Host would be its own domain.
    if (isLoopback(listen) && !isLoopback(hostName(host))) return { ok: false, status: 403, reason: REASONS.foreignHost };
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${host}`) return { ok: false, status: 403, reason: REASONS.foreignOrigin };
    if (req.headers['sec-fetch-site'] === 'cross-site') return { ok: false, status: 403, reason: REASONS.crossSite };
    if (sameToken(url.searchParams.get('token') ?? undefined, token)) return { ok: true, via: 'query' };
    if (sameToken(cookieValue(req.headers.cookie, cookieName()), token)) return { ok: true, via: 'cookie' };
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ') && sameToken(auth.slice(7), token)) return { ok: true, via: 'header' };
    return { ok: false, status: 401, reason: url.searchParams.has('token') || req.headers.cookie ? REASONS.wrongToken : REASONS.missingToken };
  }

  function deny(res: http.ServerResponse, status: RefusalStatus, reason: LocalizedText) {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end(refusalText(status, reason));
  }

  /**
   * A browser cannot hand the station a path, so a dropped file is streamed
   * here (to a temp name, then renamed) and imported from there. Only the
   * file's base name is kept, made safe.
   */
  function upload(req: http.IncomingMessage, res: http.ServerResponse, url: URL, dir: string): void {
    const reply = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    const raw = decodeURIComponent(url.pathname.slice('/upload/'.length));
    const name = path
      .basename(raw)
      .replace(/[^A-Za-z0-9._+-]/g, '_')
      .slice(0, 200);
    if (!name || name === '.' || name === '..') return reply(400, { error: 'UPLOAD_NAME_INVALID' });
    const dest = path.join(dir, `${randomBytes(6).toString('hex')}-${name}`);
    const tmp = `${dest}.partial`;
    const out = fs.createWriteStream(tmp, { flags: 'wx' });
    let failed = false;
    const fail = (e: NodeJS.ErrnoException) => {
      if (failed) return;
      failed = true;
      out.destroy();
      fs.rmSync(tmp, { force: true });
      if (!res.headersSent) reply(e.code === 'ENOSPC' ? 507 : 500, { error: e.code === 'ENOSPC' ? 'DISK_FULL' : 'UPLOAD_FAILED', message: e.message });
    };
    req.on('aborted', () => fail(Object.assign(new Error('the upload was interrupted'), { code: 'ECONNRESET' })));
    out.on('error', fail);
    req.on('error', fail);
    req.pipe(out).on('finish', () => {
      if (failed) return;
      fs.renameSync(tmp, dest);
      reply(201, { path: dest, bytes: fs.statSync(dest).size });
    });
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    const verdict = check(req, url);
    if (!verdict.ok) return deny(res, verdict.status, verdict.reason);
    if (req.method === 'PUT' && url.pathname.startsWith('/upload/') && options.uploadDir) return upload(req, res, url, options.uploadDir);
    if (url.pathname === TERMINAL_OUTPUT_STREAM_PATH && options.terminalOutput) {
      // Only a stream's own GET, with the id its socket gave, is worth handing over.
      if (req.method !== 'GET' || !/^[0-9a-f]{32}$/.test(url.searchParams.get('id') ?? '')) {
        if (req.method === 'GET') return deny(res, 404, REASONS.noStream);
        res.writeHead(405, { 'cache-control': 'no-store', allow: 'GET' });
        return res.end();
      }
      const request = { method: req.method, url: req.url ?? '/', headers: req.headers, head: Buffer.alloc(0) };
      options.terminalOutput.take(request, req.socket).catch((e: unknown) => {
        if (!closing) log(e);
        if (!res.headersSent && !req.socket.destroyed) {
          deny(res, 503, REASONS.streamNotTaken);
        }
      });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' });
      return res.end();
    }
    if (verdict.via === 'query') {
      // Trade the token in the address bar for a cookie, and drop it from history.
      url.searchParams.delete('token');
      res.writeHead(303, {
        location: url.pathname + (url.search || ''),
        'set-cookie': `${cookieName()}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
        'cache-control': 'no-store',
      });
      return res.end();
    }
    let file = path.resolve(staticRoot, '.' + decodeURIComponent(url.pathname));
    if (file !== staticRoot && !file.startsWith(staticRoot + path.sep)) return deny(res, 403, REASONS.outsideApp);
    if (!fs.existsSync(file) || fs.statSync(file).isDirectory()) file = indexFile;
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, {
      'content-type': type,
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': file === indexFile ? 'no-store' : 'max-age=3600',
    });
    if (req.method === 'HEAD') return res.end();
    fs.createReadStream(file).pipe(res);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  const handler = new RPCHandler(options.router, rpcHandlerOptions(log));
  const sockets = new Set<WebSocket>();
  /**
   * Every connection the server has accepted and this process still holds, upgraded or not (a socket handed to the
   * native process leaves once its copy is sent): close destroys these and waits for them.
   */
  const connections = new Set<Socket>();
  let closing = false;
  server.on('connection', (c: Socket) => {
    connections.add(c);
    c.once('close', () => connections.delete(c));
  });

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    const known = url.pathname === '/api' || (url.pathname === '/terminal-output' && options.terminalOutput);
    const verdict = known ? check(req, url) : ({ ok: false, status: 403, reason: REASONS.noEndpoint } as const);
    const refuse = (status: RefusalStatus, reason: LocalizedText) => socket.end(rawRefusal(status, reason));
    if (!verdict.ok) return refuse(verdict.status, verdict.reason);
    if (url.pathname === '/terminal-output') {
      const upgrade = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, head: Buffer.from(head) };
      options.terminalOutput!.take(upgrade, socket as Socket).catch((e: unknown) => {
        if (!closing) log(e);
        if (!socket.destroyed) refuse(503, REASONS.socketNotTaken);
      });
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      void handler.upgrade(ws, { context: {} });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, listen, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = listen.includes(':') ? `[${listen}]` : listen === '0.0.0.0' ? '127.0.0.1' : listen;
  const base = `http://${shownHost}:${port}`;

  return {
    url: `${base}/`,
    openUrl: `${base}/?token=${token}`,
    port,
    listen,
    token,
    close: async () => {
      // A hand-over still on its way fails once its socket is destroyed below: expected, not logged.
      closing = true;
      await options.terminalOutput?.closeAll().catch(log);
      for (const ws of sockets) ws.terminate();
      wss.close();
      // Every connection closed here and waited for, not server.close's callback: once the server has handed a socket
      // to another process, Node's close asks the processes it handed sockets to whether theirs are closed, and when
      // all of them have exited (the native process crashed and was started again) it waits for ever.
      const gone = [...connections].map((c) => new Promise<void>((resolve) => (c.destroyed ? resolve() : c.once('close', () => resolve()))));
      server.close();
      for (const c of connections) c.destroy();
      await Promise.all(gone);
    },
  };
}
