import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { startHostProcess } from '../support/host';
import { cliPath, tempDir } from '../support/tmp';

function cli(home: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [cliPath, ...args], {
    env: { ...process.env, EDGEFORGE_HOME: home, EDGEFORGE_LANG: 'en', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('edgeforge CLI', () => {
  it('doctor checks the data directory, the database, the native modules and tools', () => {
    const home = tempDir();
    const r = cli(home, ['doctor', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { ok: boolean; checks: { id: string; status: string }[] };
    expect(report.ok).toBe(true);
    const ids = report.checks.map((c) => c.id);
    expect(ids).toEqual(expect.arrayContaining(['data-dir', 'database', 'native-node-pty', 'native-serialport', 'native-ssh2', 'tool-tar']));
    expect(report.checks.find((c) => c.id === 'native-node-pty')?.status).toBe('ok');
  });

  it('doctor speaks Chinese when the locale is Chinese', () => {
    const r = cli(tempDir(), ['doctor'], { EDGEFORGE_LANG: 'zh_CN.UTF-8' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('数据目录');
  });

  it('hashes a file as a job, matching sha256sum, and lists it afterwards', () => {
    const home = tempDir();
    const file = path.join(tempDir(), 'data.bin');
    fs.writeFileSync(file, Buffer.from('EdgeForge\n'.repeat(100_000)));
    const expected = execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0];
    const r = cli(home, ['jobs', 'hash', file]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`${expected}  ${file}`);
    const list = JSON.parse(cli(home, ['jobs', 'list', '--json']).stdout) as { id: string; state: string; result: { sha256: string } }[];
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ state: 'succeeded', result: { sha256: expected } });
    const show = cli(home, ['jobs', 'show', list[0]!.id]);
    expect(show.stdout).toContain('Succeeded');
  });

  it('exits 5 for a missing file and 2 for bad usage', () => {
    const home = tempDir();
    const missing = cli(home, ['jobs', 'hash', path.join(home, 'nope.bin'), '--json']);
    expect(missing.code).toBe(5);
    expect(JSON.parse(missing.stdout).error.code).toBe('FILE_NOT_FOUND');
    expect(cli(home, ['jobs', 'hash', '/x', '--rate', 'fast']).code).toBe(2);
    expect(cli(home, ['no-such-command']).code).toBe(2);
    expect(cli(home, ['serve', '--port', '70000']).code).toBe(2);
  });

  it('backs up the database into a verified copy', () => {
    const home = tempDir();
    const out = path.join(tempDir(), 'b', 'copy.db');
    const r = cli(home, ['backup', '--out', out, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ path: out, integrity: 'ok' });
    const db = new Database(out, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('exits 3 when another EdgeForge owns the data directory', async () => {
    const home = tempDir();
    const host = await startHostProcess(home);
    try {
      const file = path.join(home, 'x.bin');
      fs.writeFileSync(file, 'x');
      const r = cli(home, ['jobs', 'hash', file]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/HOME_LOCKED: EdgeForge is already running/);
      // Read-only commands still work beside the running host.
      expect(cli(home, ['jobs', 'list']).code).toBe(0);
    } finally {
      await host.stop();
    }
  });

  it('exits 4 and leaves the file alone when the database is from a newer version', () => {
    const home = tempDir();
    expect(cli(home, ['doctor']).code).toBe(0);
    const dbFile = path.join(home, 'edgeforge.db');
    const db = new Database(dbFile);
    db.prepare("INSERT INTO store_migrations VALUES ('jobs', 99, 'from the future', '2030-01-01')").run();
    db.pragma('journal_mode = DELETE');
    db.close();
    const before = fs.readFileSync(dbFile);
    const r = cli(home, ['jobs', 'list']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('DB_NEWER_VERSION');
    expect(fs.readFileSync(dbFile).equals(before)).toBe(true);
  });
});
