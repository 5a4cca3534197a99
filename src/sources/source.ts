import type { SourceMessage } from '../pipeline/archive.js';

/**
 * Where messages come from: files and Maildirs, or an IMAP mailbox. A source hands over raw
 * bytes with the server's receipt time; everything else is the pipeline's job.
 */
export interface MessageSource {
  readonly name: string;
  /**
   * Every message not yet known, oldest first. `known` says whether a source id was already
   * archived, so a rescan does not read every file again.
   */
  scan(known: (source: string) => Promise<boolean>): AsyncIterable<SourceMessage>;
  /** Starts watching; calls `changed` when new messages may be there. Returns a stop function. */
  watch?(changed: () => void): () => void;
}
