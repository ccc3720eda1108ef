// Compose files for job tests: a one-job app whose task prints its run id and sleeps.

/** `tick` sleeps `seconds` (or the app's config SLEEP) on the schedule `cron` (UTC); `extra` adds labels. */
export function scheduledCompose(cron: string, seconds: number, extra: Record<string, string> = {}): string {
  const labels = { 'slipway.job': 'true', 'slipway.schedule': cron, 'slipway.schedule.timezone': 'UTC', ...extra };
  return [
    'services:',
    '  tick:',
    '    build: .',
    `    command: ["python3", "-c", "import time, os; print('tick', os.environ['SLIPWAY_RUN_ID'], flush=True); time.sleep(float(os.environ.get('SLEEP', '${seconds}')))"]`,
    '    labels:',
    ...Object.entries(labels).map(([k, v]) => `      ${k}: "${v}"`),
  ].join('\n') + '\n';
}
