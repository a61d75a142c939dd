/**
 * The preload: hands the renderer's API port to the main process, and says
 * that IPC is the transport, and gives the path of a file dropped on the
 * window (the station's own file, so it is imported in place rather than
 * uploaded). It exposes nothing else: the renderer never gets Node or
 * ipcRenderer.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';

const API_PORT_CHANNEL = 'edgeforge:api-port';
const CONNECT_MESSAGE = 'edgeforge:connect';

window.addEventListener('message', (event) => {
  if (event.source !== window || event.data !== CONNECT_MESSAGE) return;
  const [port] = event.ports;
  if (port) ipcRenderer.postMessage(API_PORT_CHANNEL, null, [port]);
});

contextBridge.exposeInMainWorld('edgeforgeShell', {
  transport: 'ipc',
  connectMessage: CONNECT_MESSAGE,
  pathForFile: (file: File) => webUtils.getPathForFile(file),
});
