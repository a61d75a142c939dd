/**
 * Getting from "a serial line" to "a shell EdgeForge can drive": wake the
 * line, tell a login prompt, a password prompt and a shell apart (a shell by
 * its answer to a probe, never by what its prompt looks like), log in, then
 * start EdgeForge's own /bin/sh with echo off and a known prompt, so that
 * nothing later depends on the box's shell, prompt or echo.
 *
 * That inner shell carries EF_SESSION (and EF_LOGIN=1 when EdgeForge did the
 * login), so after a re-plugged adapter or an app restart EdgeForge finds its
 * own shell again instead of nesting another one.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SerialErrors, describeLine, serialError } from './errors';
import { TIMED_OUT, type SerialLine } from './line';
import { newNonce, probeAnswer, probeCommand } from './markers';

export interface LoginCredentials {
  username: string;
  password?: string;
}

export interface ShellFacts {
  sessionId: string;
  /** EdgeForge typed the password (so close() logs out again). */
  loggedInByUs: boolean;
  /** The shell was EdgeForge's already (a reconnect, or a session left by another run). */
  reused: boolean;
  uid: number;
  user: string;
  tools: { base64: boolean; sha256sum: boolean; rz: boolean };
}

export interface AttachOptions {
  log: (line: string) => void;
  signal?: AbortSignal;
  /** How long the box may stay silent before SERIAL_NO_RESPONSE. */
  responseTimeoutMs: number;
}

// Prompts are matched on the text's end only: a banner that mentions "login:" must not count.
export const LOGIN_PROMPT = /(?:^|[\r\n])[^\r\n]*login:[ \t]*$/i;
/** A login prompt answered by a line end alone: a getty that asked just as the wake-up line feed came took it for the name. */
const PROMPT_ANSWERED_EMPTY = /(?:^|[\r\n])[^\r\n]*login:[ \t]*\r*\n[\r\n]*$/i;
const PASSWORD_PROMPT = /password(?: for [^:]*)?:[ \t]*$/i;
const LOGIN_REFUSED = /login incorrect|authentication fail|permission denied|access denied|incorrect password/i;
/**
 * How long after the password prompt has settled the password is typed. PAM prints its prompt, then turns echo off with
 * TCSAFLUSH, which throws away input not read yet: a password typed in between is lost, and a slow box (a loaded VM) can
 * take several hundred ms between the two.
 */
const PASSWORD_PAUSE_MS = 700;
/** Silence after the password for this long means the console may have lost it (above): it is asked again once. */
const SILENT_AFTER_PASSWORD_MS = 10_000;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]/g;

function clean(text: string): string {
  return text.replace(ANSI, '');
}

/** Text that came back at the wrong baud rate is mostly bytes above 0x7e or control characters. */
function looksGarbled(text: string): boolean {
  if (text.length < 8) return false;
  const odd = text.replace(/[\x20-\x7e\r\n\t]/g, '').length;
  return odd / text.length > 0.3;
}

function lastLine(text: string): string {
  return (
    text
      .trimEnd()
      .split(/[\r\n]+/)
      .pop() ?? ''
  );
}

function tail(text: string): string {
  return clean(text)
    .replace(/[^\x20-\x7e\n]/g, '')
    .trim()
    .split('\n')
    .slice(-3)
    .join(' | ')
    .slice(-160);
}

