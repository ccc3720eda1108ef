// Compose labels that make a service a batch job and put it on a schedule: Slipway's own
// (`slipway.job*`, `slipway.schedule*`) and the Aliyun names they alias (`aliyun.project_type:
// batch`, `aliyun.retry_count`, `aliyun.remove_containers`, `aliyun.schedule`, `aliyun.scale`,
// `aliyun.depends`), so a file written for that platform deploys unchanged. Every value is
// checked here; the graph-wide rules (who may depend on a job) are in checkJobGraph.
import { REMOVE_POLICIES, type Concurrency, type JobSpec, type RemovePolicy, type ScheduleSpec } from '../domain.js';
import { checkCron, checkTimezone } from '../jobs/cron.js';
import type { KeyPath, Problems } from './compose-source.js';
import { isTrue, parseCount, parseDuration } from './compose-values.js';

/** Job labels Slipway reads; any other `slipway.job.*`/`slipway.schedule.*` is refused by name. */
export const JOB_LABELS = [
  'slipway.job', 'slipway.job.retries', 'slipway.job.remove_containers', 'slipway.job.webhook',
  'slipway.schedule', 'slipway.schedule.timezone', 'slipway.schedule.concurrency', 'slipway.schedule.deadline', 'slipway.schedule.history',
] as const;

/** Aliyun's labels and the Slipway label each one stands for. */
export const ALIYUN_ALIASES: Record<string, string> = {
  'aliyun.retry_count': 'slipway.job.retries',
  'aliyun.remove_containers': 'slipway.job.remove_containers',
  'aliyun.schedule': 'slipway.schedule',
  'aliyun.scale': 'slipway.scale',
};

export const DEFAULT_SCHEDULE = { concurrency: 'forbid' as Concurrency, deadlineSeconds: 300, history: 20 };
export const MAX_RETRIES = 100;

export interface JobLabels {
  /** `slipway.job: "true"`. */
  job: boolean;
  /** `aliyun.project_type: batch`: every service of the file is a job. */
  batchFile: boolean;
  spec: JobSpec;
  /** `aliyun.scale`. */
  scale?: number;
  /** `aliyun.depends`: services this one waits for. */
  depends: string[];
  /** Labels read here, which are not set on the container. */
  consumed: string[];
  /** Job labels written on the service (they need it to be a job). */
  written: string[];
}

const isJobLabel = (k: string) => k === 'slipway.job' || k.startsWith('slipway.job.') || k === 'slipway.schedule' || k.startsWith('slipway.schedule.');

/** Whether the label is one this file reads (the caller leaves the others to its own rules). */
export const handlesLabel = (k: string) => isJobLabel(k) || (k.startsWith('aliyun.') && !k.startsWith('aliyun.auto_scaling.'));

