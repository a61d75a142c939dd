import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireHomeLock, defaultHome, HOME_LOCKED } from '../../main/home';
import { tempDir } from '../support/tmp';

describe('data directory', () => {
  it("follows the OS's per-user app-data folder, and EDGEFORGE_HOME overrides it", () => {
    expect(defaultHome({}, 'linux', '/home/ana')).toBe('/home/ana/.config/EdgeForge');
    expect(defaultHome({ XDG_CONFIG_HOME: '/cfg' }, 'linux', '/home/ana')).toBe('/cfg/EdgeForge');
    expect(defaultHome({}, 'darwin', '/Users/ana')).toBe('/Users/ana/Library/Application Support/EdgeForge');
    expect(defaultHome({ APPDATA: 'C:\\Users\\ana\\AppData\\Roaming' }, 'win32', 'C:\\Users\\ana')).toBe(
      path.join('C:\\Users\\ana\\AppData\\Roaming', 'EdgeForge'),
    );
    expect(defaultHome({ EDGEFORGE_HOME: '/data/ef' }, 'linux', '/home/ana')).toBe('/data/ef');
  });

  it('lets one owner hold the directory, and takes over a stale lock', () => {
    const dir = tempDir();
    const lockFile = path.join(dir, 'edgeforge.lock');
    const held = acquireHomeLock(lockFile, dir);
    expect(fs.readFileSync(lockFile, 'utf8')).toBe(String(process.pid));
    held.release();
    expect(fs.existsSync(lockFile)).toBe(false);
    fs.writeFileSync(lockFile, '999999999');
    const again = acquireHomeLock(lockFile, dir);
    again.release();
  });

  it('refuses a second owner while the first is alive', () => {
    const dir = tempDir();
    const lockFile = path.join(dir, 'edgeforge.lock');
    fs.writeFileSync(lockFile, String(process.ppid));
    expect(() => acquireHomeLock(lockFile, dir)).toThrow(expect.objectContaining({ code: HOME_LOCKED }));
  });
});
