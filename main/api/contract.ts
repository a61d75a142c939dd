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
import type { ApiErrorData } from './errors';

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
  /** What bytesDone/bytesTotal count: bytes, or items (a drain's pods). */
  unit: z.enum(['bytes', 'items']).default('bytes'),
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
  /** Station-wide: how many boxes are flashed at once (across every run). A laptop does well with 8. */
  flashConcurrency: z.number().int().min(1).max(64),
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
  /** Why the process does not answer, in both languages. */
  error: LocalizedTextSchema.nullable(),
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
  /** The image manifest's digest, the file's sha256, or for a folder (a k3s runtime) the sha256 of its files' list in sha256sum form. */
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
  /** Import the file as a light app (.tar.gz or .zip) of this language; C needs its arch. */
  lightApp: z.object({ language: z.enum(['python', 'nodejs', 'c']), arch: z.enum(['x86_64', 'aarch64']).nullable().default(null) }).optional(),
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

// ---------------------------------------------------------------- hardware models
// Field rules: ../shared/DESIGN.md §1 step 2 and the reference digests.

const L = (en: string, zh: string) => ({ params: { en, zh } });

/** Reference rule (Platform C names): 1–63 of digits, Chinese characters, letters, '-' and '_', not starting with '_'. */
export const ModelNameSchema = z
  .string()
  .trim()
  .refine(
    (s) => /^[0-9A-Za-z\u4e00-\u9fff-][0-9A-Za-z\u4e00-\u9fff_-]{0,62}$/.test(s),
    L(
      'A model name has 1–63 characters: letters, digits, Chinese characters, "-" and "_", and does not start with "_".',
      '型号名称为 1–63 个字符：字母、数字、汉字、“-”和“_”，且不能以“_”开头。',
    ),
  );

export const ArchSchema = z.enum(['x86_64', 'aarch64']);
export type Arch = z.infer<typeof ArchSchema>;

export const PciIdSchema = z
  .string()
  .refine(
    (s) => /^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$/.test(s),
    L('A PCI id is a hex vendor:device pair, e.g. 10de:2204.', 'PCI ID 为十六进制的 厂商:设备 对，例如 10de:2204。'),
  );

export const AcceleratorSchema = z
  .object({
    kind: z.enum(['nvidia-gpu', 'openvino']),
    /** OpenVINO devices only. */
    device: z.enum(['igpu', 'vpu', 'npu']).nullable().default(null),
    count: z.number().int().min(1).max(16),
    pciIds: z.array(PciIdSchema).min(1).max(8),
    driverArtifactId: z.string().regex(ARTIFACT_ID_PATTERN).nullable().default(null),
  })
  .superRefine((a, ctx) => {
    if (a.kind === 'openvino' && !a.device)
      ctx.addIssue({ code: 'custom', path: ['device'], ...L('Choose the OpenVINO device: iGPU, VPU or NPU.', '请选择 OpenVINO 设备：iGPU、VPU 或 NPU。') });
    if (a.kind === 'nvidia-gpu' && a.device)
      ctx.addIssue({ code: 'custom', path: ['device'], ...L('An NVIDIA GPU has no OpenVINO device type.', 'NVIDIA GPU 没有 OpenVINO 设备类型。') });
  });

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
export const NicSchema = z
  .object({
    /** Linux interface name: at most 15 characters. */
    name: z
      .string()
      .refine(
        (s) => /^[a-zA-Z][a-zA-Z0-9._-]{0,14}$/.test(s),
        L(
          'A NIC name is 1–15 characters: letters, digits, ".", "_" and "-", starting with a letter (e.g. eth0, enp3s0).',
          '网口名称为 1–15 个字符：字母、数字、“.”、“_”、“-”，以字母开头（例如 eth0、enp3s0）。',
        ),
      ),
    role: z.enum(['wan', 'lan', 'cluster', 'mgmt', 'field']),
    addressing: z.enum(['dhcp', 'static', 'none']),
    /** CIDR, for static addressing. */
    address: z.string().nullable().default(null),
    gateway: z.string().nullable().default(null),
  })
  .superRefine((n, ctx) => {
    if (n.addressing === 'static') {
      const m = /^(.+)\/(\d{1,2})$/.exec(n.address ?? '');
      if (!m || !IPV4.test(m[1]!) || Number(m[2]) > 32)
        ctx.addIssue({
          code: 'custom',
          path: ['address'],
          ...L('A static address is an IPv4 CIDR, e.g. 192.168.1.10/24.', '静态地址为 IPv4 CIDR，例如 192.168.1.10/24。'),
        });
    } else if (n.address)
      ctx.addIssue({ code: 'custom', path: ['address'], ...L('Only static addressing takes an address.', '只有静态地址方式需要填写地址。') });
    if (n.gateway && !IPV4.test(n.gateway))
      ctx.addIssue({ code: 'custom', path: ['gateway'], ...L('The gateway is an IPv4 address, e.g. 192.168.1.1.', '网关为 IPv4 地址，例如 192.168.1.1。') });
  });

export const BAUD_RATES = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600] as const;
export const SerialPortSchema = z.object({
  device: z
    .string()
    .refine(
      (s) => /^\/dev\/tty[A-Za-z0-9]+$/.test(s) || /^COM[1-9]\d{0,2}$/.test(s),
      L('A serial device is /dev/ttyS0, /dev/ttyUSB0, /dev/ttyACM0… or COM1…COM999.', '串口设备为 /dev/ttyS0、/dev/ttyUSB0、/dev/ttyACM0… 或 COM1…COM999。'),
    ),
  role: z.enum(['console', 'rs485', 'rs232']),
  baud: z
    .number()
    .refine(
      (b) => (BAUD_RATES as readonly number[]).includes(b),
      L(`Choose a standard baud rate: ${BAUD_RATES.join(', ')}.`, `请选择标准波特率：${BAUD_RATES.join('、')}。`),
    ),
  dataBits: z.number().int().min(5).max(8),
  parity: z.enum(['none', 'even', 'odd', 'mark', 'space']),
  stopBits: z.union([z.literal(1), z.literal(1.5), z.literal(2)]),
  flowControl: z.enum(['none', 'rts-cts', 'xon-xoff']),
  provisioningConsole: z.boolean().default(false),
});

export const HardwareModelSpecSchema = z
  .object({
    name: ModelNameSchema,
    description: z.string().max(500).default(''),
    os: z.object({
      family: z.enum(['centos', 'rocky', 'rhel', 'ubuntu', 'debian', 'openeuler']),
      version: z.string().trim().min(1).max(32),
      /** The base installer ISO, when ISO bundles are wanted. */
      baseIsoArtifactId: z.string().regex(ARTIFACT_ID_PATTERN).nullable().default(null),
    }),
    arch: ArchSchema,
    minCpuCores: z.number().int().min(1).max(1024),
    /** Reference: 2 GB is the least a node runs on. */
    minMemoryMiB: z
      .number()
      .int()
      .max(16 * 1024 * 1024)
      .refine((n) => n >= 2048, L('At least 2048 MiB of RAM: less cannot run the cluster runtime.', '内存至少 2048 MiB：更少则无法运行集群运行时。')),
    /** Reference: 40 GB recommended; 16 GiB is the least that holds OS, runtime and images. */
    minDiskGiB: z
      .number()
      .int()
      .max(1024 * 1024)
      .refine(
        (n) => n >= 16,
        L('At least 16 GiB of disk: less cannot hold the OS, the runtime and images.', '磁盘至少 16 GiB：更少则放不下操作系统、运行时和镜像。'),
      ),
    installDisk: z
      .string()
      .refine(
        (s) => /^\/dev\/[a-z][a-z0-9/_-]*$/.test(s),
        L('The install disk is a device path, e.g. /dev/sda, /dev/nvme0n1 or /dev/vda.', '安装磁盘为设备路径，例如 /dev/sda、/dev/nvme0n1 或 /dev/vda。'),
      ),
    accelerators: z.array(AcceleratorSchema).max(16).default([]),
    nics: z
      .array(NicSchema)
      .max(32)
      .refine((a) => a.length >= 1, L('A model needs at least one NIC.', '型号至少需要一个网口。')),
    serialPorts: z.array(SerialPortSchema).max(32).default([]),
  })
  .superRefine((m, ctx) => {
    const dup = <T>(items: T[], key: (t: T) => string, path: string, field: string, en: string, zh: string) => {
      const seen = new Map<string, number>();
      items.forEach((it, i) => {
        const k = key(it);
        if (seen.has(k)) ctx.addIssue({ code: 'custom', path: [path, i, field], ...L(en.replace('%s', k), zh.replace('%s', k)) });
        else seen.set(k, i);
      });
    };
    dup(m.nics, (n) => n.name, 'nics', 'name', 'NIC name "%s" is used twice.', '网口名称“%s”重复。');
    dup(m.serialPorts, (p) => p.device, 'serialPorts', 'device', 'Serial device %s is listed twice.', '串口设备 %s 重复。');
    const consoles = m.serialPorts.map((p, i) => [p, i] as const).filter(([p]) => p.provisioningConsole);
    for (const [, i] of consoles.slice(1)) {
      ctx.addIssue({
        code: 'custom',
        path: ['serialPorts', i, 'provisioningConsole'],
        ...L('Only one serial port may be the provisioning console.', '只能有一个串口作为装机控制台。'),
      });
    }
    for (const [p, i] of consoles) {
      if (p.role !== 'console')
        ctx.addIssue({
          code: 'custom',
          path: ['serialPorts', i, 'role'],
          ...L('The provisioning console must have the console role.', '装机控制台的用途必须为控制台。'),
        });
    }
    m.accelerators.forEach((a, i) => {
      if (a.kind === 'openvino' && m.arch !== 'x86_64')
        ctx.addIssue({
          code: 'custom',
          path: ['accelerators', i, 'kind'],
          ...L('OpenVINO devices are supported on x86_64 models only.', 'OpenVINO 设备仅支持 x86_64 型号。'),
        });
    });
  });
export type HardwareModelSpec = z.infer<typeof HardwareModelSpecSchema>;
export type HardwareModelSpecInput = z.input<typeof HardwareModelSpecSchema>;

