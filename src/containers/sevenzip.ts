import type { FileSystem, SevenZipModule, SevenZipModuleFactory } from '7z-wasm';
import { crc32 } from 'node:zlib';
import { decodeUnlabelled } from '../util/text-decode.js';
import { ExpansionBudget, UnreadableError, expandedLimit, tooLarge } from './budget.js';
import { JUNK_ENTRY, safeEntryName, type ArchiveEntry } from './zip.js';

/**
 * RAR, 7z, tar and gzip, read by 7-Zip compiled to WebAssembly (the `7z-wasm` package): one
 * maintained reader for the archive formats that are not zip. Everything happens in the module's
 * in-memory file system, so an entry named "../../x" or "/etc/passwd" can never reach the disk.
 *
 * Limits are enforced twice: on the sizes the archive declares (listed before anything is
 * inflated), and while 7-Zip writes, through a hook on the in-memory file system's write that
 * counts every byte and stops extraction with "disk full" once a limit is reached. An archive
 * that lies about its sizes therefore still costs at most the limits.
 */

/**
 * Loaded on first use (most mail has no such archive). The package is CommonJS whose types
 * declare an ES default export: at run time the default import is the factory itself, to the
 * type checker it is the module holding `default`.
 */
async function sevenZipFactory(): Promise<SevenZipModuleFactory> {
  const pkg = (await import('7z-wasm')).default as unknown as { default?: SevenZipModuleFactory } & SevenZipModuleFactory;
  return pkg.default ?? pkg;
}

/** A password no one uses: 7-Zip never prompts, and an encrypted archive fails as encrypted. */
const NO_PASSWORD = '-pintake-has-no-password';
const ENOSPC = 28;

interface ListedEntry {
  path: string;
  size: number;
  packed: number | null;
  folder: boolean;
  encrypted: boolean;
}

interface Run {
  code: number;
  output: string;
}

class Quit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

async function openModule(): Promise<{ mod: SevenZipModule; run(args: string[]): Run }> {
  let out: string[] = [];
  let exitCode = 0;
  const SevenZip = await sevenZipFactory();
  const mod = await SevenZip({
    // Never read the process's standard input (the default does, and would block on a password prompt).
    stdin: () => null,
    print: (s: string) => out.push(s),
    printErr: (s: string) => out.push(s),
    quit: (code: number) => {
      exitCode = code;
      throw new Quit(code);
    },
  } as never);
  // 7-Zip in wasm sets mode 000 on folders it extracts from tar, which then cannot be entered.
  const chmod = mod.FS.chmod.bind(mod.FS);
  mod.FS.chmod = ((path: string, mode: number, dontFollow?: boolean) => {
    if (mode) chmod(path, mode, dontFollow);
  }) as FileSystem['chmod'];
  return {
    mod,
    run(args: string[]): Run {
      out = [];
      exitCode = 0;
      // Emscripten's exit sets process.exitCode to 7-Zip's status: it must never decide ours.
      const processExitCode = process.exitCode;
      try {
        const r = (mod.callMain as unknown as (a: string[]) => unknown)(args);
        if (typeof r === 'number') exitCode = r;
      } catch (err) {
        const status = (err as { name?: string; status?: number })?.name === 'ExitStatus' ? (err as { status: number }).status : null;
        if (status !== null) exitCode = status;
        else if (!(err instanceof Quit)) {
          out.push(String((err as Error)?.message ?? err));
          exitCode = exitCode || 255;
        }
      }
      process.exitCode = processExitCode;
      const output = out.join('\n');
      // The wasm build does not always report its exit status; its summary line always does.
      if (exitCode === 0 && /^(?:ERROR: |Errors: [1-9]|Sub items Errors: [1-9])/m.test(output)) exitCode = 2;
      return { code: exitCode, output };
    },
  };
}

