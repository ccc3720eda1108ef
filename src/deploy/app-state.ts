// What the apps list says an app is doing, from facts the state and the engine give (pure):
// deploying while a deployment is queued or running; serving while containers of its serving
// release run; stopped when none do (scaled to 0, or exited); failed when it has never deployed
// and its last attempt failed; new before its first deploy. A failed deploy that left the previous
// release serving is "serving" — the last deploy's own status says it failed.
export type AppState = 'serving' | 'deploying' | 'failed' | 'stopped' | 'new';

export interface AppFacts {
  /** Version of the serving release, if any. */
  release: number | null;
  /** Status of the newest deployment, if any. */
  lastDeploy: string | null;
  /** Running containers of the serving release. */
  running: number;
}

export function appState(f: AppFacts): AppState {
  if (f.lastDeploy === 'queued' || f.lastDeploy === 'running') return 'deploying';
  if (f.release === null) return f.lastDeploy === 'failed' || f.lastDeploy === 'interrupted' ? 'failed' : 'new';
  return f.running > 0 ? 'serving' : 'stopped';
}
