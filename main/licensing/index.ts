export {
  StationKeys,
  KeyErrors,
  keysMigration,
  compressedPublicKey,
  keyFingerprint,
  parsePublicKey,
  publicKeyId,
  type SignatureDomain,
  type StationKey,
} from './keys';
export { StationService, type StationStatus } from './station';
export { ActivationService, ActivationErrors, type Activation, type OwnBatch } from './activation';
export {
  SeatLedger,
  LedgerErrors,
  RESERVATION_TTL_MS,
  fingerprintId,
  serialOf,
  thisHolder,
  type LedgerBatch,
  type LedgerEvent,
  type LedgerVerdict,
  type Reservation,
  type SeatCounts,
  type SeatRow,
  type SeatState,
  type DelegationRow,
} from './ledger';
export {
  armouredBlocks,
  parseRequest,
  encodeRequest,
  decodeReply,
  certificateText,
  compactToDer,
  type ActivationRequest,
  type Certificate,
} from './certificate';
export { encodeCode, decodeCode, CodeErrors } from './codes';
import type { ModuleSchema } from '../store';
import { keysMigration } from './keys';
import { ledgerMigration } from './ledger';

/** The licensing module's tables: station keys (v1); seat ledger, event chain and delegations (v2). */
export const licensingSchema: ModuleSchema = { module: 'licensing', migrations: [keysMigration, ledgerMigration] };