/** Parses `7z l -slt` output: blocks of "Key = value" lines, one per entry after the "----------" line. */
export function parseListing(output: string): ListedEntry[] {
  const start = output.indexOf('\n----------\n');
  if (start < 0) return [];
  const entries: ListedEntry[] = [];
  for (const block of output.slice(start + 12).split(/\n\s*\n/)) {
    const kv = new Map<string, string>();
    for (const line of block.split('\n')) {
      const i = line.indexOf(' = ');
      if (i > 0) kv.set(line.slice(0, i).trim(), line.slice(i + 3));
      else if (line.endsWith(' =')) kv.set(line.slice(0, -2).trim(), '');
    }
    const path = kv.get('Path');
    if (path === undefined) continue;
    const attrs = kv.get('Attributes') ?? '';
    const folder = kv.get('Folder') === '+' || /^D/.test(attrs) || /\bD\b/.test(attrs.split(' ')[0] ?? '');
    const packed = kv.get('Packed Size');
    entries.push({
      path,
      size: Number(kv.get('Size') || 0),
      packed: packed ? Number(packed) : null,
      folder,
      encrypted: kv.get('Encrypted') === '+',
    });
  }
  return entries;
}

/** 7-Zip's AES coder id (06 F1 07 01): in a 7z header it means the archive or its names are encrypted. */
const SEVEN_ZIP_AES = Buffer.from([0x06, 0xf1, 0x07, 0x01]);

function failure(output: string, what: string, content?: Buffer): UnreadableError {
  // 7-Zip in WebAssembly sometimes ends with a bare C++ exception instead of its message when
  // a password is wrong; the header still names the AES coder.
  if (content && content.subarray(0, 6).equals(Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) && content.subarray(Math.max(0, content.length - 4096)).includes(SEVEN_ZIP_AES)) {
    return new UnreadableError('encrypted', `${what}已加密（设有密码），无法读取，请不设密码重新压缩后发送`, lastLines(output));
  }
  if (/wrong password|encrypted/i.test(output)) return new UnreadableError('encrypted', `${what}已加密（设有密码），无法读取，请不设密码重新压缩后发送`, lastLines(output));
  if (/not enough space|disk full/i.test(output)) return new UnreadableError('expanded-limit', `${what}解压后超过大小上限，未解压`, lastLines(output));
  if (/unsupported method|unsupported feature/i.test(output)) return new UnreadableError('unsupported-archive', `${what}使用了不支持的压缩方式`, lastLines(output));
  return new UnreadableError('corrupt-archive', `${what}已损坏，无法打开`, lastLines(output));
}

function lastLines(output: string): string {
  return output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /error|warning|can ?not|wrong|unexpected|unsupported|space/i.test(l))
    .slice(-4)
    .join(' | ')
    .slice(0, 300);
}

const LABEL: Record<string, string> = { rar: 'RAR 压缩包', '7z': '7z 压缩包', tar: 'tar 压缩包', gzip: 'gzip 压缩包' };

/**
 * Lists and extracts a RAR/7z/tar/gzip archive held in memory. Throws an UnreadableError for an
 * archive that cannot be opened at all; entries that fail carry their own error.
 */
