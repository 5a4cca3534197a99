import { decodeUnlabelled } from '../util/text-decode.js';
import type { DocumentContent, DocumentReader } from './reader.js';

/** .txt and .csv: UTF-8 (with or without BOM) or GBK, as Excel on Chinese Windows saves CSV. */
export const textReader: DocumentReader = {
  name: 'text',
  formats: ['text'],
  async read(content: Buffer, filename: string): Promise<DocumentContent> {
    const body = content[0] === 0xef && content[1] === 0xbb && content[2] === 0xbf ? content.subarray(3) : content;
    const text = decodeUnlabelled(body);
    const tables = /\.csv$/i.test(filename) ? [text.split(/\r?\n/).filter((l) => l.trim() !== '').map((l) => l.split(',').map((c) => c.replace(/^"|"$/g, '').trim()))] : [];
    return { text, tables };
  },
};
