/**
 * The one router: the contract bound to the services. Both transports serve
 * exactly this object.
 */
import { EventEmitter, on } from 'node:events';
import { implement } from '@orpc/server';
import { contract, type FlashEvent, type JobEvent, type TerminalFeedEvent } from '../api/contract';
import type { TerminalService } from '../terminal';
import { HASH_FILE_KIND } from '../diagnostics';
import type { ArtifactService } from '../artifacts';
import type { BatchService, BundleService } from '../bundles';
import type { ClusterService, ConsoleService } from '../cluster';
import type { FlashService, KnownHosts } from '../provision';
import { freePort, listSerialPorts } from '../provision/serial';
import type { ActivationService, StationKeys, StationService } from '../licensing';
import type { SecretVault } from '../secrets';
import type { AppService, CatalogDocuments, ComboService, ModelService } from '../catalog';
import type { JobService } from '../jobs';
import type { SettingsService } from '../settings';
import type { SystemService } from '../system';

export interface Services {
  activation: ActivationService;
  apps: AppService;
  artifacts: ArtifactService;
  batches: BatchService;
  bundles: BundleService;
  catalog: CatalogDocuments;
  clusters: ClusterService;
  clusterConsole: ConsoleService;
  combos: ComboService;
  flash: FlashService;
  jobs: JobService;
  keys: StationKeys;
  knownHosts: KnownHosts;
  models: ModelService;
  settings: SettingsService;
  station: StationService;
  system: SystemService;
  terminal: TerminalService;
  vault: SecretVault;
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
    station: {
      status: os.station.status.handler(() => s.station.status()),
      unlock: os.station.unlock.handler(({ input }) => s.station.unlock(input.passphrase)),
      lock: os.station.lock.handler(() => s.station.lock()),
      exportKey: os.station.exportKey.handler(({ input }) => s.station.exportKey(input.passphrase)),
      importKey: os.station.importKey.handler(({ input }) => s.station.importKey(input.pem, input.passphrase)),
    },
    activation: {
      inspect: os.activation.inspect.handler(({ input }) => s.activation.inspect(input.request)),
      activate: os.activation.activate.handler(({ input }) => s.activation.activate(input.request, { allowClone: input.allowClone })),
      batches: os.activation.batches.handler(() => s.activation.ledgerBatches()),
      seats: os.activation.seats.handler(({ input }) => s.activation.seatPage(input.batchId, input)),
      events: os.activation.events.handler(({ input }) => s.activation.ledger.events(input.batchId, input.limit, input.beforeSeq)),
      verify: os.activation.verify.handler(() => s.activation.ledger.verify()),
      report: os.activation.report.handler(({ input }) => s.activation.report(input.batchId)),
      labels: os.activation.labels.handler(({ input }) => s.activation.labels(input.batchId)),
      publicKey: os.activation.publicKey.handler(() => s.activation.stationPublicKey()),
      delegations: os.activation.delegations.handler(() => s.activation.delegationList()),
      delegate: os.activation.delegate.handler(({ input }) => s.activation.delegate(input.batchId, input.first, input.last, input.to)),
      importDelegation: os.activation.importDelegation.handler(({ input }) => {
        const { text: _t, signature: _s, ...d } = s.activation.importDelegation(input.file);
        return d;
      }),
      returnDelegation: os.activation.returnDelegation.handler(({ input }) => s.activation.returnDelegation(input.id)),
      importReturn: os.activation.importReturn.handler(({ input }) => s.activation.importReturn(input.file)),
    },
    flash: {
      runs: os.flash.runs.handler(() => s.flash.runs()),
      run: os.flash.run.handler(({ input }) => s.flash.detail(input.id)),
      createRun: os.flash.createRun.handler(({ input }) => s.flash.createRun(input)),
      addBoxes: os.flash.addBoxes.handler(({ input }) => s.flash.addBoxes(input.runId, input.boxes)),
      retryBox: os.flash.retryBox.handler(({ input }) => s.flash.retryBox(input.id, input.credentials)),
      skipBox: os.flash.skipBox.handler(({ input }) => s.flash.skipBox(input.id)),
      cancelBox: os.flash.cancelBox.handler(({ input }) => s.flash.cancelBox(input.id)),
      cancelRun: os.flash.cancelRun.handler(({ input }) => s.flash.cancelRun(input.id)),
      boxLog: os.flash.boxLog.handler(({ input }) => s.flash.boxLog(input.id)),
      summary: os.flash.summary.handler(({ input }) => s.flash.summary(input.id)),
      events: os.flash.events.handler(async function* ({ signal }) {
        const emitter = new EventEmitter();
        const off = s.flash.subscribe((e) => emitter.emit('e', e));
        try {
          for await (const [event] of on(emitter, 'e', { signal })) yield event as FlashEvent;
        } finally {
          off();
        }
      }),
      scanSsh: os.flash.scanSsh.handler(({ input }) => s.flash.scanSsh(input)),
      serialPorts: os.flash.serialPorts.handler(async () => {
        const r = await listSerialPorts();
        return { ports: r.ports.map((p) => ({ path: p.path, manufacturer: p.manufacturer ?? null, serialNumber: p.serialNumber ?? null })), error: r.error };
      }),
      // The port may be held by a flash job (this process) or by a terminal session (the native process).
      freeSerialPort: os.flash.freeSerialPort.handler(async ({ input }) => {
        const [job, terminal] = await Promise.all([freePort(input.path), s.terminal.closeSerial(input.path)]);
        return { freed: job || terminal };
      }),
      knownHosts: os.flash.knownHosts.handler(() => s.knownHosts.list()),
      trustHostKey: os.flash.trustHostKey.handler(({ input }) => s.flash.trustHostKey(input.host, input.port, input.fingerprint)),
      forgetHost: os.flash.forgetHost.handler(({ input }) => ({ forgotten: s.knownHosts.forget(input.host, input.port) })),
    },
    clusters: {
      list: os.clusters.list.handler(() => s.clusters.list()),
      status: os.clusters.status.handler(({ input, signal }) => s.clusters.status(input.id, signal)),
      import: os.clusters.import.handler(({ input }) => s.clusters.import(input)),
      replaceKubeconfig: os.clusters.replaceKubeconfig.handler(({ input }) => s.clusters.replaceKubeconfig(input.id, input.kubeconfig)),
      revokeKubeconfig: os.clusters.revokeKubeconfig.handler(({ input }) => s.clusters.revokeKubeconfig(input.id)),
      remove: os.clusters.remove.handler(({ input }) => s.clusters.remove(input.id)),
      watch: os.clusters.watch.handler(({ input, signal }) => s.clusters.watch(input.id, input.kinds, signal)),
      cordon: os.clusters.cordon.handler(({ input, signal }) => s.clusterConsole.cordon(input.clusterId, input.node, input.unschedulable, signal)),
      drain: os.clusters.drain.handler(({ input }) => s.clusterConsole.drain(input)),
      setNodeLabels: os.clusters.setNodeLabels.handler(({ input, signal }) => s.clusterConsole.setNodeLabels(input, signal)),
      setNodeTaints: os.clusters.setNodeTaints.handler(({ input, signal }) =>
        s.clusterConsole.setNodeTaints(input.clusterId, input.node, input.taints, signal),
      ),
      scale: os.clusters.scale.handler(({ input, signal }) => s.clusterConsole.scale(input, signal)),
      restart: os.clusters.restart.handler(({ input, signal }) => s.clusterConsole.restart(input, signal)),
      revisions: os.clusters.revisions.handler(({ input, signal }) => s.clusterConsole.revisions(input, signal)),
      rollback: os.clusters.rollback.handler(({ input, signal }) => s.clusterConsole.rollback(input, signal)),
      suspendCronJob: os.clusters.suspendCronJob.handler(({ input, signal }) => s.clusterConsole.suspendCronJob(input, signal)),
      deletePod: os.clusters.deletePod.handler(({ input, signal }) => s.clusterConsole.deletePod(input, signal)),
      logs: os.clusters.logs.handler(({ input, signal }) => s.clusterConsole.logs(input, signal)),
      logText: os.clusters.logText.handler(({ input, signal }) => s.clusterConsole.logText(input, signal)),
      yaml: os.clusters.yaml.handler(({ input, signal }) => s.clusterConsole.yaml(input, signal)),
      apply: os.clusters.apply.handler(({ input, signal }) => s.clusterConsole.apply(input, signal)),
      deployPreview: os.clusters.deployPreview.handler(({ input, signal }) => s.clusterConsole.deployPreview(input, signal)),
      deploy: os.clusters.deploy.handler(({ input, signal }) => s.clusterConsole.deploy(input, signal)),
      metrics: os.clusters.metrics.handler(({ input, signal }) => s.clusterConsole.metrics(input.clusterId, signal)),
    },
    terminal: {
      sessions: os.terminal.sessions.handler(() => s.terminal.list()),
      shells: os.terminal.shells.handler(() => s.terminal.shells()),
      open: os.terminal.open.handler(({ input }) => s.terminal.open(input)),
      write: os.terminal.write.handler(async ({ input }) => {
        await s.terminal.write(input.id, input.data);
        return { ok: true };
      }),
      resize: os.terminal.resize.handler(async ({ input }) => {
        await s.terminal.resize(input.id, input.cols, input.rows);
        return { ok: true };
      }),
      ack: os.terminal.ack.handler(({ input }) => {
        s.terminal.ack(input.id, input.offset);
        return { ok: true };
      }),
      setNewline: os.terminal.setNewline.handler(({ input }) => s.terminal.setNewline(input.id, input.newline)),
      close: os.terminal.close.handler(({ input }) => s.terminal.close(input.id)),
      attach: os.terminal.attach.handler(({ input, signal }) => s.terminal.attach(input.id, input.from, signal)),
      events: os.terminal.events.handler(async function* ({ signal }) {
        const emitter = new EventEmitter();
        const off = s.terminal.subscribe((e) => emitter.emit('e', e));
        try {
          for await (const [event] of on(emitter, 'e', { signal })) yield event as TerminalFeedEvent;
        } finally {
          off();
        }
      }),
    },
    diagnostics: {
      hashFile: os.diagnostics.hashFile.handler(({ input }) => s.jobs.start(HASH_FILE_KIND, input)),
    },
  });
}

export type AppRouter = ReturnType<typeof createRouter>;
