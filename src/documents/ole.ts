import { UnreadableError } from '../containers/budget.js';
import { XLSX } from './sheetjs.js';

/**
 * What an OLE2 compound file (the "Office 97-2003" container) holds. Word, Excel, WPS Writer and
 * WPS Spreadsheets files, and password-protected .docx/.xlsx, all share it; the stream names in
 * its directory tell them apart.
 */
export type OleKind = 'word' | 'workbook' | 'encrypted-ooxml' | 'powerpoint' | 'outlook-msg' | 'other';

export interface OleFile {
  kind: OleKind;
  /** Stream names at the root, e.g. "WordDocument", "1Table", "Workbook". */
  streams: string[];
  stream(name: string): Buffer | null;
}

interface CfbEntry {
  name: string;
  type: number;
  content?: Uint8Array | number[];
}
interface Cfb {
  FullPaths: string[];
  FileIndex: CfbEntry[];
}

/** Reads the directory of a compound file; a damaged directory is a corrupt file, named so. */
export function openOle(content: Buffer): OleFile {
  let cfb: Cfb;
  try {
    cfb = XLSX.CFB.read(content, { type: 'buffer' }) as Cfb;
  } catch (err) {
    throw new UnreadableError('corrupt', '文件已损坏（Office 97-2003 文件结构不完整），无法读取', (err as Error).message);
  }
  const root = new Map<string, CfbEntry>();
  cfb.FileIndex.forEach((e, i) => {
    // Root-level streams only: "Root Entry/WordDocument". Nested storages (ObjectPool, macros) don't decide the kind.
    const path = cfb.FullPaths[i] ?? '';
    // Names compare case-insensitively, as the format says (some writers upper-case them all).
    if (e.type === 2 && path.split('/').filter(Boolean).length === 2) root.set(e.name.toLowerCase(), e);
  });
  const streams = [...root.values()].map((e) => e.name);
  const has = (n: string) => root.has(n.toLowerCase());
  const kind: OleKind =
    has('EncryptedPackage') && has('EncryptionInfo')
      ? 'encrypted-ooxml'
      : has('WordDocument')
        ? 'word'
        : has('Workbook') || has('Book')
          ? 'workbook'
          : has('PowerPoint Document')
            ? 'powerpoint'
            : streams.some((s) => s.startsWith('__substg1.0_'))
              ? 'outlook-msg'
              : 'other';
  return {
    kind,
    streams,
    stream(name) {
      const e = root.get(name.toLowerCase());
      return e?.content ? Buffer.from(e.content as Uint8Array) : null;
    },
  };
}
