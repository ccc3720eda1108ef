// What the API answers, as the dashboard reads it (see src/api/*-routes.ts).

export type AppState = 'serving' | 'deploying' | 'failed' | 'stopped' | 'new';

export interface AppSummary {
  name: string;
  createdAt: string;
  url: string;
  gitRemote: string;
  release: string | null;
  state: AppState | null;
  running: number | null;
  lastDeploy: { id: number; trigger: string; status: string; release: string | null; at: string; error: string | null } | null;
  repo: { url: string; branch: string | null } | null;
}

export interface Deployment {
  id: number;
  app: string;
  trigger: string;
  sha: string | null;
  ref: string | null;
  status: string;
  releaseVersion: number | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface ReleaseInfo {
  version: number;
  trigger: string | null;
  description: string;
  status: string;
  sha: string | null;
  image: string;
  digest: string;
  createdAt: string;
  error: string | null;
}

export interface ContainerInfo {
  service: string | null;
  name: string;
  kind: string;
  color: string | null;
  release: string;
  state: string;
  health: string | null;
  port: number | null;
  restarts: number | null;
}

export interface Webhooks {
  github: string;
  gitlab: string;
  generic: string;
  secret: string;
}

export interface LogEntry {
  ts: string;
  app: string;
  service: string;
  container: string;
  stream: string;
  release: number | null;
  line: string;
}

export interface MetricsView {
  app: string;
  from: number;
  to: number;
  step: number;
  times: number[];
  services: { service: string; current: Record<string, number | null>; series: Record<string, (number | null)[]> }[];
  units: Record<string, string>;
}

export interface AppTotals {
  times: number[];
  step: number;
  apps: Record<string, { cpu: (number | null)[]; requests: (number | null)[] }>;
}

export interface AutoscaleEvent {
  service: string;
  from: number;
  to: number;
  reason: string;
  outcome: string;
  createdAt: string;
}

/** /api/events payloads. */
export type Change =
  | { kind: 'app'; app: string; change: 'created' | 'destroyed' }
  | { kind: 'deployment'; app: string; id: number; trigger: string; status: string; releaseVersion: number | null };
