import type { ModuleSchema } from '../store';
import { batchesMigration } from './batches';

export { BatchService, BatchErrors, serialNumber, type BatchLicense } from './batches';
export { BundleService, BUNDLE_BUILD_KIND, type BuiltBundle } from './service';
export { BundleErrors, BUNDLE_FORMAT, planBundle, manifestJson, type BundlePlan } from './plan';

/** The bundles module's tables: batches and the bundles built for them (v1). */
export const bundlesSchema: ModuleSchema = { module: 'bundles', migrations: [batchesMigration] };
