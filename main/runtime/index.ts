/**
 * The composition root: opens the data directory and the store, builds the
 * services and the router. The Electron shell, the headless host and the CLI
 * all start here, so they run the same services.
 */
import path from 'node:path';
import { builtPaths } from './paths';
import { ArtifactService, artifactsSchema } from '../artifacts';
import { BatchService, BundleService, bundlesSchema } from '../bundles';
import { AppService, CatalogDocuments, ComboService, ModelService, catalogSchema } from '../catalog';
import { hashFileJob } from '../diagnostics';
import { acquireHomeLock, ensureHome, type HomeLayout, type HomeLock } from '../home';
import { JobService, jobsSchema } from '../jobs';
import { ClusterService, ClusterStore, ConsoleService, clusterSchema } from '../cluster';
import { ActivationService, SeatLedger, StationKeys, StationService, licensingSchema } from '../licensing';
import type { NativeHost } from '../native';
import { FlashService, KnownHosts, provisionSchema } from '../provision';
import { SecretVault, type OsKeychain } from '../secrets';
import { SettingsService, settingsSchema } from '../settings';
import { Store, type ModuleSchema } from '../store';
import { SystemService, type SystemServiceOptions } from '../system';
import { TerminalService } from '../terminal';
import { createRouter, type AppRouter, type Services } from './router';

export { createRouter, type AppRouter, type Services } from './router';

/** Every module's schema, in dependency order. */
export const schemas: ModuleSchema[] = [
  settingsSchema,
  jobsSchema,
  artifactsSchema,
  catalogSchema,
  licensingSchema,
  bundlesSchema,
  clusterSchema,
  provisionSchema,
];

export interface RuntimeOptions extends SystemServiceOptions {
  home: string;
  native: NativeHost;
  /**
   * 'owner' takes the data directory's lock, recovers interrupted jobs and
   * may run jobs. 'reader' (CLI look-ups) does neither.
   */
  mode: 'owner' | 'reader';
  jobConcurrency?: number;
  /** The app's resources/ folder (the box-side installer); the repository's when omitted. */
  resourcesDir?: string;
  /** Electron safeStorage, in the desktop app; secrets are sealed with a passphrase without it. */
  keychain?: OsKeychain;
  /** Unlocks a passphrase vault at start (EDGEFORGE_PASSPHRASE). */
  passphrase?: string;
}

export interface Runtime extends Services {
  layout: HomeLayout;
  store: Store;
  native: NativeHost;
  router: AppRouter;
  /** How many jobs were found unfinished at start and marked interrupted. */
  recovered: number;
  close(): Promise<void>;
}

export function openRuntime(options: RuntimeOptions): Runtime {
  const layout = ensureHome(options.home);
  const lock: HomeLock | null = options.mode === 'owner' ? acquireHomeLock(layout.lockFile, layout.root) : null;
  let store: Store;
  try {
    store = Store.open(layout.database, schemas);
  } catch (e) {
    lock?.release();
    throw e;
  }
  const jobs = new JobService(store.db, { concurrency: options.jobConcurrency ?? 2 });
  jobs.register(hashFileJob);
  const artifacts = new ArtifactService(store.db, layout.blobs, jobs, layout.uploads);
  if (options.mode === 'owner') artifacts.recover();
  const settings = new SettingsService(store.db);
  const system = new SystemService(layout, store, options.native, options);
  const models = new ModelService(store.db, artifacts);
  const apps = new AppService(store.db, artifacts);
  const combos = new ComboService(store.db, models, apps, artifacts);
  const catalog = new CatalogDocuments(store.db, models, apps, combos, artifacts);
  const vault = new SecretVault(layout.keys, options.keychain);
  const passphrase = options.passphrase ?? process.env.EDGEFORGE_PASSPHRASE;
  if (passphrase && vault.state().method === 'passphrase') {
    try {
      vault.unlock(passphrase);
    } catch (e) {
      store.close();
      lock?.release();
      throw e;
    }
  }
  const keys = new StationKeys(store.db, layout.keys, vault);
  const station = new StationService(vault, keys);
  station.ensureKey();
  const ledger = new SeatLedger(store.db);
  // Reservations left by processes that died (kill -9, power loss) are released first.
  ledger.recover();
  const activation = new ActivationService(ledger, keys);
  const batches = new BatchService(store.db, combos, models, keys, activation);
  batches.registerAll();
  const installerFile = path.join(options.resourcesDir ?? path.join(builtPaths.appRoot, 'resources'), 'installer', 'install.sh');
  const bundles = new BundleService({ batches, combos, models, apps, artifacts, keys, installerFile }, jobs, layout.bundles);
  const clusterStore = new ClusterStore(store.db, vault);
  const clusters = new ClusterService(clusterStore);
  const clusterConsole = new ConsoleService({ clusters, jobs, apps, artifacts });
  const knownHosts = new KnownHosts(store.db);
  const flash = new FlashService({ db: store.db, jobs, vault, knownHosts, batches, combos, models, activation, clusters: clusterStore, settings });
  const terminal = new TerminalService({ native: options.native, knownHosts, flash, clusters });
  // Every job kind is registered now: unfinished jobs are marked interrupted, or queued again when they resume by themselves (flashing).
  const recovered = options.mode === 'owner' ? jobs.recoverInterrupted() : 0;
  const services: Services = {
    activation,
    apps,
    artifacts,
    batches,
    bundles,
    catalog,
    clusters,
    clusterConsole,
    combos,
    flash,
    jobs,
    keys,
    knownHosts,
    models,
    settings,
    station,
    system,
    terminal,
    vault,
  };
  if (options.mode === 'owner') jobs.resumeQueued();
  let closed = false;
  return {
    ...services,
    layout,
    store,
    native: options.native,
    router: createRouter(services),
    recovered,
    async close() {
      if (closed) return;
      closed = true;
      if (options.mode === 'owner') await jobs.shutdown();
      await terminal.closeAll();
      await clusters.close();
      options.native.dispose();
      store.close();
      lock?.release();
    },
  };
}
