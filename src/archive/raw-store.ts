import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, openSync, fstatSync, closeSync, readSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { syncToDisk, writeDurably } from '../util/sync-to-disk.js';

export interface StoredBlob {
  sha256: string;
  size: number;
  path: string;
}

/**
 * The raw archive: every message exactly as received, content-addressed by sha256, written
 * before anything parses it. Files are written to a temporary name, fsynced and renamed, so a
 * crash leaves either the whole message or nothing, never a truncated file under a real hash.
 */
export class RawStore {
  constructor(readonly dir: string) {
    mkdirSync(join(dir, 'tmp'), { recursive: true });
  }

  pathOf(sha256: string): string {
    return join(this.dir, sha256.slice(0, 2), sha256.slice(2, 4), `${sha256}.eml`);
  }

  has(sha256: string): boolean {
    return existsSync(this.pathOf(sha256));
  }

  read(sha256: string): Buffer {
    return readFileSync(this.pathOf(sha256));
  }

  /** The first `max` bytes (the header block, a charset declaration), without reading the rest. */
  readHead(sha256: string, max: number): Buffer {
    const fd = openSync(this.pathOf(sha256), 'r');
    try {
      // Sized to the file: a message smaller than `max` (nearly all) costs its own size, not `max`.
      const buf = Buffer.allocUnsafe(Math.min(max, fstatSync(fd).size));
      let n = 0;
      for (let got = -1; n < buf.length && got !== 0; n += got) got = readSync(fd, buf, n, buf.length - n, n);
      return buf.subarray(0, n);
    } finally {
      closeSync(fd);
    }
  }

  async put(bytes: Buffer): Promise<StoredBlob> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const path = this.pathOf(sha256);
    if (!existsSync(path)) {
      const tmp = this.tmpName();
      await writeDurably(tmp, bytes);
      await this.commit(tmp, path);
    }
    return { sha256, size: bytes.length, path };
  }

  /**
   * Stores a stream without holding it in memory; the hash is computed while writing, and
   * `observe` sees every chunk on the way (to compute more than the hash in the same pass).
   */
  async putStream(source: Readable, observe?: (chunk: Buffer) => void): Promise<StoredBlob> {
    const tmp = this.tmpName();
    const hash = createHash('sha256');
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        observe?.(chunk);
        cb(null, chunk);
      },
    });
    const out = createWriteStream(tmp);
    try {
      await pipeline(source, tap, out);
    } catch (err) {
      // A source that fails before the temp file is open rejects the pipeline at once, while the
      // write stream's open() is still on the thread pool: it would create the file after the
      // removal below. The stream is closed (once open) before the file is removed.
      if (!out.closed) await new Promise<void>((closed) => out.once('close', () => closed()));
      rmSync(tmp, { force: true });
      throw err;
    }
    const sha256 = hash.digest('hex');
    const path = this.pathOf(sha256);
    if (existsSync(path)) rmSync(tmp, { force: true });
    else {
      await syncToDisk(tmp);
      await this.commit(tmp, path);
    }
    return { sha256, size, path };
  }

  /**
   * Removes the temp files of writes that can no longer finish: a process killed mid-write (a
   * crash, a power cut, kill -9) leaves its temp file, and nothing else ever removes it. A temp
   * file is named after the process writing it; it is stale once it is an hour untouched (a write
   * in progress keeps its file fresh) and that process is gone, or it is this process's own pid
   * but older than this process (a container restarted: the service is pid 1 again). The hour
   * matters because a pid is only checked in this pid namespace: another container on a shared
   * volume has its own. The archive itself is never touched: a message is only ever under its
   * hash once whole.
   */
  removeStaleTemp(): number {
    const tmp = join(this.dir, 'tmp');
    const started = Date.now() - process.uptime() * 1000;
    const untouchedSince = Date.now() - STALE_AFTER_MS;
    let removed = 0;
    for (const name of readdirSync(tmp)) {
      const path = join(tmp, name);
      const pid = Number(/^(\d+)-/.exec(name)?.[1] ?? NaN);
      try {
        const mtime = statSync(path).mtimeMs;
        if (mtime > untouchedSince) continue;
        if (pid === process.pid ? mtime >= started : Number.isInteger(pid) && alive(pid)) continue;
        rmSync(path, { force: true });
        removed++;
      } catch {
        // Gone meanwhile, or not ours to remove: left for the next start.
      }
    }
    return removed;
  }

  private tmpName(): string {
    return join(this.dir, 'tmp', `${process.pid}-${randomBytes(8).toString('hex')}`);
  }

  /**
   * A temp file already synced goes under its name, and the name reaches the disk before the
   * caller records it: the fsyncs run on libuv's thread pool, so the next message is parsed
   * meanwhile.
   */
  private async commit(tmp: string, path: string): Promise<void> {
    const dir = dirname(path);
    const created = mkdirSync(dir, { recursive: true });
    renameSync(tmp, path);
    // A rename is durable once its directory is synced (POSIX; ext4 and XFS need it), and a new
    // directory once its parent is: from the first directory created down to the file's.
    const changed = [dir];
    if (created !== undefined) for (let d = dir; d !== dirname(created) && d !== dirname(d); d = dirname(d)) changed.push(dirname(d));
    // Side by side: each sync makes one entry durable, and the caller records the file only once
    // all of them have returned.
    await Promise.all(changed.map((d) => syncToDisk(d)));
  }
}

const STALE_AFTER_MS = 3600_000;

/** Whether a process exists (EPERM: it does, under another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