export async function readSevenZip(content: Buffer, format: 'rar' | '7z' | 'tar' | 'gzip', budget: ExpansionBudget, filename = ''): Promise<ArchiveEntry[]> {
  const what = LABEL[format] ?? '压缩包';
  const { limits } = budget;
  const { mod, run } = await openModule();
  const FS = mod.FS;
  // gzip names its one file after the archive: keep the sender's name (报名表.xlsx.gz gives 报名表.xlsx).
  const ext = format === 'gzip' ? 'gz' : format;
  const base = filename.replace(/[\u0000-\u001f/\\]/g, '_').replace(/^\.+/, '').slice(0, 200) || 'archive';
  const archive = `/in/${base.toLowerCase().endsWith(`.${ext}`) ? base : `${base}.${ext}`}`;
  FS.mkdir('/in');
  FS.mkdir('/out');
  FS.writeFile(archive, format === 'rar' ? normaliseRar4Names(content, decodeUnlabelled) : content);

  const listing = run(['l', '-slt', '-bd', '-sccUTF-8', NO_PASSWORD, archive]);
  if (listing.code !== 0 && !/\n----------\n/.test(listing.output)) throw failure(listing.output, what, content);
  const listed = parseListing(listing.output).filter((e) => !e.folder);
  if (listed.length > limits.max_archive_entries) {
    throw new UnreadableError('too-many-entries', `压缩包内文件过多（${listed.length} 个，上限 ${limits.max_archive_entries} 个），未打开`);
  }
  if (listed.length > 0 && listed.every((e) => e.encrypted)) throw new UnreadableError('encrypted', `${what}已加密（设有密码），无法读取，请不设密码重新压缩后发送`);
  // Declared sizes first: nothing is inflated for an archive that says it is a bomb.
  const declared = listed.reduce((n, e) => n + e.size, 0);
  budget.checkRatio(declared, content.length);
  if (declared > budget.remaining) throw expandedLimit(limits.max_expanded_bytes);

  // While extracting: every byte 7-Zip writes is counted; an entry past the per-file limit is
  // dropped (its writes are swallowed), and the message's total stops the extraction.
  const written = new Map<string, number>();
  const oversize = new Set<string>();
  let total = 0;
  // Every byte inflated, kept or not: what bounds the CPU an archive that lies can take.
  let inflated = 0;
  let stoppedEarly = false;
  const noSpace = () => new (FS as unknown as { ErrnoError: new (errno: number) => Error }).ErrnoError(ENOSPC);
  const write = FS.write.bind(FS);
  FS.write = ((stream: { path?: string }, buffer: ArrayBufferView, offset: number, length: number, position?: number, canOwn?: boolean) => {
    const path = stream.path ?? '';
    if (!path.startsWith('/out/')) return write(stream as never, buffer, offset, length, position, canOwn);
    const n = (written.get(path) ?? 0) + length;
    written.set(path, n);
    inflated += length;
    if (inflated > limits.max_expanded_bytes + limits.max_attachment_bytes) {
      stoppedEarly = true;
      throw noSpace();
    }
    if (n > limits.max_attachment_bytes) {
      if (!oversize.has(path)) {
        oversize.add(path);
        FS.ftruncate((stream as unknown as { fd: number }).fd, 0);
      }
      return length;
    }
    if (oversize.has(path)) return length;
    total += length;
    if (total > budget.remaining) {
      stoppedEarly = true;
      throw noSpace();
    }
    return write(stream as never, buffer, offset, length, position, canOwn);
  }) as FileSystem['write'];

  const extraction = run(['x', '-y', '-bd', '-sccUTF-8', NO_PASSWORD, '-o/out', archive]);
  const stoppedByBudget = stoppedEarly;
  const out: ArchiveEntry[] = [];
  const seen = new Set<string>();
  const walk = (dir: string) => {
    for (const name of FS.readdir(dir)) {
      if (name === '.' || name === '..') continue;
      const p = `${dir}/${name}`;
      const st = FS.lstat(p);
      if (FS.isDir(st.mode)) walk(p);
      else if (FS.isFile(st.mode)) {
        const rel = safeEntryName(p.slice('/out/'.length));
        seen.add(rel);
        if (rel === '' || JUNK_ENTRY.test(rel)) continue;
        budget.countFile();
        if (oversize.has(p)) {
          out.push({ name: rel, error: tooLarge(written.get(p) ?? 0, limits.max_attachment_bytes) });
          continue;
        }
        const bytes = Buffer.from(FS.readFile(p));
        FS.unlink(p);
        out.push({ name: rel, content: bytes });
      }
      // Symbolic links and devices are never followed or read.
    }
  };
  try {
    walk('/out');
  } catch (err) {
    if (!(err instanceof UnreadableError)) throw err;
    out.push({ name: '', error: err });
    return out;
  }
  budget.charge(Math.min(total, budget.remaining));
  if (stoppedByBudget) {
    out.push({ name: '', error: expandedLimit(limits.max_expanded_bytes) });
    return out;
  }
  if (extraction.code !== 0) {
    const err = failure(extraction.output, what, content);
    // Entries 7-Zip could not write are named in the listing but missing from the output.
    const missing = listed.filter((e) => !seen.has(safeEntryName(e.path)) && !JUNK_ENTRY.test(e.path));
    if (missing.length === 0 && out.length === 0) throw err;
    for (const e of missing) out.push({ name: safeEntryName(e.path), error: e.encrypted ? new UnreadableError('encrypted', '文件已加密（设有密码），无法读取，请不设密码重新压缩后发送') : err });
    if (missing.length === 0) {
      // Something was extracted and 7-Zip still failed (a CRC error in some entry): say so once.
      out.push({ name: '', error: err });
    }
  }
  return out;
}

