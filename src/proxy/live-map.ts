// A HAProxy map kept two ways at once: live through the Runtime API (no reload) and in its file,
// which a reload reads. The file is written first, so it always holds the latest intent, and
// every change runs between the proxy's other changes (`exclusive`), never across a reload.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { isNotFound, parseShowMap, showMapCommand } from './commands.js';
import { runCommand, sendCommand } from './runtime-api.js';
import { writeAtomic } from './saved-state.js';
import { addMapEntryCommand, delMapEntryCommand, renderMapEntries, setMapEntryCommand } from './tls-commands.js';

export class LiveMap {
  private entries = new Map<string, string>();

  constructor(
    private readonly adminSocket: string,
    readonly file: string,
    private readonly exclusive: <T>(fn: () => Promise<T>) => Promise<T>,
  ) {}

  /** What the running HAProxy holds (after adopting it: a crash may have left it behind the file). */
  readLive(): Promise<void> {
    return this.exclusive(async () => {
      this.entries = parseShowMap(await runCommand(this.adminSocket, showMapCommand(this.file)));
    });
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  /** Before HAProxy starts (or is adopted): the file alone. */
  async prepare(next: Map<string, string>): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    await this.write(next, false);
  }

  /** Makes the map exactly `next`, live and in the file. */
  replace(next: Map<string, string>): Promise<void> {
    return this.exclusive(() => this.write(next, true));
  }

  set(key: string, value: string): Promise<void> {
    return this.exclusive(() => this.write(new Map(this.entries).set(key, value), true));
  }

  delete(key: string): Promise<void> {
    return this.exclusive(() => {
      const next = new Map(this.entries);
      next.delete(key);
      return this.write(next, true);
    });
  }

  private async write(next: Map<string, string>, live: boolean): Promise<void> {
    const before = this.entries;
    this.entries = new Map(next);
    await writeAtomic(this.file, renderMapEntries(this.entries));
    if (!live) return;
    for (const [k, v] of next) if (before.get(k) !== v) await this.setLive(k, v);
    for (const k of before.keys()) if (!next.has(k)) await this.deleteLive(k);
  }

  /** `set map` changes an entry; `add map` on an existing key would add a shadowed second one. */
  private async setLive(key: string, value: string): Promise<void> {
    const answer = await sendCommand(this.adminSocket, setMapEntryCommand(this.file, key, value));
    if (!answer.trim()) return;
    if (!isNotFound(answer)) throw new Error(`HAProxy refused to set ${key} in ${this.file}: ${answer.trim()}`);
    await runCommand(this.adminSocket, addMapEntryCommand(this.file, key, value));
  }

  private async deleteLive(key: string): Promise<void> {
    const answer = await sendCommand(this.adminSocket, delMapEntryCommand(this.file, key));
    if (answer.trim() && !isNotFound(answer)) throw new Error(`HAProxy refused to remove ${key} from ${this.file}: ${answer.trim()}`);
  }
}
