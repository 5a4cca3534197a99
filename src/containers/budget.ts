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
 * What one message may still expand to. Shared by every container inside it, so a zip of zips
 * cannot multiply the limits.
 */
export class ExpansionBudget {
  expandedBytes = 0;
  constructor(readonly limits: Limits) {}

  /** Reserve room for `bytes` more expanded bytes, or refuse with a named error. */
  take(bytes: number): void {
    if (bytes > this.limits.max_attachment_bytes) {
      throw new UnreadableError('too-large', `文件过大（${mb(bytes)}，上限 ${mb(this.limits.max_attachment_bytes)}）`);
    }
    if (this.expandedBytes + bytes > this.limits.max_expanded_bytes) {
      throw new UnreadableError('expanded-limit', `压缩包解压后总量超过上限 ${mb(this.limits.max_expanded_bytes)}`);
    }
    this.expandedBytes += bytes;
  }
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