export const MODEL_ID_PATTERN = /^hwm_[0-9a-f]{16}$/;
export const RevisionStateSchema = z.enum(['draft', 'published', 'retired']);
export const ModelRevisionSchema = z.object({
  revision: z.number().int().positive(),
  state: RevisionStateSchema,
  spec: HardwareModelSpecSchema,
  createdAt: z.string(),
  publishedAt: z.string().nullable(),
});
export const HardwareModelSchema = z.object({
  id: z.string().regex(MODEL_ID_PATTERN),
  name: z.string(),
  arch: ArchSchema,
  revisions: z.array(ModelRevisionSchema),
});
export type HardwareModel = z.infer<typeof HardwareModelSchema>;
export const SpecChangeSchema = z.object({ path: z.string(), before: z.unknown(), after: z.unknown() });
export type SpecChange = z.infer<typeof SpecChangeSchema>;

const ModelRef = z.object({ id: z.string().regex(MODEL_ID_PATTERN) });

// ---------------------------------------------------------------- applications
// Field rules: DESIGN.md §1 step 3 and the reference digests (service and
// workload names, light-app names, GPU shares).

/** Reference: service names are 4–63 characters, start with a letter and end alphanumeric (lowercase, for Kubernetes). */
export const ServiceNameSchema = z
  .string()
  .refine(
    (s) => /^[a-z][a-z0-9-]{2,61}[a-z0-9]$/.test(s),
    L(
      'A service name has 4–63 characters: lowercase letters, digits and "-", starting with a letter and ending with a letter or digit.',
      '服务名称为 4–63 个字符：小写字母、数字和“-”，以字母开头，以字母或数字结尾。',
    ),
  );
/** Reference: workload and container names are at most 63 of lowercase letters, digits and '-', alphanumeric at both ends. */
export const ContainerNameSchema = z
  .string()
  .refine(
    (s) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(s),
    L(
      'A container name has at most 63 characters: lowercase letters, digits and "-", starting and ending with a letter or digit.',
      '容器名称最多 63 个字符：小写字母、数字和“-”，以字母或数字开头和结尾。',
    ),
  );
const EnvVarSchema = z.object({
  name: z
    .string()
    .refine(
      (s) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(s),
      L('An environment variable name has letters, digits and "_", and does not start with a digit.', '环境变量名由字母、数字和“_”组成，且不能以数字开头。'),
    ),
  value: z.string().max(32 * 1024),
});
const AbsolutePath = (what: { en: string; zh: string }) =>
  z
    .string()
    .refine(
      (s) => s.startsWith('/') && !s.split('/').includes('..'),
      L(`${what.en} must be an absolute path without "..".`, `${what.zh}必须是不含“..”的绝对路径。`),
    );
const PortSchema = z.object({
  containerPort: z.number().int().min(1).max(65535),
  protocol: z.enum(['TCP', 'UDP']).default('TCP'),
  /** Exposed on the node's address (host port), when set. */
  hostPort: z.number().int().min(1).max(65535).nullable().default(null),
});
export const ContainerSchema = z
  .object({
    name: ContainerNameSchema,
    imageArtifactId: z.string().regex(ARTIFACT_ID_PATTERN),
    command: z.array(z.string()).max(64).default([]),
    args: z.array(z.string()).max(256).default([]),
    ports: z.array(PortSchema).max(64).default([]),
    env: z.array(EnvVarSchema).max(256).default([]),
    volumeMounts: z
      .array(z.object({ volume: z.string().min(1), mountPath: AbsolutePath({ en: 'A mount path', zh: '挂载路径' }), readOnly: z.boolean().default(false) }))
      .default([]),
    resources: z
      .object({
        cpuMillicores: z.number().int().min(1).max(1_000_000).nullable().default(null),
        memoryMiB: z
          .number()
          .int()
          .min(4)
          .max(16 * 1024 * 1024)
          .nullable()
          .default(null),
      })
      .default({ cpuMillicores: null, memoryMiB: null }),
    /** GPU share: memory in 256 MiB units, with a compute percentage alongside. */
    gpu: z
      .object({ memoryMiB: z.number().int().positive(), computePercent: z.number().int().min(1).max(100).nullable().default(null) })
      .nullable()
      .default(null),
    privileged: z.boolean().default(false),
  })
  .superRefine((c, ctx) => {
    if (c.gpu && c.gpu.memoryMiB % 256 !== 0)
      ctx.addIssue({
        code: 'custom',
        path: ['gpu', 'memoryMiB'],
        ...L('GPU memory is given in units of 256 MiB (256, 512, 768…).', 'GPU 显存以 256 MiB 为单位（256、512、768…）。'),
      });
    if (c.gpu && c.gpu.computePercent === null)
      ctx.addIssue({
        code: 'custom',
        path: ['gpu', 'computePercent'],
        ...L('A GPU share needs a compute percentage (1–100) alongside its memory.', 'GPU 份额需要同时填写算力百分比（1–100）。'),
      });
  });
export const VolumeSchema = z
  .object({
    name: ContainerNameSchema,
    type: z.enum(['hostPath', 'configMap', 'secret', 'emptyDir']),
    hostPath: z.string().nullable().default(null),
    /** configMap / secret contents. */
    data: z.record(z.string(), z.string()).default({}),
  })
  .superRefine((v, ctx) => {
    if (v.type === 'hostPath' && !(v.hostPath && v.hostPath.startsWith('/') && !v.hostPath.split('/').includes('..'))) {
      ctx.addIssue({
        code: 'custom',
        path: ['hostPath'],
        ...L('A hostPath volume needs an absolute host path without "..".', 'hostPath 卷需要不含“..”的绝对主机路径。'),
      });
    }
  });
export const ContainerAppSpecSchema = z
  .object({
    name: ServiceNameSchema,
    description: z.string().max(500).default(''),
    workload: z.enum(['Deployment', 'DaemonSet', 'Job']),
    replicas: z.number().int().min(0).max(1000).default(1),
    nodeSelector: z.record(z.string(), z.string()).default({}),
    hostNetwork: z.boolean().default(false),
    /** Run in array order before the containers. */
    initContainers: z.array(ContainerSchema).max(16).default([]),
    containers: z
      .array(ContainerSchema)
      .max(32)
      .refine((a) => a.length >= 1, L('An app needs at least one container.', '应用至少需要一个容器。')),
    volumes: z.array(VolumeSchema).max(64).default([]),
  })
  .superRefine((a, ctx) => {
    const all = [...a.initContainers.map((c, i) => ['initContainers', i, c] as const), ...a.containers.map((c, i) => ['containers', i, c] as const)];
    const names = new Map<string, true>();
    for (const [list, i, c] of all) {
      if (names.has(c.name))
        ctx.addIssue({
          code: 'custom',
          path: [list, i, 'name'],
          ...L(`Container name "${c.name}" is used twice in this app.`, `容器名称“${c.name}”在此应用中重复。`),
        });
      names.set(c.name, true);
    }
    const ports = new Map<string, string>();
    a.containers.forEach((c, i) =>
      c.ports.forEach((p, j) => {
        const key = `${p.containerPort}/${p.protocol}`;
        if (ports.has(key))
          ctx.addIssue({
            code: 'custom',
            path: ['containers', i, 'ports', j, 'containerPort'],
            ...L(`Port ${key} is already used by container "${ports.get(key)}".`, `端口 ${key} 已被容器“${ports.get(key)}”使用。`),
          });
        else ports.set(key, c.name);
      }),
    );
    const volumes = new Set(a.volumes.map((v) => v.name));
    for (const [list, i, c] of all) {
      c.volumeMounts.forEach((m, j) => {
        if (!volumes.has(m.volume))
          ctx.addIssue({
            code: 'custom',
            path: [list, i, 'volumeMounts', j, 'volume'],
            ...L(`No volume named "${m.volume}" is defined in this app.`, `此应用中没有名为“${m.volume}”的卷。`),
          });
      });
    }
    if (a.workload === 'DaemonSet' && a.replicas !== 1)
      ctx.addIssue({
        code: 'custom',
        path: ['replicas'],
        ...L('A DaemonSet runs one pod per selected node; leave replicas at 1.', 'DaemonSet 在每个选中的节点上运行一个 Pod；副本数请保持为 1。'),
      });
  });
export type ContainerAppSpec = z.infer<typeof ContainerAppSpecSchema>;
export type ContainerAppSpecInput = z.input<typeof ContainerAppSpecSchema>;

/** Reference: light-app names are 4–32 characters of letters, digits and underscore. */
export const LightAppSpecSchema = z.object({
  name: z
    .string()
    .refine(
      (s) => /^[A-Za-z0-9_]{4,32}$/.test(s),
      L('A light app name has 4–32 characters: letters, digits and "_".', '轻应用名称为 4–32 个字符：字母、数字和“_”。'),
    ),
  description: z.string().max(500).default(''),
  packageArtifactId: z.string().regex(ARTIFACT_ID_PATTERN),
  startCommand: z.string().trim().min(1).max(1024),
  cpuLimitMillicores: z.number().int().min(10).max(1_000_000).nullable().default(null),
  memoryLimitMiB: z
    .number()
    .int()
    .min(8)
    .max(16 * 1024 * 1024)
    .nullable()
    .default(null),
  env: z.array(EnvVarSchema).max(256).default([]),
});
export type LightAppSpec = z.infer<typeof LightAppSpecSchema>;

export const APP_ID_PATTERN = /^app_[0-9a-f]{16}$/;

