import type { FileFormat } from '../mail/file-format.js';
import type { DocumentContent, DocumentReader, ReadHints } from './reader.js';

/**
 * Several readers of the same formats (reading processes) used as one: each file goes to the
 * reader with the fewest files waiting, so a message's registration form and plan are read at
 * the same time on two cores, and one slow file holds up only its own process's queue.
 */
export class ReaderPool implements DocumentReader {
  readonly name: string;
  readonly formats: readonly FileFormat[];
  private readonly waiting: number[];

  constructor(private readonly readers: readonly DocumentReader[]) {
    if (readers.length === 0) throw new Error('a reader pool needs at least one reader');
    this.name = readers[0]!.name;
    this.formats = readers[0]!.formats;
    this.waiting = readers.map(() => 0);
  }

  warm(): void {
    for (const r of this.readers) r.warm?.();
  }

  async read(content: Buffer, filename: string, format?: FileFormat, hints?: ReadHints): Promise<DocumentContent> {
    let i = 0;
    for (let j = 1; j < this.readers.length; j++) if (this.waiting[j]! < this.waiting[i]!) i = j;
    this.waiting[i]!++;
    try {
      return await this.readers[i]!.read(content, filename, format, hints);
    } finally {
      this.waiting[i]!--;
    }
  }
}
