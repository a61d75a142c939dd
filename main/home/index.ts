/**
 * Where EdgeForge keeps its data: the OS's per-user app-data folder, the same
 * one Electron's app.getPath('userData') gives for productName "EdgeForge", so
 * the desktop app, the headless host and the CLI all share one data directory.
 * EDGEFORGE_HOME overrides it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const PRODUCT_NAME = 'EdgeForge';

export function defaultHome(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, homedir: string = os.homedir()): string {
  if (env.EDGEFORGE_HOME && env.EDGEFORGE_HOME.trim() !== '') return path.resolve(env.EDGEFORGE_HOME);
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(homedir, 'AppData', 'Roaming'), PRODUCT_NAME);
  if (platform === 'darwin') return path.join(homedir, 'Library', 'Application Support', PRODUCT_NAME);
  const config = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(homedir, '.config');
  return path.join(config, PRODUCT_NAME);
}

export interface HomeLayout {
  root: string;
  database: string;
  backups: string;
  logs: string;
  /** The content-addressed blob store (artifacts). */
  blobs: string;
  /** Files a browser uploaded for import; removed once imported, and at each start. */
  uploads: string;
  /** Station signing keys (private keys, mode 0600). */
  keys: string;
  /** Bundles built when no output folder is given. */
  bundles: string;
  lockFile: string;
}

export function homeLayout(root: string): HomeLayout {
  return {
    root,
    database: path.join(root, 'edgeforge.db'),
    backups: path.join(root, 'backups'),
    logs: path.join(root, 'logs'),
    blobs: path.join(root, 'blobs'),
    uploads: path.join(root, 'uploads'),
    keys: path.join(root, 'keys'),
    bundles: path.join(root, 'bundles'),
    lockFile: path.join(root, 'edgeforge.lock'),
  };
}

export function ensureHome(root: string): HomeLayout {
  const layout = homeLayout(root);
  for (const dir of [layout.root, layout.backups, layout.logs, layout.uploads, layout.keys, layout.bundles])
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return layout;
}

export { acquireHomeLock, HOME_LOCKED, type HomeLock } from './lock';