/** Reference (node labels): letters, digits, '-', '_' and '.', alphanumeric at both ends; a value may be empty. */
const LABEL = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
/** An optional prefix, a DNS-1123 subdomain of at most 253 characters (`example..com` is refused, as kube-apiserver does), then "/". */
const LABEL_KEY = /^((?=[^/]{1,253}\/)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
export const NodeLabelsSchema = z.record(z.string(), z.string()).superRefine((labels, ctx) => {
  for (const [k, v] of Object.entries(labels)) {
    if (!LABEL_KEY.test(k))
      ctx.addIssue({
        code: 'custom',
        path: [k],
        ...L(
          `Label name "${k}": letters, digits, "-", "_" and ".", starting and ending with a letter or digit (an optional prefix/ is allowed).`,
          `标签名“${k}”：字母、数字、“-”、“_”和“.”，以字母或数字开头和结尾（可带 前缀/）。`,
        ),
      });
    if (v !== '' && !LABEL.test(v))
      ctx.addIssue({
        code: 'custom',
        path: [k],
        ...L(
          `Label value "${v}": empty, or letters, digits, "-", "_" and "." starting and ending with a letter or digit.`,
          `标签值“${v}”：为空，或由字母、数字、“-”、“_”、“.”组成并以字母或数字开头和结尾。`,
        ),
      });
  }
});

export const ComboSpecSchema = z.object({
  name: ModelNameSchema,
  description: z.string().max(500).default(''),
  modelId: z.string().regex(MODEL_ID_PATTERN),
  modelRevision: z.number().int().positive(),
  runtimeArtifactId: z.string().regex(ARTIFACT_ID_PATTERN),
  apps: z
    .array(
      z.object({
        appId: z.string().regex(/^app_[0-9a-f]{16}$/),
        version: z.number().int().positive(),
        overrides: z
          .object({
            replicas: z.number().int().min(0).max(1000).nullable().default(null),
            env: z.array(z.object({ name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), value: z.string() })).default([]),
          })
          .default({ replicas: null, env: [] }),
      }),
    )
    .max(64)
    .default([]),
  nodeLabels: NodeLabelsSchema.default({}),
});
export type ComboSpec = z.infer<typeof ComboSpecSchema>;
export const ComboSchema = z.object({
  id: z.string().regex(/^cmb_[0-9a-f]{16}$/),
  name: z.string(),
  state: z.enum(['draft', 'published']),
  spec: ComboSpecSchema,
  createdAt: z.string(),
  publishedAt: z.string().nullable(),
});
export const ComboProblemSchema = z.object({ rule: z.string(), field: z.array(z.union([z.string(), z.number()])), message: LocalizedTextSchema });
export const AppVersionSchema = z.object({
  version: z.number().int().positive(),
  state: z.enum(['draft', 'published']),
  change: z.enum(['initial', 'patch', 'upgrade']),
  spec: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  publishedAt: z.string().nullable(),
});
export const ApplicationSchema = z.object({
  id: z.string().regex(APP_ID_PATTERN),
  kind: z.enum(['container', 'light']),
  name: z.string(),
  versions: z.array(AppVersionSchema),
});
export type Application = z.infer<typeof ApplicationSchema>;
const AppRef = z.object({ id: z.string().regex(APP_ID_PATTERN) });

// ---------------------------------------------------------------- catalog documents
// Moving definitions between stations. Specs are stored as in the catalog,
// except that artifacts are referenced by digest ("sha256:…"), and a combo
// names its model ("model") and apps ("apps[].app") instead of local ids.

export const CATALOG_FORMAT = 'edgeforge.catalog/v2';
const DigestSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/);
const Spec = z.record(z.string(), z.unknown());
export const CatalogDocumentSchema = z.object({
  format: z.literal(CATALOG_FORMAT),
  exportedAt: z.string(),
  /** Every artifact the specs reference, so that an import can name the missing ones. */
  artifacts: z.array(z.object({ kind: ArtifactKindSchema, digest: DigestSchema, name: z.string(), platform: z.string().nullable() })).default([]),
  models: z
    .array(
      z.object({ name: z.string(), revisions: z.array(z.object({ revision: z.number().int().positive(), state: RevisionStateSchema, spec: Spec })).min(1) }),
    )
    .default([]),
  apps: z
    .array(
      z.object({
        name: z.string(),
        kind: z.enum(['container', 'light']),
        versions: z
          .array(
            z.object({
              version: z.number().int().positive(),
              state: z.enum(['draft', 'published']),
              change: z.enum(['initial', 'patch', 'upgrade']),
              spec: Spec,
            }),
          )
          .min(1),
      }),
    )
    .default([]),
  combos: z.array(z.object({ name: z.string(), state: z.enum(['draft', 'published']), spec: Spec })).default([]),
});
export type CatalogDocument = z.infer<typeof CatalogDocumentSchema>;
const NamesSchema = z.object({ models: z.array(z.string()), apps: z.array(z.string()), combos: z.array(z.string()) });
export const CatalogImportResultSchema = z.object({ created: NamesSchema, skipped: NamesSchema });
export type CatalogImportResult = z.infer<typeof CatalogImportResultSchema>;
export const CatalogExportInputSchema = z.object({
  models: z.array(z.string().regex(MODEL_ID_PATTERN)).optional(),
  apps: z.array(z.string().regex(APP_ID_PATTERN)).optional(),
  combos: z.array(z.string().regex(/^cmb_[0-9a-f]{16}$/)).optional(),
});
export type CatalogExportInput = z.infer<typeof CatalogExportInputSchema>;

// ---------------------------------------------------------------- batches and bundles
// DESIGN.md §1 step 5 and §3; the bundle layout is docs/bundle-format.md.

export const BATCH_ID_PATTERN = /^bat_[0-9a-f]{16}$/;
const COMBO_ID_PATTERN = /^cmb_[0-9a-f]{16}$/;
export const BatchCreateInputSchema = z
  .object({
    comboId: z.string().regex(COMBO_ID_PATTERN),
    /** Seats: how many activations the batch's bundles may ever get. */
    quantity: z
      .number()
      .int()
      .refine((n) => n >= 1 && n <= 1_000_000, L('The quantity is a whole number from 1 to 1,000,000.', '数量为 1 到 1,000,000 之间的整数。')),
    serialPrefix: z
      .string()
      .refine(
        (s) => /^[A-Z0-9][A-Z0-9-]{0,15}$/.test(s),
        L(
          'A serial prefix has 1–16 characters: capital letters, digits and "-", starting with a letter or digit.',
          '序列号前缀为 1–16 个字符：大写字母、数字和“-”，以字母或数字开头。',
        ),
      ),
    serialDigits: z.number().int().min(1).max(12).default(6),
  })
  .superRefine((b, ctx) => {
    if (10 ** b.serialDigits - 1 < b.quantity)
      ctx.addIssue({
        code: 'custom',
        path: ['serialDigits'],
        ...L(
          `${b.serialDigits} digits cannot number ${b.quantity} seats; use at least ${String(b.quantity).length}.`,
          `${b.serialDigits} 位数字不足以为 ${b.quantity} 个席位编号；请至少使用 ${String(b.quantity).length} 位。`,
        ),
      });
  });
export type BatchCreateInput = z.infer<typeof BatchCreateInputSchema>;
export const BundleOutputSchema = z.object({
  id: z.string(),
  kind: z.enum(['tar', 'iso']),
  file: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string(),
  compression: z.enum(['none', 'zstd']),
  createdAt: z.string(),
  /** False when the file was moved or deleted since it was built. */
  present: z.boolean(),
});
export type BundleOutput = z.infer<typeof BundleOutputSchema>;
export const BatchSchema = z.object({
  id: z.string().regex(BATCH_ID_PATTERN),
  comboId: z.string(),
  comboName: z.string(),
  modelName: z.string(),
  modelRevision: z.number().int(),
  quantity: z.number().int(),
  serialPrefix: z.string(),
  serialDigits: z.number().int(),
  firstSerial: z.string(),
  lastSerial: z.string(),
  /** The station key that signed the license. */
  keyId: z.string(),
  /** license.json, exactly as signed. */
  license: z.string(),
  createdAt: z.string(),
  outputs: z.array(BundleOutputSchema),
});
export type Batch = z.infer<typeof BatchSchema>;
export const BundleBuildInputSchema = z
  .object({
    batchId: z.string().regex(BATCH_ID_PATTERN),
    tar: z.boolean().default(true),
    iso: z.boolean().default(false),
    zstd: z.boolean().default(false),
    /** Absolute folder on the station; the data directory's bundles/<batch>/ when omitted. */
    outDir: z.string().trim().min(1).max(4096).nullable().default(null),
  })
  .refine((b) => b.tar || b.iso, { ...L('Choose a tar bundle, an ISO bundle, or both.', '请选择 tar 安装包、ISO 安装包或两者。'), path: ['tar'] });
export type BundleBuildInput = z.infer<typeof BundleBuildInputSchema>;

// ---------------------------------------------------------------- station key and activation

export const VaultStateSchema = z.object({
  method: z.enum(['os-keychain', 'passphrase']),
  /** False until the first secret is sealed: the first passphrase typed becomes the passphrase. */
  initialised: z.boolean(),
  locked: z.boolean(),
});
export const StationKeyInfoSchema = z.object({
  id: z.string(),
  /** "SHA256:…" of the public key, as people compare it. */
  fingerprint: z.string(),
  /** Compressed point, 66 hex digits: what other stations delegate to. */
  publicKeyHex: z.string(),
  publicKeyPem: z.string(),
  createdAt: z.string(),
  retiredAt: z.string().nullable(),
});
export const StationStatusSchema = z.object({
  vault: VaultStateSchema,
  key: StationKeyInfoSchema.nullable(),
  retired: z.array(StationKeyInfoSchema),
});
export type StationStatus = z.infer<typeof StationStatusSchema>;
const PassphraseSchema = z
  .string()
  .max(1024)
  .refine((v) => v.length >= 8, L('The passphrase must be at least 8 characters long.', '口令至少需要 8 个字符。'));

