// A deploy's output lines → what the deploys page draws: sections that start at a `-----> ` line
// (Building, Pushing, Deploying…), each build step (`Step 2/6 : RUN …`) a collapsible group inside
// its section, and the failure lines (` !     …`, the failing step) marked. Pure.

export interface OutputStep {
  title: string;
  lines: string[];
  failed: boolean;
}

export interface OutputSection {
  /** The `-----> ` line without its arrow; '' for lines before the first one. */
  title: string;
  /** Lines of the section outside any step. */
  lines: string[];
  steps: OutputStep[];
  failed: boolean;
}

const HEADER = /^-----> (.*)$/;
const STEP = /^\s*(Step \d+\/\d+ : .*)$/;
/** Heroku's error marker, as the pipeline and the git hook print it. */
export const FAILURE = /^ !\s/;

export function groupOutput(lines: readonly string[]): OutputSection[] {
  const sections: OutputSection[] = [];
  let section: OutputSection | null = null;
  for (const line of lines) {
    const header = HEADER.exec(line);
    if (header) {
      section = { title: header[1]!, lines: [], steps: [], failed: false };
      sections.push(section);
      continue;
    }
    if (!section) {
      section = { title: '', lines: [], steps: [], failed: false };
      sections.push(section);
    }
    const step = STEP.exec(line);
    if (step) {
      section.steps.push({ title: step[1]!, lines: [], failed: false });
      continue;
    }
    const into = section.steps.at(-1);
    if (FAILURE.test(line)) {
      section.failed = true;
      // A build failure is reported after the step's output: it is that step that failed.
      if (into) into.failed = true;
    }
    (into ? into.lines : section.lines).push(line);
  }
  return sections;
}

/** The outcome the server sends last (`event: status`). */
export interface DeployOutcome {
  status: 'succeeded' | 'failed' | 'superseded' | 'interrupted';
  release?: number;
  error?: string;
}

/** The banner under a finished deploy: `Deployed v7`, `Failed: …`. */
export function outcomeText(o: DeployOutcome): string {
  if (o.status === 'succeeded') return o.release ? `Deployed v${o.release}` : 'Done';
  if (o.status === 'failed') return `Failed: ${o.error ?? 'see the output above'}`;
  if (o.status === 'superseded') return 'Skipped: a newer push replaced it';
  return `Interrupted: ${o.error ?? 'Slipway stopped during the deploy'}`;
}
