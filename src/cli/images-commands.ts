// Base images: `slipway images` (what FROM finds in Slipway's registry, with digests) and
// `slipway images:import FILE.tar` (a `docker save` archive, pushed there for every later build).
import { createReadStream, existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { ApiClient } from './client.js';
import { printList } from './output.js';

export function registerImagesCommands(program: Command, client: () => ApiClient): void {
  program
    .command('images')
    .description("base images in Slipway's registry that a Dockerfile's FROM can use, with their digests")
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const rows = await client().get<Record<string, unknown>[]>('/api/images');
      printList(rows, ['name', 'digest'], opts.json);
    });

  program
    .command('images:import <file>')
    .description('import a `docker save` archive (FILE.tar) into the registry, so builds find its images')
    .action(async (file: string) => {
      if (!existsSync(file)) throw new Error(`${file} does not exist (make it with: docker save IMAGE:TAG -o ${file})`);
      let body = '';
      for await (const line of client().lines('POST', '/api/images/import', createReadStream(file), 'application/x-tar')) body += line;
      for (const i of JSON.parse(body) as { name: string; pushedAs: string | null; digest: string | null }[])
        console.log(i.pushedAs ? `-----> ${i.name}: imported as ${i.pushedAs} (${i.digest})` : `-----> ${i.name}: loaded on this engine (not a Docker Hub name, so not mirrored)`);
    });
}
