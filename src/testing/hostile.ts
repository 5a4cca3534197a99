import { randomBytes } from 'node:crypto';
import { crc32, deflateRawSync } from 'node:zlib';
import iconv from 'iconv-lite';
import { rarArchive } from './archives.js';
import { zipArchive } from './documents.js';
import { buildMail, type AttachmentInput } from './mail.js';

/**
 * Test material only: hostile inputs too large to commit, built at test time. Each is a whole
 * message from a known unit, so the reply can be checked for the files it names.
 */

export interface RawZipEntry {
  name: string;
  /** The bytes as stored (already deflated when method is 8). */
  data: Buffer;
  method: 0 | 8;
  crc: number;
  /** What the entry claims it expands to; a bomb lies here. */
  declaredSize: number;
}

/** A zip written entry by entry with whatever sizes the caller claims. */
export function rawZip(entries: RawZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = iconv.encode(e.name, 'gbk');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(e.method, 8);
    local.writeUInt32LE(e.crc >>> 0, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.declaredSize, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(e.method, 10);
    central.writeUInt32LE(e.crc >>> 0, 16);
    central.writeUInt32LE(e.data.length, 20);
    central.writeUInt32LE(e.declaredSize, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, e.data);
    centrals.push(central, name);
    offset += 30 + name.length + e.data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Math.min(entries.length, 0xffff), 8);
  end.writeUInt16LE(Math.min(entries.length, 0xffff), 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** `mib` MiB of zeros, deflated: about 1,000 to 1. */
export function deflatedZeros(mib: number): { data: Buffer; crc: number; size: number } {
  const chunk = Buffer.alloc(1024 * 1024);
  let crc = 0;
  for (let i = 0; i < mib; i++) crc = crc32(chunk, crc);
  return { data: deflateRawSync(Buffer.alloc(mib * 1024 * 1024), { level: 9 }), crc, size: mib * 1024 * 1024 };
}

export interface HostileMail {
  name: string;
  raw: Buffer;
}

const base = (id: string, subject: string, attachments: AttachmentInput[], forwarded?: Array<{ filename?: string; raw: Buffer }>) =>
  buildMail({
    from: { name: '修水县总工会', address: 'xsxzgh@163.com' },
    subject,
    messageId: `<hostile-${id}@163.com>`,
    date: new Date('2021-07-20T01:00:00Z'),
    received: new Date('2021-07-20T01:00:05Z'),
    text: '附件请查收。',
    attachments,
    forwarded,
  });

/** Every large hostile message, built fresh. */
export function hostileMails(): HostileMail[] {
  const zeros = deflatedZeros(64);
  const out: HostileMail[] = [];

  // A classic bomb: one entry, honest sizes, 64 MiB of zeros in about 64 KiB.
  out.push({ name: 'zip-bomb-ratio', raw: base('bomb1', '修水县参赛材料（压缩包一）', [{ filename: '压缩炸弹.zip', content: rawZip([{ name: '报名表.xlsx', data: zeros.data, method: 8, crc: zeros.crc, declaredSize: zeros.size }]) }]) });

  // A bomb that lies: the entry claims 1 KiB and inflates to 64 MiB.
  out.push({ name: 'zip-bomb-lying', raw: base('bomb2', '修水县参赛材料（压缩包二）', [{ filename: '说谎的压缩包.zip', content: rawZip([{ name: '报名表.xlsx', data: zeros.data, method: 8, crc: zeros.crc, declaredSize: 1024 }]) }]) });

  // Many entries each just under the ratio check's floor: stopped by the message's expanded total.
  const mib = deflatedZeros(1);
  const many = Array.from({ length: 150 }, (_, i) => ({ name: `零/${i}.bin`, data: mib.data, method: 8 as const, crc: mib.crc, declaredSize: mib.size }));
  out.push({ name: 'zip-bomb-total', raw: base('bomb3', '修水县参赛材料（压缩包三）', [{ filename: '总量炸弹.zip', content: rawZip(many) }]) });

  // Zips within zips, eight to a level, six levels deep (42.zip's shape: 262,144 leaves in a few KiB).
  let level = zipArchive([{ name: 'leaf.txt', content: Buffer.from('leaf') }]);
  for (let i = 0; i < 6; i++) level = zipArchive(Array.from({ length: 8 }, (_, j) => ({ name: `${i}-${j}.zip`, content: level })));
  out.push({ name: 'zip-nested-deep', raw: base('nested', '修水县参赛材料（嵌套压缩包）', [{ filename: '嵌套.zip', content: level }]) });

  // 5,000 entries.
  const entries = Array.from({ length: 5000 }, (_, i) => ({ name: `文件${i}.txt`, content: Buffer.from(`第${i}个文件`) }));
  out.push({ name: 'zip-5000-entries', raw: base('many', '修水县参赛材料（五千个文件）', [{ filename: '五千个文件.zip', content: zipArchive(entries) }]) });

  // A RAR that declares 2 GiB in a few bytes.
  const rar = rarArchive([{ name: '报名表.xlsx', content: Buffer.from('x') }]);
  // The first file header follows the 7-byte marker and the 13-byte main header.
  const head = 20;
  rar.writeUInt32LE(0x7fffffff, head + 11); // UNP_SIZE
  rar.writeUInt16LE(crc32(rar.subarray(head + 2, head + rar.readUInt16LE(head + 5))) & 0xffff, head);
  out.push({ name: 'rar-declares-2gib', raw: base('rarbomb', '修水县参赛材料（RAR）', [{ filename: '炸弹.rar', content: rar }]) });

  // Forwards within forwards, twelve deep.
  let fwd = buildMail({ from: { address: 'xsxzgh@163.com' }, subject: '原始邮件', messageId: '<fwd-0@163.com>', date: new Date('2021-07-19T01:00:00Z'), received: null, text: '最里层', attachments: [{ filename: '最里层报名表.xlsx', content: Buffer.from('x') }] });
  for (let i = 1; i < 12; i++) fwd = buildMail({ from: { address: 'xsxzgh@163.com' }, subject: `转发${i}`, messageId: `<fwd-${i}@163.com>`, date: new Date('2021-07-19T01:00:00Z'), received: null, text: `第${i}层`, forwarded: [{ filename: `转发${i}.eml`, raw: fwd }] });
  out.push({ name: 'forward-nested-deep', raw: base('fwd', '修水县参赛材料（多层转发）', [], [{ filename: '多层转发.eml', raw: fwd }]) });

  // 0-byte attachments.
  out.push({ name: 'zero-bytes', raw: base('zero', '修水县参赛材料（空文件）', [{ filename: '修水县参赛报名表.xlsx', content: Buffer.alloc(0) }, { filename: '空压缩包.zip', content: Buffer.alloc(0) }, { filename: '空邮件.eml', content: Buffer.alloc(0), contentType: 'message/rfc822' }]) });

  // A 40 MB attachment.
  out.push({ name: 'attachment-40mb', raw: base('big', '修水县参赛材料（大附件）', [{ filename: '修水县竞赛实施方案（高清扫描）.pdf', content: randomBytes(40 * 1000 * 1000) }]) });

  return out;
}