export const RequestInfoSchema = z.object({
  batchId: z.string(),
  /** The batch's combo name when this station knows the batch. */
  batchLabel: z.string().nullable(),
  nonce: z.string(),
  components: z.number().int(),
  machineId: z.string().nullable(),
  fingerprintId: z.string(),
});
export const ActivationSchema = z.object({
  batchId: z.string(),
  seat: z.number().int(),
  serial: z.string(),
  reactivation: z.boolean(),
  cloneOf: z.number().int().nullable(),
  fingerprintId: z.string(),
  certificate: z.string(),
  code: z.string(),
  file: z.string(),
  fileName: z.string(),
});
export type Activation = z.infer<typeof ActivationSchema>;
export const SeatStateSchema = z.enum(['available', 'reserved', 'spent', 'released', 'delegated', 'returned']);
export const SeatCountsSchema = z.object({
  total: z.number().int(),
  available: z.number().int(),
  reserved: z.number().int(),
  spent: z.number().int(),
  delegated: z.number().int(),
  returned: z.number().int(),
});
export const SeatSchema = z.object({
  seat: z.number().int(),
  serial: z.string(),
  state: SeatStateSchema,
  fingerprintId: z.string().nullable(),
  flags: z.array(z.string()),
  activations: z.number().int(),
  updatedAt: z.string().nullable(),
  delegation: z.string().nullable(),
});
export type Seat = z.infer<typeof SeatSchema>;
export const SeatPageSchema = z.object({
  batchId: z.string(),
  origin: z.enum(['own', 'delegated']),
  label: z.string(),
  quantity: z.number().int(),
  counts: SeatCountsSchema,
  seats: z.array(SeatSchema),
  /** How many seats match the filter, for paging. */
  matching: z.number().int(),
});
export type SeatPage = z.infer<typeof SeatPageSchema>;
export const LedgerEventSchema = z.object({
  seq: z.number().int(),
  at: z.string(),
  batchId: z.string(),
  seat: z.number().int().nullable(),
  kind: z.string(),
  detail: z.record(z.string(), z.unknown()),
  hash: z.string(),
});
export type LedgerEvent = z.infer<typeof LedgerEventSchema>;
export const LedgerVerdictSchema = z.object({ ok: z.boolean(), events: z.number().int(), seats: z.number().int(), problems: z.array(LocalizedTextSchema) });
export const LedgerBatchSchema = z.object({
  id: z.string(),
  origin: z.enum(['own', 'delegated']),
  label: z.string(),
  quantity: z.number().int(),
  serialPrefix: z.string(),
  serialDigits: z.number().int(),
  counts: SeatCountsSchema,
  createdAt: z.string(),
});
export type LedgerBatch = z.infer<typeof LedgerBatchSchema>;
export const DelegationSchema = z.object({
  id: z.string(),
  direction: z.enum(['sent', 'received']),
  batchId: z.string(),
  first: z.number().int(),
  last: z.number().int(),
  /** The delegate station's public key (66 hex). */
  delegateHex: z.string(),
  createdAt: z.string(),
  returnedAt: z.string().nullable(),
  /** Seats of the range spent (on the delegate; on the issuer once the return is imported). */
  spent: z.number().int(),
});
export type Delegation = z.infer<typeof DelegationSchema>;
export const FileTextSchema = z.object({ file: z.string(), fileName: z.string() });
export const ReportSchema = z.object({ csv: z.string(), signature: z.string(), fileName: z.string(), publicKeyPem: z.string() });
export const LabelSchema = z.object({ serial: z.string(), seat: z.number().int(), fingerprintId: z.string(), qr: z.string() });
const BatchIdInput = z.object({ batchId: z.string().regex(BATCH_ID_PATTERN) });
const SeatNumber = z.number().int().min(1).max(1_000_000);
export const DelegateInputSchema = z
  .object({
    batchId: z.string().regex(BATCH_ID_PATTERN),
    first: SeatNumber,
    last: SeatNumber,
    /** The other station's public key: PEM or 66 hex digits. */
    to: z
      .string()
      .trim()
      .max(4096)
      .refine((v) => v.length > 0, L('Paste the other station’s public key.', '请粘贴对方工作站的公钥。')),
  })
  .refine((d) => d.first <= d.last, { ...L('The first seat must not be after the last.', '起始席位不能大于结束席位。'), path: ['last'] });
export type DelegateInput = z.infer<typeof DelegateInputSchema>;

// ---------------------------------------------------------------- contract

// ---------------------------------------------------------------- flashing station (DESIGN.md §1 step 6)

export const FLASH_STEPS = ['connect', 'probe', 'upload', 'verify', 'install', 'activate', 'join', 'ready'] as const;
export const FlashStepSchema = z.enum(FLASH_STEPS);
export type FlashStep = z.infer<typeof FlashStepSchema>;
export const FlashStepStateSchema = z.enum(['pending', 'running', 'done', 'failed', 'skipped']);
export const FlashBoxStateSchema = z.enum(['queued', 'running', 'waiting', 'succeeded', 'failed', 'skipped', 'cancelled', 'interrupted']);
export type FlashBoxState = z.infer<typeof FlashBoxStateSchema>;

const HOST = z
  .string()
  .trim()
  .refine(
    (s) => IPV4.test(s) || /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/.test(s),
    L('A host is an IPv4 address or a host name, e.g. 192.168.1.20 or box-01.lan.', '主机为 IPv4 地址或主机名，例如 192.168.1.20 或 box-01.lan。'),
  );
const PORT = z
  .number()
  .int()
  .refine((n) => n >= 1 && n <= 65535, L('A port is a whole number from 1 to 65535.', '端口为 1 到 65535 之间的整数。'));
const LOGIN = z
  .string()
  .trim()
  .refine(
    (s) => /^[a-z_][a-z0-9_.-]{0,31}$/.test(s),
    L('A user name is 1–32 characters: a–z, 0–9, "_", "." and "-".', '用户名为 1–32 个字符：a–z、0–9、“_”、“.”、“-”。'),
  );
const CIDR = z
  .string()
  .trim()
  .refine(
    (s) => {
      const m = /^(.+)\/(\d{1,2})$/.exec(s);
      return Boolean(m && IPV4.test(m[1]!) && Number(m[2]) <= 32);
    },
    L('An address is an IPv4 CIDR, e.g. 192.168.1.10/24.', '地址为 IPv4 CIDR，例如 192.168.1.10/24。'),
  );

/** Secrets go in, sealed in the vault; they never come back out through the API. */
export const FlashCredentialsSchema = z.object({
  username: LOGIN.default('root'),
  password: z.string().max(1024).optional(),
  privateKey: z.string().max(20000).optional(),
  passphrase: z.string().max(1024).optional(),
  /** sudo's password for a user who is not root; the login password when omitted. */
  sudoPassword: z.string().max(1024).optional(),
});
export type FlashCredentials = z.infer<typeof FlashCredentialsSchema>;

export const FlashTargetSchema = z.discriminatedUnion('transport', [
  z.object({
    transport: z.literal('ssh'),
    host: HOST,
    port: PORT.default(22),
    /** Append old algorithms (sha1 key exchange, ssh-rsa, CBC ciphers) for old boxes. */
    legacyAlgorithms: z.boolean().default(false),
  }),
  z.object({
    transport: z.literal('serial'),
    path: z
      .string()
      .trim()
      .refine(
        (s) => /^\/dev\/[A-Za-z0-9/._-]+$/.test(s) || /^COM[1-9]\d{0,2}$/.test(s),
        L('A serial port is a device path (/dev/ttyUSB0) or COM1…COM999.', '串口为设备路径（/dev/ttyUSB0）或 COM1…COM999。'),
      ),
    /** Line settings; the model's provisioning console when omitted. */
    baud: z.number().int().optional(),
    /** Configure this NIC over serial, then hand over to SSH for the bulk transfer. None: everything over serial. */
    bootstrap: z
      .object({
        nic: z.string().trim().min(1).max(15),
        address: CIDR,
        gateway: z.string().trim().nullable().default(null),
        /** Where the station reaches sshd afterwards, when not at that address (a NAT or port forward between them). */
        sshHost: HOST.nullable().default(null),
        sshPort: PORT.default(22),
      })
      .nullable()
      .default(null),
  }),
]);
export type FlashTarget = z.infer<typeof FlashTargetSchema>;

export const NODE_NAME_RULE = /^(?=.{4,30}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
/** Reference rule (Platform C, add node): digits, lowercase letters and "-", not at either end, 4–30 characters. */
export const NodeNameSchema = z
  .string()
  .refine(
    (s) => NODE_NAME_RULE.test(s),
    L(
      'A node name has 4–30 characters: lowercase letters, digits and "-", not starting or ending with "-".',
      '节点名称为 4–30 个字符：小写字母、数字和“-”，且不能以“-”开头或结尾。',
    ),
  );

export const FlashBoxInputSchema = z.object({
  target: FlashTargetSchema,
  credentials: FlashCredentialsSchema,
  /** The serial number scanned off the box's label, when there is one; checked against the box's DMI serial at the probe. */
  labelSerial: z.string().trim().max(64).nullable().default(null),
  /** The node name in the cluster; made from the box serial when omitted. */
  nodeName: NodeNameSchema.nullable().default(null),
});
export type FlashBoxInput = z.infer<typeof FlashBoxInputSchema>;

/** A cluster's name on this station: also used in kubeconfig contexts, so DNS-label-like. */
export const ClusterNameSchema = z
  .string()
  .trim()
  .refine(
    (s) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(s),
    L(
      'A cluster name has 1–63 characters: lowercase letters, digits and "-", not starting or ending with "-" (e.g. line-a).',
      '集群名称为 1–63 个字符：小写字母、数字和“-”，且不能以“-”开头或结尾（例如 line-a）。',
    ),
  );

export const FlashJoinSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('none') }),
  z.object({
    mode: z.literal('new'),
    clusterName: ClusterNameSchema,
    /** Three servers (embedded etcd, --cluster-init on the first) instead of one. */
    ha: z.boolean().default(false),
    /** The API address the station uses (https://host:6443); the first server's cluster address when omitted. */
    apiEndpoint: z.string().trim().url().nullable().default(null),
  }),
  z.object({ mode: z.literal('existing'), clusterId: z.string().regex(/^cls_[0-9a-f]{16}$/) }),
]);
export type FlashJoin = z.infer<typeof FlashJoinSchema>;

export const FlashRunCreateSchema = z.object({
  batchId: z.string().regex(BATCH_ID_PATTERN),
  /** The bundle to install: the batch's newest tar bundle when omitted. */
  bundleFile: z.string().trim().min(1).max(4096).nullable().default(null),
  join: FlashJoinSchema.default({ mode: 'none' }),
  boxes: z.array(FlashBoxInputSchema).max(500).default([]),
});
export type FlashRunCreate = z.infer<typeof FlashRunCreateSchema>;

