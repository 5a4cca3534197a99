import { crc32 } from 'node:zlib';
import iconv from 'iconv-lite';

/** Test material only: RAR and TNEF bytes built by hand, the way WinRAR and Outlook write them. */

export interface NamedContent {
  name: string;
  content: Buffer;
}

const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};

/** A RAR 4 header block: CRC16 (low half of the CRC32 of what follows it), then the block. */
function rarBlock(type: number, flags: number, rest: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from([type]), u16(flags), u16(7 + rest.length), rest]);
  return Buffer.concat([u16(crc32(body) & 0xffff), body]);
}

/**
 * A RAR 4 archive with stored (uncompressed) files. Names are UTF-8 with the Unicode flag (what
 * WinRAR writes for names its code page cannot hold), or, with `gbk`, the bytes of the Chinese
 * Windows code page and no flag (WinRAR on a Chinese system).
 */
export function rarArchive(files: NamedContent[], opts: { gbk?: boolean; encrypted?: boolean } = {}): Buffer {
  const parts: Buffer[] = [Buffer.from('Rar!\x1a\x07\x00', 'latin1'), rarBlock(0x73, 0, Buffer.concat([u16(0), u32(0)]))];
  for (const f of files) {
    const name = opts.gbk ? iconv.encode(f.name.replace(/\//g, '\\'), 'gbk') : Buffer.from(f.name.replace(/\//g, '\\'), 'utf8');
    const unicode = !opts.gbk && /[^\x00-\x7f]/.test(f.name);
    const flags = 0x8000 | (unicode ? 0x0200 : 0) | (opts.encrypted ? 0x0004 : 0);
    const rest = Buffer.concat([
      u32(f.content.length), // packed size
      u32(f.content.length), // unpacked size
      Buffer.from([2]), // host OS: Win32
      u32(crc32(f.content)),
      u32(0x52e10000), // DOS time 2021-07-01
      Buffer.from([20, 0x30]), // version 2.0, method "store"
      u16(name.length),
      u32(0x20), // archive attribute
      name,
    ]);
    parts.push(rarBlock(0x74, flags, rest), f.content);
  }
  parts.push(rarBlock(0x7b, 0x4000, Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/** TNEF attribute: level, id (type in the high word), length, data, 16-bit byte sum. */
function tnefAttr(level: number, id: number, data: Buffer): Buffer {
  let sum = 0;
  for (const b of data) sum = (sum + b) & 0xffff;
  return Buffer.concat([Buffer.from([level]), u32(id), u32(data.length), data, u16(sum)]);
}

function mapiUnicodeProp(tag: number, text: string): Buffer {
  const value = Buffer.from(text + '\0', 'utf16le');
  const pad = Buffer.alloc((4 - (value.length % 4)) % 4);
  return Buffer.concat([u32(tag), u32(1), u32(value.length), value, pad]);
}

/**
 * A winmail.dat as Outlook writes it for rich-text mail: a TNEF stream whose attachments carry
 * a short 8-bit title in the sender's code page (GBK on Chinese Windows) and the long name as a
 * MAPI Unicode property.
 */
export function tnefFile(files: NamedContent[], opts: { codepage?: number; longNames?: boolean } = {}): Buffer {
  const cp = opts.codepage ?? 936;
  const parts: Buffer[] = [u32(0x223e9f78), u16(0x0001)];
  parts.push(tnefAttr(1, 0x00089006, Buffer.from([0, 0, 1, 0]))); // attTnefVersion
  parts.push(tnefAttr(1, 0x00069007, Buffer.concat([u32(cp), u32(0)]))); // attOemCodepage
  parts.push(tnefAttr(1, 0x00078008, Buffer.from('IPM.Microsoft Mail.Note\0', 'latin1'))); // attMessageClass
  for (const f of files) {
    parts.push(tnefAttr(2, 0x00069002, Buffer.alloc(14))); // attAttachRenddata: a new attachment
    const shortName = iconv.encode(f.name + '\0', cp === 936 ? 'gbk' : 'latin1');
    parts.push(tnefAttr(2, 0x00018010, shortName)); // attAttachTitle
    parts.push(tnefAttr(2, 0x0006800f, f.content)); // attAttachData
    if (opts.longNames !== false) {
      // attAttachment: MAPI properties, here PR_ATTACH_LONG_FILENAME as PT_UNICODE.
      const props = Buffer.concat([u32(1), mapiUnicodeProp(0x3707001f, f.name)]);
      parts.push(tnefAttr(2, 0x00069005, props));
    }
  }
  return Buffer.concat(parts);
}

/** RAR 5 variable-length integer: 7 bits a byte, low first, high bit set on all but the last. */
function vint(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

/** A RAR 5 block: CRC32 of (size, header), size of the header as a vint, the header. */
function rar5Block(header: Buffer): Buffer {
  const sized = Buffer.concat([vint(header.length), header]);
  return Buffer.concat([u32(crc32(sized)), sized]);
}

/** A RAR 5 archive (WinRAR 5 and later) with stored files; names are always UTF-8 in RAR 5. */
export function rar5Archive(files: NamedContent[]): Buffer {
  const parts: Buffer[] = [Buffer.from('Rar!\x1a\x07\x01\x00', 'latin1')];
  parts.push(rar5Block(Buffer.concat([vint(1), vint(0), vint(0)]))); // main header, no flags
  for (const f of files) {
    const name = Buffer.from(f.name, 'utf8');
    const header = Buffer.concat([
      vint(2), // file header
      vint(0x02), // a data area follows
      vint(f.content.length), // data size
      vint(0x04), // file flags: data CRC32 present
      vint(f.content.length), // unpacked size
      vint(0x20), // attributes
      u32(crc32(f.content)),
      vint(0), // compression: version 0, method 0 (store)
      vint(0), // host OS: Windows
      vint(name.length),
      name,
    ]);
    parts.push(rar5Block(header), f.content);
  }
  parts.push(rar5Block(Buffer.concat([vint(5), vint(0), vint(0)]))); // end of archive
  return Buffer.concat(parts);
}
