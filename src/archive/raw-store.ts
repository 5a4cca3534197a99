import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, openSync, fsyncSync, closeSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';

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
      const buf = Buffer.alloc(max);
      return buf.subarray(0, readSync(fd, buf, 0, max, 0));
    } finally {
      closeSync(fd);
    }
  }

  put(bytes: Buffer): StoredBlob {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const path = this.pathOf(sha256);
    if (!existsSync(path)) {
      const tmp = this.tmpName();
      writeFileSync(tmp, bytes);
      this.commit(tmp, path);
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
    try {
      await pipeline(source, tap, createWriteStream(tmp));
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
    const sha256 = hash.digest('hex');
    const path = this.pathOf(sha256);
    if (existsSync(path)) rmSync(tmp, { force: true });
    else this.commit(tmp, path);
    return { sha256, size, path };
  }

  private tmpName(): string {
    return join(this.dir, 'tmp', `${process.pid}-${randomBytes(8).toString('hex')}`);
  }

  private commit(tmp: string, path: string): void {
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    mkdirSync(join(path, '..'), { recursive: true });
    renameSync(tmp, path);
  }
}