export const HardwareReportSchema = z.object({
  arch: z.string(),
  cpuModel: z.string(),
  cpuCores: z.number().int(),
  memoryMiB: z.number().int(),
  disks: z.array(z.object({ name: z.string(), sizeBytes: z.number(), model: z.string() })),
  nics: z.array(
    z.object({ name: z.string(), mac: z.string(), link: z.enum(['up', 'down', 'unknown']), addresses: z.array(z.string()), physical: z.boolean() }),
  ),
  serialDevices: z.array(z.string()),
  pciDevices: z.array(z.object({ slot: z.string(), id: z.string(), classId: z.string() })),
  dmi: z.object({ uuid: z.string(), serial: z.string(), boardSerial: z.string(), vendor: z.string(), product: z.string() }),
  hostname: z.string(),
  os: z.string(),
});
export type HardwareReport = z.infer<typeof HardwareReportSchema>;
export const HardwareCheckSchema = z.object({ check: z.string(), ok: z.boolean(), want: z.string(), found: z.string(), message: LocalizedTextSchema });
export type HardwareCheck = z.infer<typeof HardwareCheckSchema>;

export const FlashStepStatusSchema = z.object({
  step: FlashStepSchema,
  state: FlashStepStateSchema,
  attempts: z.number().int(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  error: ApiErrorDataSchema.nullable(),
  /** One line on what the step did or is doing. */
  note: z.string().nullable(),
});
export const FlashBoxSchema = z.object({
  id: z.string(),
  runId: z.string(),
  position: z.number().int(),
  label: z.string(),
  target: FlashTargetSchema,
  username: z.string(),
  labelSerial: z.string().nullable(),
  state: FlashBoxStateSchema,
  step: FlashStepSchema.nullable(),
  steps: z.array(FlashStepStatusSchema),
  bytesDone: z.number(),
  bytesTotal: z.number().nullable(),
  rateBps: z.number(),
  etaSeconds: z.number().nullable(),
  hostKey: z.object({ fingerprint: z.string(), firstUse: z.boolean() }).nullable(),
  hardware: HardwareReportSchema.nullable(),
  checks: z.array(HardwareCheckSchema),
  seat: z.number().int().nullable(),
  serial: z.string().nullable(),
  nodeName: z.string().nullable(),
  role: z.enum(['server', 'agent']).nullable(),
  /** The failing step and why; null unless failed. */
  error: ApiErrorDataSchema.extend({ step: FlashStepSchema.nullable() }).nullable(),
  jobId: z.string().nullable(),
  updatedAt: z.string(),
});
export type FlashBox = z.infer<typeof FlashBoxSchema>;
export const FlashRunSchema = z.object({
  id: z.string(),
  batchId: z.string(),
  comboName: z.string(),
  bundleFile: z.string(),
  join: FlashJoinSchema,
  clusterId: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  counts: z.record(FlashBoxStateSchema, z.number().int()),
  total: z.number().int(),
});
export type FlashRun = z.infer<typeof FlashRunSchema>;
export const FlashEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('box'), box: FlashBoxSchema }),
  z.object({ type: z.literal('run'), run: FlashRunSchema }),
]);
export type FlashEvent = z.infer<typeof FlashEventSchema>;
export const FlashSummarySchema = z.object({
  run: FlashRunSchema,
  durationSeconds: z.number().nullable(),
  /** Per step: how many boxes finished it, and the mean seconds it took. */
  steps: z.array(z.object({ step: FlashStepSchema, done: z.number().int(), failed: z.number().int(), meanSeconds: z.number().nullable() })),
  failures: z.array(z.object({ boxId: z.string(), label: z.string(), step: FlashStepSchema.nullable(), message: LocalizedTextSchema })),
  activated: z.array(z.object({ label: z.string(), serial: z.string(), seat: z.number().int(), nodeName: z.string().nullable() })),
});
export const KnownHostSchema = z.object({
  host: z.string(),
  port: z.number().int(),
  keyType: z.string(),
  fingerprint: z.string(),
  firstSeen: z.string(),
  trustedAt: z.string(),
});
export const SshScanInputSchema = z
  .object({ from: HOST, to: HOST, port: PORT.default(22), timeoutMs: z.number().int().min(100).max(10_000).default(1500) })
  .superRefine((r, ctx) => {
    const n = (ip: string) => ip.split('.').reduce((a, b) => a * 256 + Number(b), 0);
    if (!IPV4.test(r.from) || !IPV4.test(r.to))
      ctx.addIssue({ code: 'custom', path: ['to'], ...L('A scan range is two IPv4 addresses.', '扫描范围为两个 IPv4 地址。') });
    else if (n(r.to) < n(r.from) || n(r.to) - n(r.from) > 1023)
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        ...L('The range runs upwards and holds at most 1,024 addresses.', '范围须由小到大，且最多 1,024 个地址。'),
      });
  });
export const SshScanHitSchema = z.object({ host: z.string(), port: z.number().int(), banner: z.string(), known: z.boolean() });
export const SerialPortListSchema = z.object({
  ports: z.array(z.object({ path: z.string(), manufacturer: z.string().nullable(), serialNumber: z.string().nullable() })),
  /** Why the system could not list ports (no udev…): the UI offers a manual path. */
  error: LocalizedTextSchema.nullable(),
});
export const ClusterSchema = z.object({
  id: z.string(),
  name: z.string(),
  server: z.string(),
  ha: z.boolean(),
  nodes: z.array(z.object({ name: z.string(), role: z.enum(['server', 'agent']), boxId: z.string().nullable() })),
  createdAt: z.string(),
  /** Made by joining boxes here, or imported from a kubeconfig. */
  source: z.enum(['joined', 'imported']),
  /** The kubeconfig's credential, or null when there is none (not fetched yet, or revoked). */
  credential: z
    .object({
      user: z.string(),
      authKind: z.enum(['client-cert', 'token', 'other']),
      /** The client certificate's notAfter; null for a token or when unknown. */
      expiresAt: z.string().nullable(),
      subject: z.string().nullable(),
    })
    .nullable(),
  /** When the kubeconfig was last stored or revoked. */
  kubeconfigAt: z.string().nullable(),
});
export type Cluster = z.infer<typeof ClusterSchema>;
export const ClusterStatusSchema = z.object({
  id: z.string(),
  state: z.enum(['online', 'offline', 'unauthorized', 'no-credential']),
  /** The API server's version (k3s: v1.30.2+k3s1) when online. */
  version: z.string().nullable(),
  /** Why it is not online, in both languages. */
  problem: LocalizedTextSchema.nullable(),
  checkedAt: z.string(),
});
export type ClusterStatus = z.infer<typeof ClusterStatusSchema>;
export const WATCH_KINDS = ['nodes', 'pods', 'deployments', 'daemonsets', 'statefulsets', 'jobs', 'cronjobs', 'events'] as const;
export const WatchKindSchema = z.enum(WATCH_KINDS);
/** A Kubernetes object as the API server sends it (managed fields left out); the renderer reads what it shows. */
export const KubeObjectSchema = z.record(z.string(), z.unknown());
export const WatchConnectionSchema = z.object({
  state: z.enum(['connecting', 'online', 'offline']),
  since: z.string(),
  /** When the server was last heard from: how old what is shown is. */
  lastSyncAt: z.string().nullable(),
  problem: LocalizedTextSchema.nullable(),
});
export const ClusterWatchEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('snapshot'), kind: WatchKindSchema, items: z.array(KubeObjectSchema) }),
  z.object({
    type: z.literal('changes'),
    kind: WatchKindSchema,
    upserts: z.array(KubeObjectSchema),
    deletes: z.array(z.object({ namespace: z.string().nullable(), name: z.string(), uid: z.string().nullable() })),
  }),
  z.object({ type: z.literal('connection'), kind: WatchKindSchema, connection: WatchConnectionSchema }),
]);
export type ClusterWatchEvent = z.infer<typeof ClusterWatchEventSchema>;
const KUBECONFIG_TEXT = z
  .string()
  .max(1_000_000)
  .refine((s) => s.trim().length > 0, L('Paste or open a kubeconfig.', '请粘贴或打开 kubeconfig。'));
export const ClusterImportSchema = z.object({
  name: ClusterNameSchema,
  kubeconfig: KUBECONFIG_TEXT,
  /** The k3s join token, so that boxes can join the cluster too. */
  token: z.string().trim().max(4096).optional(),
});

/*
 * Cluster console: actions on a cluster's objects. What is shown comes from
 * clusters.watch; these change things, each through the Kubernetes API.
 */
const ClusterIdRef = z.string().regex(/^cls_[0-9a-f]{16}$/);
const K8S_NAME = z
  .string()
  .trim()
  .refine(
    (s) => s.length <= 253 && /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(s),
    L('A Kubernetes name: up to 253 lowercase letters, digits, "-" and ".".', 'Kubernetes 名称：最多 253 个小写字母、数字、“-”和“.”。'),
  );
const K8S_NAMESPACE = z
  .string()
  .trim()
  .refine(
    (s) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(s),
    L(
      'A namespace has 1–63 lowercase letters, digits and "-", starting and ending with a letter or digit.',
      '命名空间为 1–63 个小写字母、数字和“-”，以字母或数字开头和结尾。',
    ),
  );
