/**
 * SSH_HOSTKEY_CHANGED names both fingerprints ("it was SHA256:… (type), it
 * is now SHA256:… (type)", main/provision/ssh.ts): the recorded one first,
 * the one the host presents now last.
 */
const FINGERPRINT = /SHA256:[A-Za-z0-9+/]{43}/g;
export const FINGERPRINT_RULE = /^SHA256:[A-Za-z0-9+/]{43}$/;

export function changedFingerprints(message: string): { recorded: string | null; presented: string | null } {
  const all = message.match(FINGERPRINT) ?? [];
  return { recorded: all.length > 1 ? all[0]! : null, presented: all.length > 0 ? all[all.length - 1]! : null };
}
