/**
 * The renderer's one way to EdgeForge: the typed API client. In Electron it
 * speaks over a MessagePort handed to the main process by the preload; in a
 * browser it speaks over the headless host's WebSocket (the token travels in
 * the HttpOnly cookie the host set). Types only come from the contract.
 */
import { createORPCClient } from '@orpc/client';
import { RPCLink as PortLink } from '@orpc/client/message-port';
import { RPCLink as WebSocketLink } from '@orpc/client/websocket';
import type { ContractRouterClient } from '@orpc/contract';
import type { ApiContract } from '../../../main/api/contract';

export type ApiClient = ContractRouterClient<ApiContract>;

interface ShellBridge {
  transport: 'ipc';
  connectMessage: string;
  /** The station path of a dropped file (Electron only). */
  pathForFile?: (file: File) => string;
}

declare global {
  interface Window {
    edgeforgeShell?: ShellBridge;
  }
}

export interface Connection {
  client: ApiClient;
  transport: 'ipc' | 'websocket';
  /** Called once if the connection is lost. */
  onLost(listener: () => void): void;
}

/** A new API port: its other end goes to Electron's main process through the preload. */
function openPort(shell: ShellBridge): MessagePort {
  const { port1, port2 } = new MessageChannel();
  window.postMessage(shell.connectMessage, window.location.origin === 'null' ? '*' : window.location.origin, [port2]);
  return port1;
}

function apiUrl(): string {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${window.location.host}/api`;
}

export function connect(): Connection {
  const lost = new Set<() => void>();
  const fire = () => lost.forEach((l) => l());
  const shell = window.edgeforgeShell;
  if (shell?.transport === 'ipc') {
    const port = openPort(shell);
    port.start();
    return { client: createORPCClient(new PortLink({ port })), transport: 'ipc', onLost: (l) => lost.add(l) };
  }
  const ws = new WebSocket(apiUrl());
  ws.addEventListener('close', fire);
  return { client: createORPCClient(new WebSocketLink({ websocket: ws })), transport: 'websocket', onLost: (l) => lost.add(l) };
}

/**
 * The Terminal's output connection, for its worker to open on its own
 * thread (terminal/output-worker.ts): in a browser, the headless host's
 * output socket, served by the native I/O process (the host's cookie goes
 * with a worker's socket too); in Electron, a second API port to the main
 * process, whose terminal.attach relays the output.
 */
export function outputConnection(): { port?: MessagePort; url?: string } {
  const shell = window.edgeforgeShell;
  if (shell?.transport === 'ipc') return { port: openPort(shell) };
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  return { url: `${scheme}://${window.location.host}/terminal-output` };
}

/**
 * Uploads a dropped file to the headless host (PUT /upload/<name>), for a
 * browser that cannot give the station a path. Resolves the station path.
 */
export function uploadFile(file: File, onProgress: (loaded: number, total: number) => void, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', `/upload/${encodeURIComponent(file.name)}`);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.total || file.size);
    xhr.onload = () => {
      if (xhr.status === 201) resolve((JSON.parse(xhr.responseText) as { path: string }).path);
      else reject(new Error((JSON.parse(xhr.responseText || '{}') as { error?: string }).error ?? `HTTP ${xhr.status}`));
    };
    xhr.onerror = () => reject(new Error('UPLOAD_FAILED'));
    xhr.onabort = () => reject(new DOMException('cancelled', 'AbortError'));
    signal.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}