export const CONSOLE_KINDS = [
  'nodes',
  'pods',
  'deployments',
  'daemonsets',
  'statefulsets',
  'jobs',
  'cronjobs',
  'services',
  'configmaps',
  'namespaces',
] as const;
export const ConsoleKindSchema = z.enum(CONSOLE_KINDS);
/** One object: a namespace for namespaced kinds, none for nodes and namespaces. */
export const ObjectRefSchema = z.object({ clusterId: ClusterIdRef, kind: ConsoleKindSchema, namespace: K8S_NAMESPACE.optional(), name: K8S_NAME });
export type ObjectRef = z.infer<typeof ObjectRefSchema>;
const NodeRef = z.object({ clusterId: ClusterIdRef, node: K8S_NAME });
export const TaintSchema = z.object({
  key: z.string().refine((k) => LABEL_KEY.test(k), L('A taint key follows the label name rule.', '污点键名遵循标签名规则。')),
  value: z
    .string()
    .refine((v) => v === '' || LABEL.test(v), L('A taint value follows the label value rule.', '污点值遵循标签值规则。'))
    .default(''),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
});
export type Taint = z.infer<typeof TaintSchema>;
export const DrainInputSchema = NodeRef.extend({
  /** Pods of DaemonSets are left where they are (their controller would recreate them at once). */
  ignoreDaemonSets: z.boolean().default(true),
  /** Pods with emptyDir volumes lose that data when evicted. */
  deleteEmptyDirData: z.boolean().default(false),
  /** Pods no controller owns are gone for good once evicted; without this the drain refuses them. */
  force: z.boolean().default(false),
  /** How long the drain keeps retrying evictions a disruption budget refuses. */
  timeoutSeconds: z.number().int().min(10).max(3600).default(300),
});
export type DrainInput = z.infer<typeof DrainInputSchema>;
export const WorkloadRefSchema = z.object({
  clusterId: ClusterIdRef,
  kind: z.enum(['deployments', 'daemonsets', 'statefulsets']),
  namespace: K8S_NAMESPACE,
  name: K8S_NAME,
});
export const RevisionSchema = z.object({
  revision: z.number().int(),
  createdAt: z.string().nullable(),
  images: z.array(z.string()),
  changeCause: z.string().nullable(),
  current: z.boolean(),
});
export const LogsInputSchema = z.object({
  clusterId: ClusterIdRef,
  namespace: K8S_NAMESPACE,
  pod: K8S_NAME,
  container: z.string().max(63).optional(),
  /** The previous (crashed or restarted) container's log. */
  previous: z.boolean().default(false),
  follow: z.boolean().default(true),
  tailLines: z.number().int().min(1).max(100_000).optional(),
  timestamps: z.boolean().default(false),
});
export type LogsInput = z.infer<typeof LogsInputSchema>;
export const LogsEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('lines'), lines: z.array(z.string()) }),
  /** The stream ended: the container stopped, the log was not following, or the connection dropped (with why). */
  z.object({ type: z.literal('end'), problem: LocalizedTextSchema.nullable() }),
]);
export type LogsEvent = z.infer<typeof LogsEventSchema>;
export const ApplyInputSchema = z.object({
  clusterId: ClusterIdRef,
  /** One or more YAML documents. */
  yaml: z
    .string()
    .max(5_000_000)
    .refine((s) => s.trim().length > 0, L('Enter the YAML to apply.', '请输入要应用的 YAML。')),
  /** Checked by the server (dryRun=All), nothing changed. */
  dryRun: z.boolean().default(false),
  /** Take over fields another manager owns (after the user has seen the conflict). */
  force: z.boolean().default(false),
});
export const ApplyResultSchema = z.object({
  dryRun: z.boolean(),
  objects: z.array(
    z.object({
      kind: z.string(),
      namespace: z.string().nullable(),
      name: z.string(),
      action: z.enum(['created', 'configured', 'unchanged']),
    }),
  ),
});
export type ApplyResult = z.infer<typeof ApplyResultSchema>;
export const NodeSelectorRequirementSchema = z.object({
  key: z
    .string()
    .refine(
      (k) => LABEL_KEY.test(k),
      L('A label name: letters, digits, "-", "_" and ".", with an optional prefix/.', '标签名：字母、数字、“-”、“_”和“.”，可带 前缀/。'),
    ),
  operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
  values: z
    .array(z.string().refine((v) => v === '' || LABEL.test(v), L('A label value follows the label value rule.', '标签值遵循标签值规则。')))
    .max(64)
    .default([]),
});
export const CatalogDeployInputSchema = z.object({
  clusterId: ClusterIdRef,
  appId: z.string().regex(APP_ID_PATTERN),
  /** A published version of the app. */
  version: z.number().int().positive(),
  namespace: K8S_NAMESPACE.default('default'),
  /** The nodes it runs on: every requirement must hold (label match). */
  selector: z.array(NodeSelectorRequirementSchema).min(1).max(16),
});
export type CatalogDeployInput = z.infer<typeof CatalogDeployInputSchema>;
export const CatalogDeployPreviewSchema = z.object({
  /** Nodes whose labels match, each with whether it can run the app (its architecture) and why not. */
  nodes: z.array(z.object({ name: z.string(), ready: z.boolean(), arch: z.string().nullable(), fits: z.boolean(), problem: LocalizedTextSchema.nullable() })),
  /** The manifests that would be applied, with the node selector in them. */
  yaml: z.string(),
});
export const MetricsSchema = z.object({
  /** False when the cluster has no metrics-server (metrics.k8s.io is not served). */
  available: z.boolean(),
  nodes: z.array(z.object({ name: z.string(), cpuMillicores: z.number(), memoryBytes: z.number() })),
  /** Each pod's usage, its containers' together, and each container's (only those metrics-server measured: running ones). */
  pods: z.array(
    z.object({
      namespace: z.string(),
      name: z.string(),
      cpuMillicores: z.number(),
      memoryBytes: z.number(),
      containers: z.array(z.object({ name: z.string(), cpuMillicores: z.number(), memoryBytes: z.number() })),
    }),
  ),
  at: z.string(),
});
export type Metrics = z.infer<typeof MetricsSchema>;

/*
 * Terminal: one session interface, one transport each (local shell, SSH,
 * serial console). Sessions live in the native I/O process and outlive the
 * renderer: a reloaded window attaches again and replays what it missed.
 */
export const TERMINAL_KINDS = ['local', 'ssh', 'serial', 'pod'] as const;
export const TerminalNewlineSchema = z.enum(['cr', 'lf', 'crlf']);
const TERM_SIZE = { cols: z.number().int().min(2).max(1000).default(80), rows: z.number().int().min(1).max(500).default(24) };
export const TerminalOpenSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('local'),
    /** A shell from terminal.shells; the user's login shell when omitted. */
    shell: z.string().trim().min(1).max(4096).optional(),
    cwd: z.string().trim().min(1).max(4096).optional(),
    ...TERM_SIZE,
  }),
  z.object({
    kind: z.literal('ssh'),
    /** A flashed box: its address and the credentials the station keeps for it. */
    boxId: z
      .string()
      .regex(/^fbx_[0-9a-f]{16}$/)
      .optional(),
    host: HOST.optional(),
    port: PORT.default(22),
    username: z.string().trim().min(1).max(64).optional(),
    password: z.string().max(1024).optional(),
    privateKey: z
      .string()
      .max(64 * 1024)
      .optional(),
    passphrase: z.string().max(1024).optional(),
    legacyAlgorithms: z.boolean().default(false),
    /** The user's explicit re-trust of a changed host key (its new fingerprint). */
    retrustFingerprint: z
      .string()
      .regex(/^SHA256:[A-Za-z0-9+/]{43}$/)
      .optional(),
    ...TERM_SIZE,
  }),
  z.object({
    kind: z.literal('serial'),
    // Any absolute path: adapters also appear as /dev/serial/by-id/… links, and virtual ports (socat, a VM's console) elsewhere.
    path: z
      .string()
      .trim()
      .refine(
        (s) => /^\/[A-Za-z0-9/._:+@-]+$/.test(s) || /^COM[1-9]\d{0,2}$/.test(s),
        L('A serial port is a device path (/dev/ttyUSB0) or COM1…COM999.', '串口为设备路径（/dev/ttyUSB0）或 COM1…COM999。'),
      ),
    baud: z
      .number()
      .refine(
        (b) => (BAUD_RATES as readonly number[]).includes(b),
        L(`Choose a standard baud rate: ${BAUD_RATES.join(', ')}.`, `请选择标准波特率：${BAUD_RATES.join('、')}。`),
      )
      .default(115200),
    dataBits: z.number().int().min(5).max(8).default(8),
    parity: z.enum(['none', 'even', 'odd', 'mark', 'space']).default('none'),
    stopBits: z.union([z.literal(1), z.literal(1.5), z.literal(2)]).default(1),
    flowControl: z.enum(['none', 'rts-cts', 'xon-xoff']).default('none'),
    /** What Enter sends. */
    newline: TerminalNewlineSchema.default('cr'),
    ...TERM_SIZE,
  }),
  z.object({
    kind: z.literal('pod'),
    /** Exec into a pod's container over the Kubernetes channel protocol (v5, else v4). */
    clusterId: ClusterIdRef,
    namespace: K8S_NAMESPACE,
    pod: K8S_NAME,
    /** The pod's first container when omitted. */
    container: z.string().max(63).optional(),
    command: z.array(z.string().min(1).max(4096)).min(1).max(64).default(['/bin/sh']),
    ...TERM_SIZE,
  }),
]);
export type TerminalOpen = z.infer<typeof TerminalOpenSchema>;
export const TerminalSessionSchema = z.object({
  id: z.string(),
  kind: z.enum(TERMINAL_KINDS),
  title: z.string(),
  /** What it is connected to: a shell's path, user@host:port, a device path. */
  target: z.string(),
  state: z.enum(['connecting', 'open', 'reconnecting', 'exited']),
  /** Why it ended or what it waits for, when it has. */
  status: LocalizedTextSchema.nullable(),
  exitCode: z.number().int().nullable(),
  cols: z.number().int(),
  rows: z.number().int(),
  /** Serial only: what Enter sends. */
  newline: TerminalNewlineSchema.nullable(),
  /** How output is carried: text, or one character per byte (serial, for the hex view; the renderer decodes UTF-8 itself). */
  encoding: z.enum(['utf8', 'bytes']),
  /** SSH only: the host key, and whether this connection trusted it for the first time. */
  hostKey: z.object({ fingerprint: z.string(), firstUse: z.boolean() }).nullable(),
  /** Characters output so far (the offset the next output starts at). */
  offset: z.number().int(),
  createdAt: z.string(),
});
export type TerminalSession = z.infer<typeof TerminalSessionSchema>;
export const TerminalEventSchema = z.discriminatedUnion('type', [
  /** Output. `offset` counts characters from the session's start; the renderer acknowledges each chunk once written. */
  z.object({ type: z.literal('data'), offset: z.number().int(), data: z.string() }),
  /** Output older than the replay buffer was dropped before this attach. */
  z.object({ type: z.literal('gap'), from: z.number().int(), to: z.number().int() }),
  z.object({ type: z.literal('session'), session: TerminalSessionSchema }),
]);
export type TerminalEvent = z.infer<typeof TerminalEventSchema>;
/** The session list's feed: a session opened or changed, or closed and forgotten. */
export const TerminalFeedEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('session'), session: TerminalSessionSchema }),
  z.object({ type: z.literal('closed'), id: z.string() }),
]);
export type TerminalFeedEvent = z.infer<typeof TerminalFeedEventSchema>;
/**
 * The Terminal's output connections in the headless host: a window's output
 * worker reads sessions' output and state straight from the native I/O
 * process, where the output is made, instead of through the API's hop in
 * the station (bench/README.md, terminal). Two per window:
 *
 * - its output socket (WebSocket, /terminal-output): first tells the window
 *   its stream (TerminalOutputHello), then takes its requests
 *   (TerminalOutputRequest, JSON text frames);
 * - its output stream (GET of the path the hello gave): a streamed HTTP
 *   response whose body is the events of every read, in order, as frames
 *   (TerminalOutputFrame). Or, if the window asks (`socket`), the same
 *   frames as the socket's binary messages, one frame each.
 *
 * Everything else, acknowledgements included, goes through the API.
 */
