/**
 * The EdgeForge API contract: every procedure and event, declared once.
 *
 * Both transports (Electron message port, WebSocket in the headless host)
 * serve the one router built from this contract, and the renderer imports
 * only its types. Inputs and outputs are validated at run time by these
 * schemas (oRPC contract-first, zod 4); invalid input is refused before it
 * reaches a service.
 */
import { eventIterator, oc } from '@orpc/contract';
import * as z from 'zod';

export const LocalizedTextSchema = z.object({ en: z.string(), zh: z.string() });

export const ApiErrorDataSchema = z.object({
  code: z.string(),
  message: LocalizedTextSchema,
  field: z.array(z.union([z.string(), z.number()])).optional(),
  file: z.string().optional(),
});

// ---------------------------------------------------------------- jobs

export const JobStateSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted']);
export type JobState = z.infer<typeof JobStateSchema>;

export const JOB_ID_PATTERN = /^job_[0-9a-z]{20,40}$/;
export const JobIdSchema = z.string().regex(JOB_ID_PATTERN);

export const JobSchema = z.object({
  id: JobIdSchema,
  kind: z.string(),
  title: LocalizedTextSchema,
  params: z.record(z.string(), z.unknown()),
  state: JobStateSchema,
  bytesDone: z.number().nonnegative(),
  bytesTotal: z.number().nonnegative().nullable(),
  /** Bytes per second, smoothed over the last few seconds. */
  rateBps: z.number().nonnegative(),
  etaSeconds: z.number().nonnegative().nullable(),
  attempt: z.number().int().positive(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  error: ApiErrorDataSchema.nullable(),
  result: z.unknown().nullable(),
});
export type Job = z.infer<typeof JobSchema>;

export const JobLogLineSchema = z.object({
  jobId: JobIdSchema,
  seq: z.number().int().nonnegative(),
  at: z.string(),
  level: z.enum(['info', 'warn', 'error']),
  message: z.string(),
});
export type JobLogLine = z.infer<typeof JobLogLineSchema>;

export const JobEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('job'), job: JobSchema }),
  z.object({ type: z.literal('log'), line: JobLogLineSchema }),
  z.object({ type: z.literal('removed'), jobId: JobIdSchema }),
]);
export type JobEvent = z.infer<typeof JobEventSchema>;

const JobRef = z.object({ id: JobIdSchema });

// ---------------------------------------------------------------- settings

export const LocaleSchema = z.enum(['en', 'zh-CN']);
export type Locale = z.infer<typeof LocaleSchema>;
export const ThemeSchema = z.enum(['light', 'dark', 'system']);
export type Theme = z.infer<typeof ThemeSchema>;

export const SettingsSchema = z.object({
  /** null: follow the OS locale. */
  locale: LocaleSchema.nullable(),
  theme: ThemeSchema,
});
export type Settings = z.infer<typeof SettingsSchema>;

// ---------------------------------------------------------------- system

export const NativeModuleStatusSchema = z.object({
  name: z.string(),
  ok: z.boolean(),
  version: z.string().nullable(),
  error: z.string().nullable(),
});

export const NativeHealthSchema = z.object({
  ok: z.boolean(),
  /** 'utility-process' in Electron, 'child-process' in the headless host. */
  kind: z.enum(['utility-process', 'child-process']),
  pid: z.number().int().nullable(),
  uptimeMs: z.number().nonnegative(),
  restarts: z.number().int().nonnegative(),
  modules: z.array(NativeModuleStatusSchema),
  error: z.string().nullable(),
});
export type NativeHealth = z.infer<typeof NativeHealthSchema>;

export const SystemInfoSchema = z.object({
  version: z.string(),
  home: z.string(),
  databasePath: z.string(),
  schema: z.array(z.object({ module: z.string(), version: z.number().int() })),
  shell: z.enum(['electron', 'headless-host', 'cli']),
  osLocale: z.string(),
  platform: z.string(),
  arch: z.string(),
  node: z.string(),
});
export type SystemInfo = z.infer<typeof SystemInfoSchema>;

export const DoctorCheckSchema = z.object({
  id: z.string(),
  status: z.enum(['ok', 'warn', 'fail']),
  title: LocalizedTextSchema,
  detail: LocalizedTextSchema,
});
export const DoctorReportSchema = z.object({
  ok: z.boolean(),
  checks: z.array(DoctorCheckSchema),
});
export type DoctorReport = z.infer<typeof DoctorReportSchema>;

export const BackupResultSchema = z.object({
  path: z.string(),
  bytes: z.number().int().nonnegative(),
  integrity: z.literal('ok'),
});
export type BackupResult = z.infer<typeof BackupResultSchema>;