const RAR4_SIGNATURE = Buffer.from('Rar!\x1a\x07\x00', 'latin1');

/**
 * WinRAR on Chinese Windows writes RAR 4 names in the OEM code page (GBK) without the Unicode
 * flag, and 7-Zip in WebAssembly reads such names as UTF-8, which garbles them and then fails to
 * extract. This rewrites each such file header with the name decoded (GBK, or whatever the bytes
 * are) and stored as UTF-8 under the Unicode flag, a form WinRAR itself writes, with the
 * header's size and CRC fixed. RAR 5 names are always UTF-8 and need nothing; an archive with
 * encrypted headers is left alone. Returns the input when nothing needs fixing.
 */
export function normaliseRar4Names(content: Buffer, decode: (bytes: Buffer) => string): Buffer {
  if (!content.subarray(0, 7).equals(RAR4_SIGNATURE)) return content;
  const out: Buffer[] = [content.subarray(0, 7)];
  let pos = 7;
  let changed = false;
  while (pos + 7 <= content.length) {
    const type = content[pos + 2]!;
    const flags = content.readUInt16LE(pos + 3);
    const headSize = content.readUInt16LE(pos + 5);
    if (headSize < 7 || pos + headSize > content.length) break;
    if (type === 0x73 && flags & 0x0080) return content; // encrypted headers
    let addSize = 0;
    if (flags & 0x8000 && headSize >= 11) addSize = content.readUInt32LE(pos + 7);
    if (type === 0x74 && flags & 0x0100 && headSize >= 40) addSize += content.readUInt32LE(pos + 32) * 0x100000000;
    const end = pos + headSize + addSize;
    if (end > content.length) break;
    if (type === 0x74 && !(flags & 0x0200) && headSize >= 32) {
      const nameOffset = 32 + (flags & 0x0100 ? 8 : 0);
      const nameSize = content.readUInt16LE(pos + 26);
      const raw = content.subarray(pos + nameOffset, pos + nameOffset + nameSize);
      if (nameOffset + nameSize <= headSize && raw.some((b) => b >= 0x80)) {
        const name = Buffer.from(decode(raw), 'utf8');
        const header = Buffer.concat([content.subarray(pos, pos + nameOffset), name, content.subarray(pos + nameOffset + nameSize, pos + headSize)]);
        header.writeUInt16LE(flags | 0x0200, 3);
        header.writeUInt16LE(header.length, 5);
        header.writeUInt16LE(name.length, 26);
        header.writeUInt16LE(crc32(header.subarray(2)) & 0xffff, 0);
        out.push(header, content.subarray(pos + headSize, end));
        changed = true;
        pos = end;
        continue;
      }
    }
    out.push(content.subarray(pos, end));
    pos = end;
    if (type === 0x7b) break;
  }
  if (!changed) return content;
  out.push(content.subarray(pos));
  return Buffer.concat(out);
}