export const TerminalOutputRequestSchema = z.discriminatedUnion('type', [
  /** The session's events from `from`, as terminal.attach gives them, under `key`. */
  z.object({ type: z.literal('attach'), key: z.number().int().min(1), id: z.string().regex(/^trm_[0-9a-f]{16}$/), from: z.number().int().min(0) }),
  z.object({ type: z.literal('detach'), key: z.number().int().min(1) }),
  /**
   * The window's events on this socket, as binary messages of the same frames, instead of on its stream: a browser
   * keeps only six connections to a host for requests like the stream, shared by all its windows on the host.
   */
  z.object({ type: z.literal('socket') }),
]);
export type TerminalOutputRequest = z.infer<typeof TerminalOutputRequestSchema>;
/** Where a window's output stream is: the path its output socket's hello gives, with the stream's id. */
export const TERMINAL_OUTPUT_STREAM_PATH = '/terminal-output/stream';
/** The output socket's first message: the path of the window's output stream. */
export interface TerminalOutputHello {
  stream: string;
}
/** A stream's event; its end (the session was closed and forgotten); or its failure, as the API's error data. */
export type TerminalOutputMessage = { key: number; event: TerminalEvent } | { key: number; end: true } | { key: number; error: ApiErrorData };
/**
 * A `data` event on the output stream. The stream's body is frames, each
 * its length in bytes (u32, little-endian) and then that many bytes: a
 * kind, u8, then
 *
 * - kind 0, output: a header of 17 bytes (little-endian: the stream's key,
 *   u32; the number of characters, u32; their offset, f64; 1 if the
 *   session's encoding is `bytes`, else 0, u8), then the output as the
 *   screen is given it: the UTF-8 of the text, or for a `bytes` session the
 *   bytes themselves (one character per byte). The window hands the bytes
 *   to the screen as they are: nothing is parsed, and the frame moves from
 *   the worker to the page without a copy;
 * - kind 1, any other message (TerminalOutputMessage), as UTF-8 JSON.
 *
 * Written in main/terminal/output-socket.ts, read in
 * renderer/src/terminal/output-frame.ts.
 */
export interface TerminalOutputFrame {
  key: number;
  offset: number;
  /** Characters (offsets count characters): the output ends at offset + chars. */
  chars: number;
  encoding: 'utf8' | 'bytes';
  bytes: Uint8Array;
}
const SessionRef = z.object({ id: z.string().regex(/^trm_[0-9a-f]{16}$/) });
const BoxRef = z.object({ id: z.string().regex(/^fbx_[0-9a-f]{16}$/) });
const RunRef = z.object({ id: z.string().regex(/^run_[0-9a-f]{16}$/) });

