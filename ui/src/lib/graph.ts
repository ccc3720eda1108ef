// Lays out a job task graph for drawing (pure): a task's column is the length of the longest
// chain of tasks it waits for, rows fill each column in name order; edges go from what a task
// waits for to the task.

export interface GraphTask {
  name: string;
  /** Names of the tasks it waits for (the API's `dependsOn`, condition stripped). */
  after: string[];
}

export interface PlacedTask {
  name: string;
  column: number;
  row: number;
}

export interface GraphLayout {
  tasks: PlacedTask[];
  edges: { from: string; to: string }[];
  columns: number;
  rows: number;
}

/** `db (completed_successfully)` → `db`. */
export const dependencyName = (d: string) => d.replace(/\s*\(.*\)\s*$/, '').trim();

export function layoutGraph(tasks: GraphTask[]): GraphLayout {
  const byName = new Map(tasks.map((t) => [t.name, t]));
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    // A cycle cannot pass the compose checks; guard anyway instead of recursing forever.
    if (visiting.has(name)) return 0;
    visiting.add(name);
    const t = byName.get(name);
    const d = t ? Math.max(-1, ...t.after.filter((a) => byName.has(a)).map(depthOf)) + 1 : 0;
    visiting.delete(name);
    depth.set(name, d);
    return d;
  };
  const columns: string[][] = [];
  for (const t of [...tasks].sort((a, b) => a.name.localeCompare(b.name))) (columns[depthOf(t.name)] ??= []).push(t.name);
  const placed: PlacedTask[] = [];
  columns.forEach((names, column) => names.forEach((name, row) => placed.push({ name, column, row })));
  const edges = tasks.flatMap((t) => t.after.filter((a) => byName.has(a)).map((a) => ({ from: a, to: t.name })));
  return { tasks: placed, edges, columns: columns.length, rows: Math.max(0, ...columns.map((c) => c?.length ?? 0)) };
}
