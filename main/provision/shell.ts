/**
 * One interface for a box's shell, whatever carries it: SSH (ssh2) or a
 * serial console (serialport). The probe, the installer run, activation and
 * the cluster join are written against this, so every step works over
 * either transport.
 */

export interface ExecOptions {
  /** Give up (and reject with SHELL_TIMEOUT) after this long. Default 120 s. */
  timeoutMs?: number;
  /** Written to the command's standard input, then closed. */
  stdin?: string | Buffer;
  signal?: AbortSignal;
  /** Each chunk of standard output as it arrives (for progress lines). */
  onStdout?: (chunk: string) => void;
}

export interface ExecResult {
  /** The command's exit status (a signal death is 128 + n, as sh reports it). */
  code: number;
  stdout: string;
  /** Empty on a serial console, where the two streams are one. */
  stderr: string;
}

export interface UploadOptions {
  signal?: AbortSignal;
  /**
   * Bytes on the box so far, and the file's size. The first call comes
   * before any byte moves and gives the starting offset: 0, or where a
   * resumed upload picks up.
   */
  onProgress?: (done: number, total: number) => void;
  /** The file's sha256 (hex) when the caller knows it already; computed otherwise. */
  sha256?: string;
}

export interface RemoteShell {
  readonly transport: 'ssh' | 'serial';
  /** For logs and the UI: root@10.0.0.5:22, /dev/ttyUSB0. */
  readonly label: string;
  /**
   * Runs a command with /bin/sh as the logged-in user (root, or through sudo
   * when the transport was opened with one). Resolves with its exit status
   * whatever it is; rejects only when the transport fails or times out.
   */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /**
   * Copies a local file to remotePath (its folder must exist). Resumes a
   * partial remote file from the last offset whose content matches, and
   * ends by comparing the remote sha256 with the local one.
   */
  upload(localFile: string, remotePath: string, options?: UploadOptions): Promise<void>;
  close(): Promise<void>;
}