// ---------------------------------------------------------------- diagnostics

export const HashFileInputSchema = z.object({
  /** Absolute path of a file on the machine running EdgeForge's services. */
  path: z.string().trim().min(1).max(4096),
  /** Optional read-rate cap, to exercise progress and cancel on a fast disk. */
  rateLimitMiBps: z.number().positive().max(100_000).optional(),
});
export type HashFileInput = z.infer<typeof HashFileInputSchema>;

export const HashFileResultSchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
});

// ---------------------------------------------------------------- artifacts

export const ArtifactKindSchema = z.enum(['image', 'iso', 'runtime', 'driver', 'lightapp']);
export type ArtifactKind = z.infer<typeof ArtifactKindSchema>;
export const ARTIFACT_ID_PATTERN = /^art_[0-9a-f]{20}$/;

export const ArtifactSchema = z.object({
  id: z.string().regex(ARTIFACT_ID_PATTERN),
  kind: ArtifactKindSchema,
  name: z.string(),
  /** The image manifest's digest, or the file's sha256. */
  digest: z.string(),
  size: z.number().int().nonnegative(),
  /** os/arch[/variant] for images and runtimes. */
  platform: z.string().nullable(),
  source: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});
export type Artifact = z.infer<typeof ArtifactSchema>;

/** "linux/amd64", "linux/arm64/v8", or a bare arch. */
export const PlatformSchema = z.string().refine((s) => /^[a-z0-9]+(\/[a-z0-9_]+){0,2}$/.test(s), {
  params: { en: 'A platform looks like linux/amd64 or linux/arm64/v8.', zh: '平台格式如 linux/amd64 或 linux/arm64/v8。' },
});

export const ImportInputSchema = z.object({
  /** Absolute path, on the station, of an image archive or OCI layout folder. */
  path: z.string().trim().min(1).max(4096),
  /** For multi-arch indexes: which platforms to import. */
  platforms: z.array(PlatformSchema).max(16).optional(),
});

export const GcReportSchema = z.object({
  dryRun: z.boolean(),
  unreferencedBlobs: z.number().int().nonnegative(),
  unreferencedBytes: z.number().int().nonnegative(),
  storedBlobs: z.number().int().nonnegative(),
  storedBytes: z.number().int().nonnegative(),
});
export type GcReport = z.infer<typeof GcReportSchema>;

const ArtifactRef = z.object({ id: z.string().regex(ARTIFACT_ID_PATTERN) });

// ---------------------------------------------------------------- contract

export const contract = {
  system: {
    info: oc.output(SystemInfoSchema),
    doctor: oc.output(DoctorReportSchema),
    nativeHealth: oc.output(NativeHealthSchema),
    backup: oc.input(z.object({ destination: z.string().trim().min(1).max(4096).optional() })).output(BackupResultSchema),
  },
  settings: {
    get: oc.output(SettingsSchema),
    update: oc.input(SettingsSchema.partial()).output(SettingsSchema),
  },
  jobs: {
    list: oc
      .input(
        z.object({
          states: z.array(JobStateSchema).optional(),
          limit: z.number().int().min(1).max(1000).default(200),
        }),
      )
      .output(z.array(JobSchema)),
    get: oc.input(JobRef).output(JobSchema),
    logs: oc.input(z.object({ id: JobIdSchema, afterSeq: z.number().int().min(-1).default(-1) })).output(z.array(JobLogLineSchema)),
    cancel: oc.input(JobRef).output(JobSchema),
    retry: oc.input(JobRef).output(JobSchema),
    remove: oc.input(JobRef).output(z.object({ id: JobIdSchema })),
    /** Live job updates and log lines, for as long as the caller listens. */
    events: oc.output(eventIterator(JobEventSchema)),
  },
  artifacts: {
    list: oc.input(z.object({ kind: ArtifactKindSchema.optional(), search: z.string().trim().max(200).optional() })).output(z.array(ArtifactSchema)),
    get: oc.input(ArtifactRef).output(ArtifactSchema),
    /** Starts an import job; its result names the artifacts it created. */
    import: oc.input(ImportInputSchema).output(JobSchema),
    remove: oc.input(ArtifactRef).output(z.object({ id: z.string() })),
    gc: oc.input(z.object({ dryRun: z.boolean() })).output(GcReportSchema),
  },
  diagnostics: {
    /** Starts a job that streams a file through sha256. */
    hashFile: oc.input(HashFileInputSchema).output(JobSchema),
  },
};

export type ApiContract = typeof contract;
