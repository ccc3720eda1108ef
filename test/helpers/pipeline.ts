// Stub stages for unit tests of the pipeline (src/queue/pipeline.ts): a revision is an empty temp
// dir, a build an image ref with no services, a rollout what the test says (by default it does
// nothing). The pipeline itself and its state are real.
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import type { PipelineStages } from '../../src/queue/pipeline.js';

export const STUB_SHA = 'a'.repeat(40);

export function stubStages(tmp: string, rollout: PipelineStages['rollout'] = async () => undefined): PipelineStages {
  const digest = `sha256:${'0'.repeat(64)}`;
  return {
    revision: async (d, a) => ({ app: a.name, sha: d.sha ?? STUB_SHA, ref: 'refs/heads/main', dir: mkdtempSync(path.join(tmp, 'src-')) }),
    buildAndPush: async (_rev, a, version) => ({
      image: { repository: `127.0.0.1:5000/${a.name}`, tags: [`v${version}`], digest, ref: `127.0.0.1:5000/${a.name}@${digest}` },
      services: [],
      appJson: null,
      releaseCommand: null,
      serviceSource: null,
    }),
    servicesUnder: async () => [],
    rollout,
  };
}