/** Reaches a shell that answers probes. Returns whether EdgeForge typed the password. */
export async function reachShell(line: SerialLine, creds: LoginCredentials, o: AttachOptions): Promise<boolean> {
  const where = `${line.path} (${describeLine(line.settings)})`;
  const deadline = Date.now() + o.responseTimeoutMs + 30_000;
  // About seven waits pass before a silent line is declared dead.
  const beat = Math.min(3_000, Math.max(500, o.responseTimeoutMs / 7));
  let lastSeen = '';
  // A console that echoed the password (typed before echo went off) must not put it in a log or a message.
  const masked = (t: string) => (creds.password ? t.split(creds.password).join('****') : t);
  let everHeard = false;
  let sentUser = false;
  let sentPassword = false;
  let passwordAt = 0;
  /** A line feed was sent into the silence after the password (an empty password, if the console lost ours). */
  let nudged = false;
  let retried = false;
  let silences = 0;
  const loginAgain = () => {
    o.log(`${line.path}: the console seems to have lost the password; logging in again`);
    retried = true;
    nudged = false;
    sentUser = false;
    sentPassword = false;
    // The second name's echo alone may again be login's failure delay.
    awaitedAfterName = false;
  };
  // After an empty answer to a stale password prompt, login waits (FAIL_DELAY, 3 s on Debian) before it asks again.
  let longWait = false;
  /** A refusal with no prompt after it was seen before the password, and the next login prompt waited for once. */
  let awaitedPrompt = false;
  /** A prompt answered by the wake-up line feed alone was seen, and what login says next waited for once. */
  let awaitedEmptyAnswer = false;
  /** Only the name's echo came back after it, and what login says next waited for once (again after loginAgain). */
  let awaitedAfterName = false;
  let blankAnswers = 0;
  const probeNonces: string[] = [];
  const answered = (text: string) => probeNonces.some((n) => probeAnswer(text, n) !== undefined);

  line.take();
  await line.write('\n');
  for (;;) {
    if (Date.now() > deadline)
      throw serialError(
        SerialErrors.SERIAL_NO_SHELL,
        `${where} answers, but EdgeForge could not reach a shell prompt on it. Last seen: "${tail(masked(lastSeen))}". Open the port in the terminal to see what the box shows.`,
        `${where} 有响应，但 EdgeForge 无法进入 shell。最后收到：“${tail(masked(lastSeen))}”。请在终端中打开该串口查看设备显示的内容。`,
        { file: line.path },
      );
    // After an echo alone, login may be in its failure delay (an empty user name): a probe typed now would be read as the next user name.
    const afterEcho = blankAnswers > 0 && silences === 0 && !sentUser;
    const text = await line.settle(longWait || afterEcho ? 6_000 : sentPassword ? 1_500 : beat, 400, 10_000, o.signal);
    longWait = false;
    if (text.trim()) {
      everHeard = true;
      if (text !== lastSeen) o.log(`${line.path}: saw "${tail(masked(text))}"`);
      lastSeen = text;
    }
    const c = clean(text);
    if (answered(text)) {
      line.take();
      return sentPassword;
    }
    if (sentPassword && (LOGIN_REFUSED.test(c) || LOGIN_PROMPT.test(c))) {
      if (!nudged || retried) {
        o.log(`${line.path}: the login was refused`);
        throw loginFailed(where, creds.username);
      }
      // Refused after the empty line sent into the silence: our password was most likely lost, not wrong. Once more.
      loginAgain();
      if (!LOGIN_PROMPT.test(c)) {
        // Login asks again after its failure delay: nothing is typed before that (what came is kept: the prompt may be in it).
        longWait = true;
        continue;
      }
    }
    // After the name, only a refusal on the last line counts: a shell reached without a password may print "Permission denied" above its prompt.
    const refusal = sentUser ? lastLine(c) : c;
    if (!sentPassword && !awaitedPrompt && LOGIN_REFUSED.test(refusal) && !LOGIN_PROMPT.test(c) && !PASSWORD_PROMPT.test(c)) {
      // Login refused the wake-up line feed as an empty name (or the name we typed during its failure delay, when it was
      // thrown away) and exited; the next prompt comes from a getty started again, which may take a while. A probe typed
      // before it would be read as the next user name: wait for it (what came is kept, so the prompt is seen with it).
      o.log(`${line.path}: refused with no login prompt after it; waiting for the next one`);
      awaitedPrompt = true;
      longWait = true;
      continue;
    }
    if (!sentUser && !awaitedEmptyAnswer && PROMPT_ANSWERED_EMPTY.test(c)) {
      // The prompt came just before the wake-up line feed, which answered it: an empty name. Login asks again at once (getty)
      // or after its failure delay; a probe typed meanwhile would be read as the next name. Wait for the prompt.
      o.log(`${line.path}: the wake-up line feed answered a login prompt; waiting for the next one`);
      awaitedEmptyAnswer = true;
      longWait = true;
      continue;
    }
    if (LOGIN_PROMPT.test(c)) {
      o.log(`${line.path}: login prompt; logging in as ${creds.username}`);
      line.take();
      await line.write(`${creds.username}\n`);
      sentUser = true;
      continue;
    }
    if (PASSWORD_PROMPT.test(c)) {
      line.take();
      if (!sentUser) {
        // Someone left a password prompt half done: an empty answer brings back the login prompt.
        o.log(`${line.path}: a password prompt was waiting; answering it empty to get a fresh login prompt`);
        await line.write('\n');
        longWait = true;
        continue;
      }
      if (creds.password === undefined)
        throw serialError(
          SerialErrors.SERIAL_PASSWORD_REQUIRED,
          `${where} asks for ${creds.username}'s password. Enter the password for this box.`,
          `${where} 要求输入 ${creds.username} 的密码。请填写该设备的密码。`,
          { file: line.path, field: ['credentials', 'password'] },
        );
      await sleep(PASSWORD_PAUSE_MS);
      await line.write(`${creds.password}\n`);
      sentPassword = true;
      passwordAt = Date.now();
      continue;
    }
    // Only the password's own echo (typed before PAM turned echo off) is no answer either.
    const silent = !(creds.password ? c.split(creds.password).join('') : c).trim();
    if (sentPassword && silent && !nudged) {
      // Nothing after the password: login may still be checking it (slow PAM, a long motd), or the console lost it. A probe
      // typed now would become the password; wait, then send an empty line, which a shell ignores and login refuses.
      if (Date.now() - passwordAt < SILENT_AFTER_PASSWORD_MS) continue;
      o.log(`${line.path}: no answer ${SILENT_AFTER_PASSWORD_MS / 1000} s after the password; sending an empty line`);
      nudged = true;
      line.take();
      await line.write('\n');
      longWait = true;
      continue;
    }
    if (sentUser && !sentPassword && !awaitedAfterName && !c.split(creds.username).join('').trim()) {
      // Only the name's echo, or nothing: login may be in the failure delay of an empty name (the wake-up line feed, read
      // at a prompt printed just as it came) with ours waiting behind it, or slow to ask for the password. A probe typed
      // now would become the password: wait for what login says.
      awaitedAfterName = true;
      longWait = true;
      continue;
    }
    if (text && !text.trim() && blankAnswers < 2) {
      // Only a line feed back (a getty echoing, login printing its newline): something may follow, e.g. "Login incorrect" after its delay.
      blankAnswers++;
      line.take();
      continue;
    }
    if (!text.trim()) {
      silences++;
      if (silences > 3 && !everHeard)
        throw serialError(
          SerialErrors.SERIAL_NO_RESPONSE,
          `Nothing answered on ${line.path} at ${describeLine(line.settings)}. Check that the cable goes to the box's console port (a null-modem cable for a DB9 console), that the box is on, and that its console runs at this baud rate.`,
          `${line.path} 在 ${describeLine(line.settings)} 下无任何响应。请检查线缆是否接在设备的控制台口（DB9 控制台需用交叉线）、设备是否已开机、其控制台是否使用该波特率。`,
          { file: line.path },
        );
      // A program may hold the console (a pager, a hung command): interrupt it on the second silence.
      if (silences === 2 && !sentPassword) await line.write('\x03\n');
    } else if (looksGarbled(c) && !sentUser) {
      throw serialError(
        SerialErrors.SERIAL_NO_SHELL,
        `What comes back on ${line.path} is garbled: the line settings (${describeLine(line.settings)}) probably do not match the box's console. Try 115200 8N1 or 9600 8N1, or the rate in the box's manual.`,
        `${line.path} 收到的内容是乱码：线路参数（${describeLine(line.settings)}）可能与设备控制台不一致。请尝试 115200 8N1 或 9600 8N1，或设备手册中的速率。`,
        { file: line.path },
      );
    }

    // Silence, or not a prompt we know: maybe a shell (any prompt shape, or none), maybe boot messages. Ask.
    const nonce = newNonce();
    probeNonces.push(nonce);
    await line.write(probeCommand(nonce));
    const r = await line.wait(
      () => {
        const t = line.peek();
        if (answered(t)) return 'shell' as const;
        if (sentPassword && LOGIN_REFUSED.test(clean(t))) return 'refused' as const;
        return undefined;
      },
      sentPassword ? 6_000 : beat,
      o.signal,
    );
    if (r === 'refused') {
      if (!nudged || retried) throw loginFailed(where, creds.username);
      loginAgain();
      longWait = true;
      continue;
    }
    if (r === 'shell') {
      line.take();
      return sentPassword;
    }
  }
}

