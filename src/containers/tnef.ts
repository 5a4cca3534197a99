import iconv from 'iconv-lite';
import { decodeUnlabelled } from '../util/text-decode.js';
import { ExpansionBudget, UnreadableError } from './budget.js';
import { safeEntryName, type ArchiveEntry } from './zip.js';

/**
 * Outlook's winmail.dat (TNEF, MS-OXTNEF): the attachments of a rich-text message, wrapped in
 * one application/ms-tnef part that other clients show as a useless file. This reads the
 * attachments out of it. The format is a flat list of attributes (level, id, length, data,
 * checksum); attachment data is stored, not compressed, so nothing grows beyond the file itself.
 * Every length is checked against the bytes that are there.
 */

export const TNEF_SIGNATURE = 0x223e9f78;

const ATT_ATTACH_RENDDATA = 0x9002;
const ATT_ATTACH_TITLE = 0x8010;
const ATT_ATTACH_DATA = 0x800f;
const ATT_ATTACHMENT = 0x9005;
const ATT_OEM_CODEPAGE = 0x9007;

const PR_DISPLAY_NAME = 0x3001;
const PR_ATTACH_DATA = 0x3701;
const PR_ATTACH_FILENAME = 0x3704;
const PR_ATTACH_LONG_FILENAME = 0x3707;

const PT_STRING8 = 0x1e;
const PT_UNICODE = 0x1f;
const PT_BINARY = 0x102;
const PT_OBJECT = 0x0d;
const MV_FLAG = 0x1000;
const FIXED_SIZE: Record<number, number> = { 0x01: 4, 0x02: 4, 0x03: 4, 0x04: 4, 0x05: 8, 0x06: 8, 0x07: 8, 0x0a: 4, 0x0b: 4, 0x14: 8, 0x40: 8, 0x48: 16 };

interface TnefAttachment {
  title?: string;
  longName?: string;
  shortName?: string;
  displayName?: string;
  data?: Buffer;
  /** An attached Outlook item: a TNEF stream of its own (PR_ATTACH_DATA_OBJ). */
  embedded?: Buffer;
}

export function isTnef(content: Buffer): boolean {
  return content.length >= 6 && content.readUInt32LE(0) === TNEF_SIGNATURE;
}

function decodeString(bytes: Buffer, codepage: number | null): string {
  const b = bytes.subarray(0, bytes.indexOf(0) >= 0 ? bytes.indexOf(0) : bytes.length);
  if (codepage && codepage !== 65001) {
    const name = codepage === 936 || codepage === 54936 ? 'gb18030' : `cp${codepage}`;
    if (iconv.encodingExists(name)) return iconv.decode(b, name);
  }
  return decodeUnlabelled(b);
}