export function jobLabels(labels: Record<string, string>, base: KeyPath, problems: Problems, warn: (path: KeyPath, line: string) => void): JobLabels {
  const out: JobLabels = { job: false, batchFile: false, spec: { retries: 0, removeContainers: 'remove-finished' }, depends: [], consumed: [], written: [] };
  const schedule: Partial<ScheduleSpec> = {};
  for (const [k, v] of Object.entries(labels)) {
    if (!handlesLabel(k)) continue;
    const path = [...base, 'labels', k];
    const key = ALIYUN_ALIASES[k] ?? k;
    const problem = (m: string) => problems.add(path, m);
    out.consumed.push(k);
    if (key.startsWith('slipway.job.') || key.startsWith('slipway.schedule')) out.written.push(k);
    try {
      switch (key) {
        case 'slipway.job':
          if (!/^(true|false|yes|no|1|0)$/i.test(v.trim())) problem(`must be "true" or "false", not ${JSON.stringify(v)}`);
          out.job = isTrue(v);
          break;
        case 'aliyun.project_type':
          if (v.trim() === 'batch') out.batchFile = true;
          else if (v.trim() !== 'service') problem(`must be batch or service, not ${JSON.stringify(v)}`);
          break;
        case 'slipway.job.retries': {
          const n = parseCount(v, 'a whole number of retries');
          if (n > MAX_RETRIES) problem(`at most ${MAX_RETRIES} retries`);
          out.spec.retries = n;
          break;
        }
        case 'slipway.job.remove_containers':
          if (!(REMOVE_POLICIES as readonly string[]).includes(v.trim())) problem(`must be one of ${REMOVE_POLICIES.join(', ')}, not ${JSON.stringify(v)}`);
          else out.spec.removeContainers = v.trim() as RemovePolicy;
          break;
        case 'slipway.job.webhook':
          // Empty (an unset `${RESULT_URL:-}`) means no webhook.
          if (v.trim() === '') break;
          if (!/^https?:\/\/[^\s]+$/.test(v.trim())) problem(`must be an http:// or https:// URL, not ${JSON.stringify(v)}`);
          else out.spec.webhook = v.trim();
          break;
        case 'slipway.schedule':
          checkCron(v);
          schedule.cron = v.trim();
          break;
        case 'slipway.schedule.timezone':
          checkTimezone(v.trim());
          schedule.timezone = v.trim();
          break;
        case 'slipway.schedule.concurrency':
          if (!['forbid', 'allow', 'replace'].includes(v.trim())) problem(`must be forbid, allow or replace, not ${JSON.stringify(v)}`);
          else schedule.concurrency = v.trim() as Concurrency;
          break;
        case 'slipway.schedule.deadline':
          schedule.deadlineSeconds = parseDuration(v);
          break;
        case 'slipway.schedule.history': {
          const n = parseCount(v, 'a whole number of runs');
          if (n < 1) problem('keep at least 1 run');
          schedule.history = n;
          break;
        }
        case 'slipway.scale':
          out.scale = parseCount(v, 'a whole number of containers');
          break;
        case 'aliyun.depends':
          out.depends = v.split(',').map((s) => s.trim()).filter(Boolean);
          break;
        default:
          if (isJobLabel(k)) problem(`unknown job label (known: ${JOB_LABELS.join(', ')})`);
          else {
            // Aliyun's routing, probes, load balancers… are that platform's; say so, keep deploying.
            out.consumed.pop();
            warn(path, `${k} is an Aliyun label Slipway does not use; it is only set on the container`);
          }
      }
    } catch (e) {
      problem((e as Error).message);
    }
  }
  const scheduleKeys = Object.keys(schedule);
  if (scheduleKeys.length && !schedule.cron) problems.add([...base, 'labels'], 'slipway.schedule.* settings need a `slipway.schedule` cron expression');
  else if (schedule.cron) out.spec.schedule = { ...DEFAULT_SCHEDULE, ...schedule, cron: schedule.cron, taskOnly: false };
  return out;
}

/** Whether any service says `aliyun.project_type: batch` (map or `KEY=VALUE` list labels). */
export function declaresBatch(services: Record<string, unknown>): boolean {
  return Object.values(services).some((s) => {
    const labels = (s as { labels?: unknown } | null)?.labels;
    if (Array.isArray(labels)) return labels.some((l) => String(l).trim() === 'aliyun.project_type=batch');
    return typeof labels === 'object' && labels !== null && String((labels as Record<string, unknown>)['aliyun.project_type']).trim() === 'batch';
  });
}

interface GraphService {
  name: string;
  role: string;
  dependsOn: { service: string; condition: string }[];
  ports: number[];
}

/**
 * Rules across services: a long-running service cannot wait for a job (jobs run only in runs),
 * a job waits for another job to complete or start (it has no health), jobs get no traffic.
 */
export function checkJobGraph(services: GraphService[], raw: Record<string, unknown>, problems: Problems): void {
  const byName = new Map(services.map((s) => [s.name, s]));
  for (const s of services) {
    const base = ['services', s.name];
    const written = (raw[s.name] as Record<string, unknown> | undefined)?.depends_on;
    const depPath = (dep: string) => [...base, 'depends_on', Array.isArray(written) ? written.map(String).indexOf(dep) : dep];
    for (const d of s.dependsOn) {
      const target = byName.get(d.service);
      if (!target || target.role !== 'job') continue;
      if (s.role !== 'job')
        problems.add(depPath(d.service), `${d.service} is a job, which runs only with \`slipway jobs:run\` or on its schedule; a long-running service cannot wait for it (make ${s.name} a job too, or drop the dependency)`);
      else if (d.condition === 'service_healthy')
        problems.add(depPath(d.service), 'a job waits for another job to complete (service_completed_successfully) or to start (service_started), not to be healthy');
    }
    if (s.role !== 'job') continue;
    if (s.ports.length) problems.add([...base, (raw[s.name] as Record<string, unknown>)?.ports ? 'ports' : 'expose'], 'a job gets no traffic; remove it (or the slipway.job label)');
  }
}