function loginFailed(where: string, user: string) {
  return serialError(
    SerialErrors.SERIAL_LOGIN_FAILED,
    `${where} refused the login for ${user}: check the user name and password (the box's console may also lock the account after several failures).`,
    `${where} 拒绝了 ${user} 的登录：请检查用户名和密码（多次失败后设备控制台可能锁定该账户）。`,
    { field: ['credentials', 'password'] },
  );
}

async function ask(line: SerialLine, words: string[], timeoutMs: number, signal?: AbortSignal): Promise<string[] | undefined> {
  const nonce = newNonce();
  line.take();
  await line.write(probeCommand(nonce, words));
  const r = await line.wait(() => probeAnswer(line.peek(), nonce), timeoutMs, signal);
  line.take();
  return r === TIMED_OUT ? undefined : r;
}

/**
 * From any shell to EdgeForge's own /bin/sh: echo off (stty is the tty's, so
 * the inner shell inherits it), a fixed prompt, no history, no line editing.
 */
export async function prepareShell(line: SerialLine, loggedInByUs: boolean, o: AttachOptions): Promise<ShellFacts> {
  const fail = (what: string) =>
    serialError(
      SerialErrors.SERIAL_NO_SHELL,
      `EdgeForge could not set up its shell on ${line.path} (${what}). The box's /bin/sh may be missing or broken.`,
      `EdgeForge 无法在 ${line.path} 上建立其 shell（${what}）。设备的 /bin/sh 可能缺失或损坏。`,
      { file: line.path },
    );
  let reused = false;
  let sessionId = '';
  // A shell that is not POSIX (csh) fails this probe, which is fine: it is not ours then.
  const existing = await ask(line, ['"$EF_SESSION"', '"$EF_LOGIN"'], 3_000, o.signal);
  if (existing?.[0]) {
    sessionId = existing[0];
    loggedInByUs = existing[1] === '1';
    reused = true;
    o.log(`${line.path}: found EdgeForge's shell ${sessionId} still running`);
    await line.write('stty -echo\n');
  } else {
    sessionId = newNonce();
    const ps1 = `ef-${sessionId.slice(0, 6)}$ `;
    // `env` rather than VAR=value so that csh and fish start it too.
    await line.write(`stty -echo; env EF_SESSION=${sessionId} EF_LOGIN=${loggedInByUs ? 1 : 0} PS1='${ps1}' PS2='' ENV=/dev/null HISTFILE=/dev/null /bin/sh\n`);
    // Each on its own line: dash drops the rest of a line after a failing special builtin.
    await line.write(`PS1='${ps1}'; PS2=''; unset HISTFILE PROMPT_COMMAND\n`);
    await line.write('set +o emacs 2>/dev/null\n');
    await line.write('set +o vi 2>/dev/null\n');
  }
  const facts = await ask(
    line,
    ['"$EF_SESSION"', '"$(id -u)"', '"$(id -un)"', '"$(command -v base64)"', '"$(command -v sha256sum)"', '"$(command -v rz)"'],
    10_000,
    o.signal,
  );
  if (!facts || facts[0] !== sessionId) throw fail(facts ? `the shell reports session "${facts[0]}"` : 'no answer from /bin/sh');
  const [, uid, user, base64, sha256sum, rz] = facts;
  const result: ShellFacts = {
    sessionId,
    loggedInByUs,
    reused,
    uid: Number(uid),
    user: user ?? '',
    tools: { base64: Boolean(base64), sha256sum: Boolean(sha256sum), rz: Boolean(rz) },
  };
  if (!result.tools.base64)
    throw serialError(
      SerialErrors.SERIAL_TOOL_MISSING,
      `The box on ${line.path} has no base64 command, which EdgeForge needs to send commands over serial. Install coreutils (or a BusyBox with base64) on the box.`,
      `${line.path} 上的设备没有 base64 命令，EdgeForge 需要它通过串口发送命令。请在设备上安装 coreutils（或带 base64 的 BusyBox）。`,
      { file: line.path },
    );
  return result;
}