/** Reads the MAPI properties of an attAttachment attribute; stops at anything it cannot size. */
function readMapiProps(d: Buffer, att: TnefAttachment, codepage: number | null): void {
  let p = 0;
  const need = (n: number) => p + n <= d.length;
  if (!need(4)) return;
  const count = d.readUInt32LE(p);
  p += 4;
  for (let i = 0; i < count && need(4); i++) {
    const tag = d.readUInt32LE(p);
    p += 4;
    const type = tag & 0xffff;
    const id = tag >>> 16;
    if (id >= 0x8000) {
      // Named property: GUID, kind, then an id or a name.
      if (!need(20)) return;
      const kind = d.readUInt32LE(p + 16);
      p += 20;
      if (kind === 0) p += 4;
      else {
        if (!need(4)) return;
        const len = d.readUInt32LE(p);
        p += 4 + len + ((4 - (len % 4)) % 4);
      }
    }
    const base = type & ~MV_FLAG;
    const variable = base === PT_STRING8 || base === PT_UNICODE || base === PT_BINARY || base === PT_OBJECT;
    let values = 1;
    if (type & MV_FLAG || variable) {
      if (!need(4)) return;
      values = d.readUInt32LE(p);
      p += 4;
    }
    for (let v = 0; v < values; v++) {
      if (variable) {
        if (!need(4)) return;
        const len = d.readUInt32LE(p);
        p += 4;
        if (!need(len)) return;
        const value = d.subarray(p, p + len);
        p += len + ((4 - (len % 4)) % 4);
        if (v > 0) continue;
        if (base === PT_UNICODE || base === PT_STRING8) {
          const text = base === PT_UNICODE ? value.toString('utf16le').replace(/\0+$/, '') : decodeString(value, codepage);
          if (id === PR_ATTACH_LONG_FILENAME) att.longName = text;
          else if (id === PR_ATTACH_FILENAME) att.shortName = text;
          else if (id === PR_DISPLAY_NAME) att.displayName = text;
        } else if (id === PR_ATTACH_DATA) {
          // PT_OBJECT: a 16-byte interface id, then (for an attached message) a TNEF stream.
          if (base === PT_OBJECT && value.length > 16 && isTnef(value.subarray(16))) att.embedded = value.subarray(16);
          else if (!att.data) att.data = base === PT_OBJECT ? value.subarray(Math.min(16, value.length)) : value;
        }
      } else {
        const size = FIXED_SIZE[base];
        if (size === undefined || !need(size)) return;
        p += size;
      }
    }
  }
}

/** Parses a TNEF stream into its attachments. Throws for a stream that is not TNEF at all. */
export function parseTnef(content: Buffer): TnefAttachment[] {
  if (!isTnef(content)) throw new UnreadableError('corrupt-archive', 'winmail.dat 文件已损坏，无法打开');
  const attachments: TnefAttachment[] = [];
  let current: TnefAttachment | null = null;
  let codepage: number | null = null;
  let p = 6;
  while (p + 9 <= content.length) {
    const level = content[p]!;
    const id = content.readUInt32LE(p + 1) & 0xffff;
    const len = content.readUInt32LE(p + 5);
    p += 9;
    if (len > content.length - p) break; // truncated: keep what was read
    const data = content.subarray(p, p + len);
    p += len + 2;
    if (level === 1 && id === ATT_OEM_CODEPAGE && len >= 4) codepage = data.readUInt32LE(0);
    if (level !== 2) continue;
    if (id === ATT_ATTACH_RENDDATA) {
      current = {};
      attachments.push(current);
      continue;
    }
    if (!current) {
      current = {};
      attachments.push(current);
    }
    if (id === ATT_ATTACH_TITLE) current.title = decodeString(data, codepage);
    else if (id === ATT_ATTACH_DATA) current.data = data;
    else if (id === ATT_ATTACHMENT) readMapiProps(data, current, codepage);
  }
  return attachments.filter((a) => a.data !== undefined || a.embedded !== undefined);
}

/** The attachments of a winmail.dat as archive entries, under the message's budget. */
export function readTnef(content: Buffer, budget: ExpansionBudget): ArchiveEntry[] {
  const attachments = parseTnef(content);
  if (attachments.length > budget.limits.max_archive_entries) {
    throw new UnreadableError('too-many-entries', `winmail.dat 内文件过多（${attachments.length} 个，上限 ${budget.limits.max_archive_entries} 个），未打开`);
  }
  const out: ArchiveEntry[] = [];
  attachments.forEach((a, i) => {
    const embedded = a.embedded !== undefined;
    const name = safeEntryName(a.longName || a.shortName || a.title || a.displayName || '') || (embedded ? `附件邮件${i + 1}.dat` : `附件${i + 1}`);
    budget.countFile();
    const bytes = a.embedded ?? a.data!;
    try {
      budget.take(bytes.length);
      out.push({ name: embedded && !/\.dat$/i.test(name) ? `${name}.dat` : name, content: bytes });
    } catch (err) {
      out.push({ name, error: err as UnreadableError });
    }
  });
  return out;
}