export const contract = {
  system: {
    info: oc.output(SystemInfoSchema),
    doctor: oc.output(DoctorReportSchema),
    nativeHealth: oc.output(NativeHealthSchema),
    backup: oc.input(z.object({ destination: z.string().trim().min(1).max(4096).optional() })).output(BackupResultSchema),
    /** Shows a file in the OS file manager (desktop app only; `shown` is false elsewhere). */
    reveal: oc.input(z.object({ path: z.string().trim().min(1).max(4096) })).output(z.object({ shown: z.boolean() })),
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
  models: {
    list: oc.output(z.array(HardwareModelSchema)),
    get: oc.input(ModelRef).output(HardwareModelSchema),
    create: oc.input(HardwareModelSpecSchema).output(HardwareModelSchema),
    /** Edits the model's draft revision. */
    update: oc.input(z.object({ id: z.string().regex(MODEL_ID_PATTERN), spec: HardwareModelSpecSchema })).output(HardwareModelSchema),
    publish: oc.input(ModelRef).output(HardwareModelSchema),
    newRevision: oc.input(ModelRef).output(HardwareModelSchema),
    retire: oc.input(z.object({ id: z.string().regex(MODEL_ID_PATTERN), revision: z.number().int().positive() })).output(HardwareModelSchema),
    diff: oc
      .input(z.object({ id: z.string().regex(MODEL_ID_PATTERN), from: z.number().int().positive(), to: z.number().int().positive() }))
      .output(z.array(SpecChangeSchema)),
  },
  apps: {
    list: oc.output(z.array(ApplicationSchema)),
    get: oc.input(AppRef).output(ApplicationSchema),
    createContainer: oc.input(ContainerAppSpecSchema).output(ApplicationSchema),
    createLight: oc.input(LightAppSpecSchema).output(ApplicationSchema),
    /** Edits the draft version; the spec is checked against the app's kind. */
    update: oc.input(z.object({ id: z.string().regex(APP_ID_PATTERN), spec: z.unknown() })).output(ApplicationSchema),
    publish: oc.input(AppRef).output(ApplicationSchema),
    newVersion: oc.input(z.object({ id: z.string().regex(APP_ID_PATTERN), change: z.enum(['patch', 'upgrade']) })).output(ApplicationSchema),
    diff: oc
      .input(z.object({ id: z.string().regex(APP_ID_PATTERN), from: z.number().int().positive(), to: z.number().int().positive() }))
      .output(z.array(SpecChangeSchema)),
    /** Kubernetes manifests for a container app version (latest when omitted). */
    render: oc
      .input(z.object({ id: z.string().regex(APP_ID_PATTERN), version: z.number().int().positive().optional() }))
      .output(z.object({ yaml: z.string(), kinds: z.array(z.string()) })),
  },
  combos: {
    list: oc.output(z.array(ComboSchema)),
    get: oc.input(z.object({ id: z.string().regex(/^cmb_[0-9a-f]{16}$/) })).output(ComboSchema),
    /** Every reason the combo cannot run on its model; empty when it can. */
    check: oc.input(ComboSpecSchema).output(z.array(ComboProblemSchema)),
    create: oc.input(ComboSpecSchema).output(ComboSchema),
    /** Edits a draft combo. */
    update: oc.input(z.object({ id: z.string().regex(/^cmb_[0-9a-f]{16}$/), spec: ComboSpecSchema })).output(ComboSchema),
    remove: oc.input(z.object({ id: z.string().regex(/^cmb_[0-9a-f]{16}$/) })).output(z.object({ id: z.string() })),
    publish: oc.input(z.object({ id: z.string().regex(/^cmb_[0-9a-f]{16}$/) })).output(ComboSchema),
  },
  catalog: {
    /** A document with the chosen definitions (everything when none are named); combos bring the models and apps they use. */
    export: oc.input(CatalogExportInputSchema).output(CatalogDocumentSchema),
    /** Adds every definition of a document; names already here are skipped, not overwritten. */
    import: oc.input(z.object({ document: z.unknown() })).output(CatalogImportResultSchema),
  },
  batches: {
    list: oc.output(z.array(BatchSchema)),
    get: oc.input(z.object({ id: z.string().regex(BATCH_ID_PATTERN) })).output(BatchSchema),
    /** A batch of a published combo, with its license signed by the station key. */
    create: oc.input(BatchCreateInputSchema).output(BatchSchema),
  },
  bundles: {
    /** Starts a job that builds the batch's bundles; its result names the files. */
    build: oc.input(BundleBuildInputSchema).output(JobSchema),
  },
  station: {
    status: oc.output(StationStatusSchema),
    /** Unlocks the passphrase vault; on a new data directory, sets the passphrase and makes the station key. */
    unlock: oc.input(z.object({ passphrase: PassphraseSchema })).output(StationStatusSchema),
    lock: oc.output(StationStatusSchema),
    /** The current private key as an encrypted PKCS#8 PEM (openssl reads it with the passphrase). */
    exportKey: oc.input(z.object({ passphrase: PassphraseSchema })).output(FileTextSchema),
    /** Makes a backed-up key the current one; the previous key is retired and kept for verifying. */
    importKey: oc.input(z.object({ pem: z.string().min(1).max(20000), passphrase: z.string().min(1).max(1024) })).output(StationStatusSchema),
  },
  activation: {
    /** Reads a request code or file (for live checking while it is typed). */
    inspect: oc.input(z.object({ request: z.string().max(20000) })).output(RequestInfoSchema),
    /** Spends a seat (or finds the box's own) and returns the reply. */
    activate: oc.input(z.object({ request: z.string().max(20000), allowClone: z.boolean().default(false) })).output(ActivationSchema),
    batches: oc.output(z.array(LedgerBatchSchema)),
    seats: oc
      .input(
        z.object({
          batchId: z.string().regex(BATCH_ID_PATTERN),
          state: z.union([SeatStateSchema, z.literal('free')]).optional(),
          offset: z.number().int().min(0).default(0),
          limit: z.number().int().min(1).max(1000).default(100),
        }),
      )
      .output(SeatPageSchema),
    events: oc
      .input(
        z.object({
          batchId: z.string().regex(BATCH_ID_PATTERN).optional(),
          limit: z.number().int().min(1).max(1000).default(200),
          beforeSeq: z.number().int().optional(),
        }),
      )
      .output(z.array(LedgerEventSchema)),
    /** Recomputes the log's hash chain and replays it against the seats. */
    verify: oc.output(LedgerVerdictSchema),
    /** The signed production report (CSV + base64 DER signature). */
    report: oc.input(BatchIdInput).output(ReportSchema),
    labels: oc.input(BatchIdInput).output(z.object({ batchId: z.string(), label: z.string(), labels: z.array(LabelSchema) })),
    publicKey: oc.output(z.object({ pem: z.string(), hex: z.string(), fingerprint: z.string() })),
    delegations: oc.output(z.array(DelegationSchema)),
    delegate: oc.input(DelegateInputSchema).output(FileTextSchema.extend({ id: z.string() })),
    importDelegation: oc.input(z.object({ file: z.string().min(1).max(1_000_000) })).output(DelegationSchema),
    returnDelegation: oc
      .input(z.object({ id: z.string().regex(/^dlg_[0-9a-f]{16}$/) }))
      .output(FileTextSchema.extend({ returned: z.number().int(), spent: z.number().int() })),
    importReturn: oc
      .input(z.object({ file: z.string().min(1).max(50_000_000) }))
      .output(z.object({ delegation: z.string(), freed: z.number().int(), spent: z.number().int() })),
  },
  flash: {
    runs: oc.output(z.array(FlashRunSchema)),
    run: oc.input(RunRef).output(z.object({ run: FlashRunSchema, boxes: z.array(FlashBoxSchema) })),
    /** Creates a run and queues its boxes; they start as the station-wide limit allows. */
    createRun: oc.input(FlashRunCreateSchema).output(FlashRunSchema),
    addBoxes: oc.input(z.object({ runId: RunRef.shape.id, boxes: z.array(FlashBoxInputSchema).min(1).max(500) })).output(z.array(FlashBoxSchema)),
    /** Runs a failed, cancelled or skipped box again from the step that did not finish; new credentials replace the old ones (a mistyped password). */
    retryBox: oc.input(BoxRef.extend({ credentials: FlashCredentialsSchema.optional() })).output(FlashBoxSchema),
    /** Gives up on a box that is queued, waiting or failed; the rest of the run goes on. */
    skipBox: oc.input(BoxRef).output(FlashBoxSchema),
    cancelBox: oc.input(BoxRef).output(FlashBoxSchema),
    cancelRun: oc.input(RunRef).output(FlashRunSchema),
    /** The box's whole log, as text (for download). */
    boxLog: oc.input(BoxRef).output(z.object({ fileName: z.string(), text: z.string() })),
    summary: oc.input(RunRef).output(FlashSummarySchema),
    events: oc.output(eventIterator(FlashEventSchema)),
    /** Hosts in an address range that answer with an SSH banner. */
    scanSsh: oc.input(SshScanInputSchema).output(z.array(SshScanHitSchema)),
    serialPorts: oc.output(SerialPortListSchema),
    /** Closes whatever this station holds open on a serial port. */
    freeSerialPort: oc.input(z.object({ path: z.string().min(1).max(4096) })).output(z.object({ freed: z.boolean() })),
    knownHosts: oc.output(z.array(KnownHostSchema)),
    /** The explicit re-trust of a changed host key: accepted only if the host now presents this fingerprint. */
    trustHostKey: oc.input(z.object({ host: HOST, port: PORT, fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/) })).output(KnownHostSchema),
    forgetHost: oc.input(z.object({ host: HOST, port: PORT })).output(z.object({ forgotten: z.boolean() })),
  },
  clusters: {
    list: oc.output(z.array(ClusterSchema)),
    /** Asks the API server for its version: online, offline (with why), or the credential refused. */
    status: oc.input(z.object({ id: z.string() })).output(ClusterStatusSchema),
    import: oc.input(ClusterImportSchema).output(ClusterSchema),
    /** A new kubeconfig for the same cluster (a renewed certificate, a new address). */
    replaceKubeconfig: oc.input(z.object({ id: z.string(), kubeconfig: KUBECONFIG_TEXT })).output(ClusterSchema),
    revokeKubeconfig: oc.input(z.object({ id: z.string() })).output(ClusterSchema),
    remove: oc.input(z.object({ id: z.string() })).output(ClusterSchema),
    /** Live objects of some kinds of a cluster (list + watch, no polling), on one stream: snapshots, then batched changes, and each watch's connection. */
    watch: oc
      .input(z.object({ id: z.string(), kinds: z.array(WatchKindSchema).min(1).max(WATCH_KINDS.length) }))
      .output(eventIterator(ClusterWatchEventSchema)),
    /** Cordon (unschedulable: true) or uncordon a node. Returns the node as the server now has it. */
    cordon: oc.input(NodeRef.extend({ unschedulable: z.boolean() })).output(KubeObjectSchema),
    /** Cordons the node, then evicts its pods through the Eviction API (disruption budgets respected, refused evictions retried): a job with progress and cancel. */
    drain: oc.input(DrainInputSchema).output(JobSchema),
    /** Sets (value) or removes (null) labels on one or more nodes. */
    setNodeLabels: oc
      .input(
        z.object({
          clusterId: ClusterIdRef,
          nodes: z.array(K8S_NAME).min(1).max(500),
          set: NodeLabelsSchema.default({}),
          remove: z.array(z.string().regex(LABEL_KEY)).max(64).default([]),
        }),
      )
      .output(z.array(KubeObjectSchema)),
    /** Replaces a node's taints. */
    setNodeTaints: oc.input(NodeRef.extend({ taints: z.array(TaintSchema).max(64) })).output(KubeObjectSchema),
    scale: oc
      .input(
        z.object({
          clusterId: ClusterIdRef,
          kind: z.enum(['deployments', 'statefulsets']),
          namespace: K8S_NAMESPACE,
          name: K8S_NAME,
          replicas: z.number().int().min(0).max(10_000),
        }),
      )
      .output(KubeObjectSchema),
    /** A rolling restart (kubectl rollout restart): the pod template's restartedAt annotation. */
    restart: oc.input(WorkloadRefSchema).output(KubeObjectSchema),
    revisions: oc.input(WorkloadRefSchema).output(z.array(RevisionSchema)),
    /** Back to an earlier revision's pod template (kubectl rollout undo --to-revision). */
    rollback: oc.input(WorkloadRefSchema.extend({ revision: z.number().int().positive() })).output(KubeObjectSchema),
    suspendCronJob: oc.input(z.object({ clusterId: ClusterIdRef, namespace: K8S_NAMESPACE, name: K8S_NAME, suspend: z.boolean() })).output(KubeObjectSchema),
    deletePod: oc.input(z.object({ clusterId: ClusterIdRef, namespace: K8S_NAMESPACE, name: K8S_NAME })).output(z.object({ deleted: z.boolean() })),
    /** A pod container's log: lines as they come (batched), then its end. */
    logs: oc.input(LogsInputSchema).output(eventIterator(LogsEventSchema)),
    /** The whole log as a file to save. */
    logText: oc.input(LogsInputSchema.omit({ follow: true })).output(z.object({ fileName: z.string(), text: z.string() })),
    /** An object as YAML (managed fields and status left out of what is edited). */
    yaml: oc.input(ObjectRefSchema).output(z.object({ yaml: z.string(), resourceVersion: z.string().nullable() })),
    /** Server-side apply (field manager "edgeforge"); a field another manager owns is refused with CLUSTER_APPLY_CONFLICT unless forced. */
    apply: oc.input(ApplyInputSchema).output(ApplyResultSchema),
    /** The nodes a label match selects, and the manifests a catalog app version would get. */
    deployPreview: oc.input(CatalogDeployInputSchema).output(CatalogDeployPreviewSchema),
    /** Applies a published catalog app version to the nodes its label match selects. */
    deploy: oc.input(CatalogDeployInputSchema).output(ApplyResultSchema),
    /** Node and pod usage from metrics-server, when the cluster has one. */
    metrics: oc.input(z.object({ clusterId: ClusterIdRef })).output(MetricsSchema),
  },
  terminal: {
    sessions: oc.output(z.array(TerminalSessionSchema)),
    /** The local shells this station has (the login shell first). */
    shells: oc.output(z.array(z.object({ path: z.string(), name: z.string() }))),
    open: oc.input(TerminalOpenSchema).output(TerminalSessionSchema),
    /** Keystrokes and pastes. */
    write: oc.input(SessionRef.extend({ data: z.string().max(1_000_000) })).output(z.object({ ok: z.boolean() })),
    resize: oc.input(SessionRef.extend({ cols: TERM_SIZE.cols, rows: TERM_SIZE.rows })).output(z.object({ ok: z.boolean() })),
    /** The output offset written to the screen so far; output pauses while too much is not (flow control). */
    ack: oc.input(SessionRef.extend({ offset: z.number().int().min(0) })).output(z.object({ ok: z.boolean() })),
    setNewline: oc.input(SessionRef.extend({ newline: TerminalNewlineSchema })).output(TerminalSessionSchema),
    /** Ends the session: the shell is hung up, the SSH connection closed, the serial port freed. */
    close: oc.input(SessionRef).output(TerminalSessionSchema),
    /** The session's output from `from` on (what the replay buffer still has), then live, with its state changes. */
    attach: oc.input(SessionRef.extend({ from: z.number().int().min(0).default(0) })).output(eventIterator(TerminalEventSchema)),
    /** Every session's changes (opened, state, ended), so that each window's tabs stay current. */
    events: oc.output(eventIterator(TerminalFeedEventSchema)),
  },
  diagnostics: {
    /** Starts a job that streams a file through sha256. */
    hashFile: oc.input(HashFileInputSchema).output(JobSchema),
  },
};

export type ApiContract = typeof contract;
