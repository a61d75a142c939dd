/**
 * The one router: the contract bound to the services. Both transports serve
 * exactly this object.
 */
import { EventEmitter, on } from 'node:events';
import { implement } from '@orpc/server';
import { contract, type JobEvent } from '../api/contract';
import { HASH_FILE_KIND } from '../diagnostics';
import type { ArtifactService } from '../artifacts';
import type { BatchService, BundleService } from '../bundles';
import type { StationKeys } from '../licensing';
import type { AppService, CatalogDocuments, ComboService, ModelService } from '../catalog';
import type { JobService } from '../jobs';
import type { SettingsService } from '../settings';
import type { SystemService } from '../system';

export interface Services {
  apps: AppService;
  artifacts: ArtifactService;
  batches: BatchService;
  bundles: BundleService;
  catalog: CatalogDocuments;
  combos: ComboService;
  jobs: JobService;
  keys: StationKeys;
  models: ModelService;
  settings: SettingsService;
  system: SystemService;
}

export function createRouter(s: Services) {
  const os = implement(contract);
  return os.router({
    system: {
      info: os.system.info.handler(() => s.system.info()),
      doctor: os.system.doctor.handler(() => s.system.doctor()),
      nativeHealth: os.system.nativeHealth.handler(() => s.system.nativeHealth()),
      backup: os.system.backup.handler(({ input }) => s.system.backup(input.destination)),
      reveal: os.system.reveal.handler(({ input }) => s.system.reveal(input.path)),
    },
    settings: {
      get: os.settings.get.handler(() => s.settings.get()),
      update: os.settings.update.handler(({ input }) => s.settings.update(input)),
    },
    jobs: {
      list: os.jobs.list.handler(({ input }) => s.jobs.list(input)),
      get: os.jobs.get.handler(({ input }) => s.jobs.get(input.id)),
      logs: os.jobs.logs.handler(({ input }) => s.jobs.logs(input.id, input.afterSeq)),
      cancel: os.jobs.cancel.handler(({ input }) => s.jobs.cancel(input.id)),
      retry: os.jobs.retry.handler(({ input }) => s.jobs.retry(input.id)),
      remove: os.jobs.remove.handler(({ input }) => {
        s.jobs.remove(input.id);
        return { id: input.id };
      }),
      events: os.jobs.events.handler(async function* ({ signal }) {
        const emitter = new EventEmitter();
        const off = s.jobs.subscribe((e) => emitter.emit('e', e));
        try {
          for await (const [event] of on(emitter, 'e', { signal })) yield event as JobEvent;
        } finally {
          off();
        }
      }),
    },
    artifacts: {
      list: os.artifacts.list.handler(({ input }) => s.artifacts.list(input)),
      get: os.artifacts.get.handler(({ input }) => s.artifacts.get(input.id)),
      import: os.artifacts.import.handler(({ input }) => s.artifacts.startImport(input)),
      remove: os.artifacts.remove.handler(({ input }) => {
        s.artifacts.remove(input.id);
        return { id: input.id };
      }),
      gc: os.artifacts.gc.handler(({ input }) => s.artifacts.gc(input.dryRun)),
    },
    models: {
      list: os.models.list.handler(() => s.models.list()),
      get: os.models.get.handler(({ input }) => s.models.get(input.id)),
      create: os.models.create.handler(({ input }) => s.models.create(input)),
      update: os.models.update.handler(({ input }) => s.models.update(input.id, input.spec)),
      publish: os.models.publish.handler(({ input }) => s.models.publish(input.id)),
      newRevision: os.models.newRevision.handler(({ input }) => s.models.newRevision(input.id)),
      retire: os.models.retire.handler(({ input }) => s.models.retire(input.id, input.revision)),
      diff: os.models.diff.handler(({ input }) => s.models.diff(input.id, input.from, input.to)),
    },
    apps: {
      list: os.apps.list.handler(() => s.apps.list()),
      get: os.apps.get.handler(({ input }) => s.apps.get(input.id)),
      createContainer: os.apps.createContainer.handler(({ input }) => s.apps.create('container', input)),
      createLight: os.apps.createLight.handler(({ input }) => s.apps.create('light', input)),
      update: os.apps.update.handler(({ input }) => s.apps.updateUnchecked(input.id, input.spec)),
      publish: os.apps.publish.handler(({ input }) => s.apps.publish(input.id)),
      newVersion: os.apps.newVersion.handler(({ input }) => s.apps.newVersion(input.id, input.change)),
      diff: os.apps.diff.handler(({ input }) => s.apps.diff(input.id, input.from, input.to)),
      render: os.apps.render.handler(({ input }) => s.apps.render(input.id, input.version)),
    },
    combos: {
      list: os.combos.list.handler(() => s.combos.list()),
      get: os.combos.get.handler(({ input }) => s.combos.get(input.id)),
      check: os.combos.check.handler(({ input }) => s.combos.check(input)),
      create: os.combos.create.handler(({ input }) => s.combos.create(input)),
      update: os.combos.update.handler(({ input }) => s.combos.update(input.id, input.spec)),
      remove: os.combos.remove.handler(({ input }) => {
        s.combos.remove(input.id);
        return { id: input.id };
      }),
      publish: os.combos.publish.handler(({ input }) => s.combos.publish(input.id)),
    },
    catalog: {
      export: os.catalog.export.handler(({ input }) => s.catalog.export(input)),
      import: os.catalog.import.handler(({ input }) => s.catalog.import(input.document)),
    },
    batches: {
      list: os.batches.list.handler(() => s.batches.list()),
      get: os.batches.get.handler(({ input }) => s.batches.get(input.id)),
      create: os.batches.create.handler(({ input }) => s.batches.create(input)),
    },
    bundles: {
      build: os.bundles.build.handler(({ input }) => s.bundles.startBuild(input)),
    },
    diagnostics: {
      hashFile: os.diagnostics.hashFile.handler(({ input }) => s.jobs.start(HASH_FILE_KIND, input)),
    },
  });
}

export type AppRouter = ReturnType<typeof createRouter>;
