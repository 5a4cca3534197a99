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
    // A paused reader (its process could not start) answers at once, so it always has the fewest
    // waiting: without this it would take most files while a healthy one sat idle. Only when all
    // are paused does one get the file, to fail it with its reason.
    const usable = this.readers.map((r) => !r.paused?.());
    const any = usable.includes(true);
    let i = -1;
    for (let j = 0; j < this.readers.length; j++) {
      if (any && !usable[j]) continue;
      if (i < 0 || this.waiting[j]! < this.waiting[i]!) i = j;
    }
    this.waiting[i]!++;
    try {
      return await this.readers[i]!.read(content, filename, format, hints);
    } finally {
      this.waiting[i]!--;
    }
  }
}
