import type { Limits } from '../rules/schema.js';

/** A named, recorded reason a file could not be read. Messages are shown to the sender (Chinese). */
export class UnreadableError extends Error {
  constructor(
    readonly code: string,
    /** Chinese, for the sender: what is wrong and what to do. */
    message: string,
    /** Technical detail for staff (a library's own error text); never put in a reply. */
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'UnreadableError';
  }
}

/**
 * The error codes containers record, so that reports and tests can name them:
 *  too-large        one file (attachment or archive entry) over `max_attachment_bytes`
 *  expanded-limit   the message's expanded bytes over `max_expanded_bytes`
 *  too-many-entries an archive with more entries than `max_archive_entries`
 *  too-many-files   the message holds more files in all than `max_files`
 *  too-deep         containers nested deeper than `max_depth`
 *  zip-bomb         a compression ratio over `max_compression_ratio`, or an entry larger than it said
 *  encrypted        a password-protected archive or entry
 *  corrupt-archive  an archive that cannot be opened
 *  corrupt-message  a forwarded message that cannot be parsed
 *  unsupported-archive  an archive format intake cannot open
 */
export type ContainerErrorCode =
  | 'too-large'
  | 'expanded-limit'
  | 'too-many-entries'
  | 'too-many-files'
  | 'too-deep'
  | 'zip-bomb'
  | 'encrypted'
  | 'corrupt-archive'
  | 'corrupt-message'
  | 'unsupported-archive';

/**
 * What one message may still expand to. Shared by every container inside it, so a zip of zips
 * cannot multiply the limits.
 */
export class ExpansionBudget {
  expandedBytes = 0;
  files = 0;
  constructor(readonly limits: Limits) {}

  /** Bytes still allowed out of archives for this message. */
  get remaining(): number {
    return Math.max(0, this.limits.max_expanded_bytes - this.expandedBytes);
  }

  /** Reserve room for `bytes` more expanded bytes, or refuse with a named error. */
  take(bytes: number): void {
    if (bytes > this.limits.max_attachment_bytes) throw tooLarge(bytes, this.limits.max_attachment_bytes);
    if (this.expandedBytes + bytes > this.limits.max_expanded_bytes) throw expandedLimit(this.limits.max_expanded_bytes);
    this.expandedBytes += bytes;
  }

  /** Count bytes already expanded under a reader's own per-file checks. */
  charge(bytes: number): void {
    this.expandedBytes += bytes;
  }

  /** Give back bytes reserved and not used (an entry smaller than it said, a failed entry). */
  giveBack(bytes: number): void {
    this.expandedBytes = Math.max(0, this.expandedBytes - bytes);
  }

  /** Count one more file listed for the message, or refuse. */
  countFile(): void {
    if (this.files >= this.limits.max_files) {
      throw new UnreadableError('too-many-files', `邮件内文件总数超过上限 ${this.limits.max_files} 个，其余文件未打开`);
    }
    this.files++;
  }

  /** Whether a declared size and packed size make a bomb. Small files are never judged by ratio. */
  checkRatio(uncompressed: number, compressed: number): void {
    if (uncompressed <= 1024 * 1024) return;
    const ratio = uncompressed / Math.max(compressed, 1);
    if (ratio > this.limits.max_compression_ratio) {
      throw new UnreadableError('zip-bomb', `压缩比异常（${Math.round(ratio)}:1，上限 ${this.limits.max_compression_ratio}:1），疑似压缩炸弹，未解压`);
    }
  }
}

export function tooLarge(bytes: number, limit: number): UnreadableError {
  return new UnreadableError('too-large', `文件过大（${mb(bytes)}，上限 ${mb(limit)}）`);
}

export function expandedLimit(limit: number): UnreadableError {
  return new UnreadableError('expanded-limit', `压缩包解压后总量超过上限 ${mb(limit)}，其余文件未解压`);
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function asUnreadable(err: unknown, code = 'corrupt', message = '文件无法读取'): UnreadableError {
  return err instanceof UnreadableError ? err : new UnreadableError(code, message, err instanceof Error ? err.message : String(err));
}
