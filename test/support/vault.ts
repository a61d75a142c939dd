import { SecretVault } from '../../main/secrets';

/** The passphrase test stations are sealed with (the host and CLI get it through EDGEFORGE_PASSPHRASE). */
export const TEST_PASSPHRASE = 'test station passphrase';

/** A passphrase vault in `dir`, unlocked (set up on first use). */
export function unlockedVault(dir: string): SecretVault {
  const v = new SecretVault(dir);
  v.unlock(TEST_PASSPHRASE);
  return v;
}
