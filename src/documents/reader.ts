import type { FileFormat } from '../mail/file-format.js';

/** A table as rows of cell texts: a worksheet, or a table in a Word document. */
export type Table = string[][];

export interface DocumentContent {
  /** All the text, in reading order. */
  text: string;
  tables: Table[];
}

/**
 * One document format. A reader either returns the content or throws an UnreadableError with a
 * reason the sender can act on; it never runs macros and never fetches anything external.
 */
export interface DocumentReader {
  readonly name: string;
  readonly formats: readonly FileFormat[];
  read(content: Buffer, filename: string): Promise<DocumentContent>;
}
