import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BackupResult, DoctorReport, NativeHealth, SystemInfo } from '../api/contract';
import { AppError } from '../api/errors';
import type { HomeLayout } from '../home';
import type { NativeHost } from '../native';
import type { Store } from '../store';
import { runDoctor } from './doctor';

export { findOnPath } from './doctor';

export interface SystemServiceOptions {
  version: string;
  shell: SystemInfo['shell'];
  osLocale: string;
  /** Shows a file in the OS file manager; only the desktop app can. */
  reveal?: (file: string) => void;
}

export class SystemService {
  constructor(
    private readonly home: HomeLayout,
    private readonly store: Store,
    private readonly native: NativeHost,
    private readonly options: SystemServiceOptions,
  ) {}

  info(): SystemInfo {
    return {
      version: this.options.version,
      home: this.home.root,
      databasePath: this.home.database,
      schema: this.store.versions(),
      shell: this.options.shell,
      osLocale: this.options.osLocale,
      platform: process.platform,
      arch: os.arch(),
      node: process.versions.node,
    };
  }

  doctor(): Promise<DoctorReport> {
    return runDoctor(this.home, this.store, this.native);
  }

  nativeHealth(): Promise<NativeHealth> {
    return this.native.health();
  }

  async backup(destination?: string): Promise<BackupResult> {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    // A relative destination is taken inside the backups folder, never the server's cwd.
    const dest = !destination
      ? path.join(this.home.backups, `edgeforge-${stamp}.db`)
      : path.isAbsolute(destination)
        ? destination
        : path.join(this.home.backups, destination);
    const r = await this.store.backup(dest);
    return { ...r, integrity: 'ok' };
  }

  /** Shows an existing file in the file manager, where the shell can. */
  reveal(file: string): { shown: boolean } {
    if (!fs.existsSync(file)) {
      throw new AppError('FILE_NOT_FOUND', { en: `No file exists at ${file}.`, zh: `${file} 处没有文件。` }, { field: ['path'], file });
    }
    if (!this.options.reveal) return { shown: false };
    this.options.reveal(file);
    return { shown: true };
  }
}
