import { UnreadableError } from '../containers/budget.js';
import type { FileFormat } from '../mail/file-format.js';

/** A table as rows of cell texts: a worksheet, or a table in a Word document. */
export type Table = string[][];

export interface DocumentContent {
  /** All the text, in reading order. */
  text: string;
  tables: Table[];
  /** Which reader produced it and from what, e.g. "sheetjs (xls)", "libreoffice → mammoth (doc)". */
  via?: string;
  /** Sheet names, for workbooks (same order as the tables). */
  sheets?: string[];
  /** Pages read, for PDFs. */
  pages?: number;
}

/** What the message said about a file besides its bytes and name. */
export interface ReadHints {
  /**
   * The charset its MIME part declared (a text attachment's `Content-Type: text/plain;
   * charset=big5`): believed only where the bytes bear it out, since labels are often wrong.
   */
  charset?: string;
}

/**
 * One document format. A reader either returns the content or throws an UnreadableError with a
 * reason the sender can act on; it never runs macros and never fetches anything external.
 */
export interface DocumentReader {
  readonly name: string;
  readonly formats: readonly FileFormat[];
  read(content: Buffer, filename: string, format?: FileFormat, hints?: ReadHints): Promise<DocumentContent>;
  /** Gets ready before the first file (a reading process starts and loads its libraries). */
  warm?(): void;
  /** True while the reader would fail any file at once (a reading process that could not start). */
  paused?(): boolean;
}

/**
 * The library for this format could not read this file, though the file may be fine (an old
 * Word 95 binary, a workbook feature SheetJS rejects). LibreOffice, when installed, gets a try.
 */
export class LibraryCannotRead extends UnreadableError {
  override name = 'LibraryCannotRead';
}

/**
 * The reading process could not read at all: it could not start, it was stopped from outside (a
 * service being shut down, an operator's kill), or it was closed. The file is not to blame and is
 * not recorded as unreadable; the message is left in error and read again by the next attempt.
 */
export class ReaderUnavailable extends Error {
  override name = 'ReaderUnavailable';
}

/** Rows kept per sheet or table: a registration form is small; a 100,000-row export is not one. */
export const MAX_TABLE_ROWS = 2000;
export const MAX_TABLE_COLUMNS = 100;

/** A zip without its end-of-central-directory record was cut off (a half-sent file). */
export function isTruncatedZip(content: Buffer): boolean {
  const tail = content.subarray(Math.max(0, content.length - 65_557));
  return tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06])) < 0;
}

/** A document that is only pictures: a scan or photos of the paper form. */
export function scanError(what: string): UnreadableError {
  return new UnreadableError('scan', `${what}（扫描件或照片），无法读取文字，请发送电子版（Word、Excel 或可复制文字的 PDF）`);
}
