/**
 * One owner per data directory. The Electron app and the headless host run
 * jobs and recover interrupted ones at start; two of them on one directory
 * would mark each other's running jobs interrupted. The lock is a file made
 * with O_EXCL holding the owner's pid; a lock whose pid is gone is stale.
 */
import fs from 'node:fs';
import { AppError } from '../api/errors';

export const HOME_LOCKED = 'HOME_LOCKED';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface HomeLock {
  release(): void;
}

export function acquireHomeLock(lockFile: string, home: string): HomeLock {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx', mode: 0o600 });
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          try {
            if (fs.readFileSync(lockFile, 'utf8').trim() === String(process.pid)) fs.unlinkSync(lockFile);
          } catch {
            /* already gone */
          }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number.parseInt(fs.readFileSync(lockFile, 'utf8').trim(), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new AppError(
          HOME_LOCKED,
          {
            en: `EdgeForge is already running on the data directory ${home} (process ${pid}). Close it first, or use another EDGEFORGE_HOME.`,
            zh: `EdgeForge 已在数据目录 ${home} 上运行（进程 ${pid}）。请先关闭它，或使用其他 EDGEFORGE_HOME。`,
          },
          { file: lockFile },
        );
      }
      fs.rmSync(lockFile, { force: true });
    }
  }
  throw new AppError(
    HOME_LOCKED,
    {
      en: `Could not take the lock ${lockFile}.`,
      zh: `无法获取锁文件 ${lockFile}。`,
    },
    { file: lockFile },
  );
}
