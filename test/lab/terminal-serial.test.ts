/**
 * The Terminal's serial console on a QEMU lab box, in Chromium: the New
 * session dialog opens the box's ttyS0 (QEMU's pty), the box's own agetty
 * and login answer, the technician logs in as root by typing, and a command
 * runs. Nothing between the keyboard and the box is simulated: the headless
 * host, its native I/O process with serialport, xterm, the box's getty.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { appInBrowser, shot } from '../support/browser';
import { chooseInDialog, newSessionDialog, openNewSession } from '../support/terminal-dialog';
import { Lab, ROOT_PASSWORD, type Box } from './lab';

describe('serial console to a lab box in the browser', { timeout: 600_000 }, () => {
  let lab: Lab;
  let box: Box;
  const s = appInBrowser();

  beforeAll(async () => {
    lab = await Lab.create(inject('labImage'));
    box = await lab.start({ name: 'consolebox' });
    await box.waitReady(180_000);
  }, 240_000);

  afterAll(async () => {
    await lab?.dispose();
  });

  const activeView = () => s.page.locator('[data-testid^="terminal-view-"][data-active="true"]');
  const screen = async () =>
    (await activeView().locator('.xterm-rows > div, .xterm-accessibility-tree > div').allTextContents())
      .map((l) => l.replace(/\u00a0/g, ' ').trimEnd())
      .join('\n');
  const waitFor = (re: RegExp, timeout = 30_000) => expect.poll(screen, { timeout }).toMatch(re);
  const type = async (text: string) => {
    await activeView().locator('.xterm-helper-textarea').focus();
    await s.page.keyboard.type(text, { delay: 20 });
    await s.page.keyboard.press('Enter');
  };

  it('opens ttyS0 from the New session dialog, logs in at the box’s own login prompt, and runs a command', async () => {
    await s.page.getByTestId('nav-terminal').click();
    await openNewSession(s.page);
    const dialog = newSessionDialog(s.page);
    await chooseInDialog(s.page, 'Serial console');
    // Listing ports fails without udev: the dialog offers the path to type.
    const manual = dialog.getByTestId('terminal-serial-manual');
    await expect.poll(async () => (await manual.count()) + (await dialog.getByTestId('terminal-serial-path').count())).toBeGreaterThan(0);
    if (await manual.count()) await manual.click();
    await dialog.getByTestId('terminal-serial-path').fill(box.serialPaths[0]);
    await dialog.getByTestId('terminal-serial-path').press('Enter');
    await dialog.waitFor({ state: 'detached' });
    // The tab shows the path at once, and the line settings when the native worker has opened the port.
    await expect.poll(() => activeView().getByTestId('terminal-status-target').textContent()).toBe(`${box.serialPaths[0]} 115200 8N1`);

    // Enter wakes the console: agetty shows its login prompt.
    await type('');
    await waitFor(/consolebox login: *$/m);
    await type('root');
    await waitFor(/Password: *$/m);
    await type(ROOT_PASSWORD);
    // As a user would, wait for the shell: login flushes what was typed ahead on the tty (in CI the first character was lost).
    await waitFor(/^root@consolebox:~# *$/m, 60_000);
    await type('echo logged-in-as-$(id -un)-on-$(hostname)');
    await waitFor(/^logged-in-as-root-on-consolebox$/m, 60_000);
    // The password was typed with echo off: it is nowhere on the screen.
    expect(await screen()).not.toContain(ROOT_PASSWORD);
    await s.page.screenshot({ path: shot('terminal-lab-serial-login-en') });

    await type('exit');
    await waitFor(/consolebox login: *$/m);
    await activeView().getByTestId('terminal-free-port').click();
  });
});
