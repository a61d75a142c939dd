export { StationKeys, KeyErrors, keysMigration, type SignatureDomain, type StationKey } from './keys';
import type { ModuleSchema } from '../store';
import { keysMigration } from './keys';

/** The licensing module's tables: station keys (v1). Seats and activation come with the activation issue. */
export const licensingSchema: ModuleSchema = { module: 'licensing', migrations: [keysMigration] };
