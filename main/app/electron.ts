/**
 * The Electron shell: one window, the API over a MessagePort, native I/O in a
 * utility process. The only module tree that imports 'electron'.
 */
import path from 'node:path';
import { BrowserWindow, app, dialog, ipcMain, safeStorage, session, shell } from 'electron';
import { RPCHandler } from '@orpc/server/message-port';
import { rpcHandlerOptions } from '../api/rpc';
import { AppError } from '../api/errors';
import { defaultHome } from '../home';
import { NativeHost } from '../native';
import { openRuntime, type Runtime } from '../runtime';
import { builtPaths } from '../runtime/paths';
import { APP_VERSION } from '../runtime/version';
import { installMenu } from './menu';
import { utilityProcessChannel } from './native-utility';
import { registerAppScheme, serveRenderer } from './protocol';
import { APP_ENTRY, isAppUrl, lockDownContents, lockDownSession } from './security';

/** The channel the preload forwards the renderer's API port on. */
export const API_PORT_CHANNEL = 'edgeforge:api-port';

const home = defaultHome();
app.setPath('userData', home);
registerAppScheme();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let window: BrowserWindow | null = null;
  let runtime: Runtime | null = null;

  app.on('second-instance', () => {
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });

  app.on('web-contents-created', (_event, contents) => lockDownContents(contents));

  app.whenReady().then(async () => {
    try {
      runtime = openRuntime({
        home,
        native: new NativeHost('utility-process', utilityProcessChannel(builtPaths.nativeWorker)),
        mode: 'owner',
        version: APP_VERSION,
        shell: 'electron',
        osLocale: app.getLocale(),
        reveal: (file) => shell.showItemInFolder(file),
        // Secrets (station keys) are sealed by the OS keychain; without one (Linux with no secret service) the passphrase vault is used.
        keychain: {
          available: () => safeStorage.isEncryptionAvailable() && safeStorage.getSelectedStorageBackend?.() !== 'basic_text',
          encrypt: (plain) => safeStorage.encryptString(plain.toString('base64')),
          decrypt: (sealed) => Buffer.from(safeStorage.decryptString(sealed), 'base64'),
        },
        // Packaged: electron-builder's extraResources; unpackaged: the repository's resources/.
        ...(app.isPackaged ? { resourcesDir: path.join(process.resourcesPath, 'resources') } : {}),
      });
    } catch (e) {
      const text = e instanceof AppError ? (app.getLocale().startsWith('zh') ? e.text.zh : e.text.en) : String(e);
      dialog.showErrorBox('EdgeForge', text);
      app.exit(1);
      return;
    }
    void runtime.native.start().catch(() => undefined);

    lockDownSession(session.defaultSession);
    serveRenderer(builtPaths.renderer);
    installMenu(home);

    const handler = new RPCHandler(
      runtime.router,
      rpcHandlerOptions((e) => console.error('[edgeforge]', e)),
    );
    ipcMain.on(API_PORT_CHANNEL, (event) => {
      const [port] = event.ports;
      // Only the app's own frame may open an API port.
      if (!port || !isAppUrl(event.senderFrame?.url)) {
        port?.close();
        return;
      }
      handler.upgrade(port, { context: {} });
      port.start();
    });

    window = new BrowserWindow({
      width: 1360,
      height: 860,
      minWidth: 960,
      minHeight: 600,
      title: 'EdgeForge',
      show: false,
      webPreferences: {
        preload: builtPaths.preload,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
        spellcheck: false,
      },
    });
    window.once('ready-to-show', () => window?.show());
    window.on('closed', () => (window = null));
    await window.loadURL(APP_ENTRY);
  });

  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting || !runtime) return;
    event.preventDefault();
    quitting = true;
    void runtime.close().finally(() => app.quit());
  });

  app.on('window-all-closed', () => app.quit());
}
