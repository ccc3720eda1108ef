// Opens Slipway's state database (SQLite, better-sqlite3) and brings its schema up to date
// with numbered migrations, each applied once inside a transaction.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { MIGRATIONS, type MigrationContext } from './migrations.js';

export type Db = Database.Database;

export function openDb(file: string, ctx: MigrationContext): Db {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // Deleted and overwritten rows are zeroed in the file, so a value sealed since (or a plaintext
  // one the migration encrypted) leaves no readable copy in a free page.
  db.pragma('secure_delete = ON');
  // …nor in the write-ahead log, whose old frames would still hold the pages as they were.
  if (migrate(db, ctx) > 0) db.pragma('wal_checkpoint(TRUNCATE)');
  return db;
}

export function migrate(db: Db, ctx: MigrationContext): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  const done = new Set(
    db.prepare('SELECT version FROM schema_migrations').all().map((r) => (r as { version: number }).version),
  );
  let applied = 0;
  MIGRATIONS.forEach((step, i) => {
    const version = i + 1;
    if (done.has(version)) return;
    db.transaction(() => {
      if (typeof step === 'string') db.exec(step);
      else step(db, ctx);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(version, now());
    })();
    applied++;
  });
  return applied;
}

export function now(): string {
  return new Date().toISOString();
}
