import { existsSync, readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileReceiptTime } from '../mail/receipt-time.js';
import type { SourceMessage } from '../pipeline/archive.js';
import type { MessageSource } from './source.js';

export function isMaildir(dir: string): boolean {
  return existsSync(join(dir, 'cur')) && existsSync(join(dir, 'new'));
}

/**
 * Lists message files under the given paths: a file as itself; a Maildir's new/ and cur/
 * (never tmp/, where deliveries are still being written); any other folder recursively, its
 * .eml files. Oldest first by modification time, then by name.
 */
export function listMessageFiles(paths: string[]): string[] {
  const found: Array<{ path: string; mtime: number }> = [];
  const add = (p: string) => {
    // A Maildir reader may move a file from new/ to cur/ between readdir and stat.
    const st = statSync(p, { throwIfNoEntry: false });
    if (st?.isFile()) found.push({ path: p, mtime: st.mtimeMs });
  };
  const walk = (dir: string) => {
    if (isMaildir(dir)) {
      for (const sub of ['new', 'cur']) {
        for (const name of readdirSync(join(dir, sub))) {
          if (!name.startsWith('.')) add(join(dir, sub, name));
        }
      }
      return;
    }
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile() && /\.eml$/i.test(entry.name)) add(p);
    }
  };
  for (const raw of paths) {
    const p = resolve(raw);
    const st = statSync(p);
    if (st.isDirectory()) walk(p);
    else add(p);
  }
  found.sort((a, b) => a.mtime - b.mtime || a.path.localeCompare(b.path));
  return [...new Set(found.map((f) => f.path))];
}

export async function readMessageFile(path: string): Promise<SourceMessage> {
  const raw = await readFile(path);
  const { at, basis } = await fileReceiptTime(raw, path);
  return { source: path, raw, receivedAt: at, receivedBasis: basis };
}

/** Message files, folders of them, or Maildirs. The source id of a message is its absolute path. */
export class FileSource implements MessageSource {
  readonly name: string;
  private readonly paths: string[];

  constructor(paths: string[]) {
    this.paths = paths.map((p) => resolve(p));
    this.name = `files:${this.paths.join(',')}`;
  }

  async *scan(known: (source: string) => Promise<boolean>): AsyncIterable<SourceMessage> {
    for (const path of listMessageFiles(this.paths)) {
      if (await known(path)) continue;
      yield await readMessageFile(path);
    }
  }

  /**
   * fs.watch is a hint, not a guarantee (it misses events on some filesystems and coalesces
   * others), so the service also rescans on a timer; this only makes new mail show up sooner.
   */
  watch(changed: () => void): () => void {
    const watchers: FSWatcher[] = [];
    for (const p of this.paths) {
      const dirs = isMaildir(p) ? [join(p, 'new'), join(p, 'cur')] : statSync(p).isDirectory() ? [p] : [];
      for (const d of dirs) {
        try {
          watchers.push(watch(d, { persistent: false }, () => changed()));
        } catch {
          // Polling still covers this directory.
        }
      }
    }
    return () => watchers.forEach((w) => w.close());
  }
}
