import iconv from 'iconv-lite';

/**
 * Charsets as Chinese mail really uses them. Labels lie: GB2312 is written for text that uses
 * GBK or GB18030 characters, "utf-8" for text a GBK system wrote, and old clients send 8-bit
 * headers with no label at all. Everything here decides from the bytes, using the label as a
 * hint, and never returns text with replacement characters when another reading is clean.
 */

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** GB2312 and GBK are subsets of GB18030; decoding them as GB18030 loses nothing and reads the rest. */
const GB_LABELS = /^(?:gb[-_]?2312(?:[-_]80)?|gbk|cp936|ms936|windows-936|x-gbk|x-euc-cn|euc-cn|csgb2312|chinese|iso-ir-58|csiso58gb231280|gb18030)$/i;

/** The charset a label really means, as an iconv-lite name; null when iconv-lite knows no such charset. */
export function canonicalCharset(label: string | null | undefined): string | null {
  const l = (label ?? '').trim().replace(/^["']|["']$/g, '').toLowerCase();
  if (l === '') return null;
  if (GB_LABELS.test(l)) return 'gb18030';
  if (/^(?:us-)?ascii$|^ansi_x3\.4-1968$/.test(l)) return 'utf-8';
  if (/^utf-?8$/.test(l)) return 'utf-8';
  // Refused as body charsets: UTF-7 smuggles markup past filters; base64/hex are not charsets.
  if (/^(?:unicode-1-1-)?utf-?7(?:-imap)?$|^base64$|^hex$/.test(l)) return null;
  if (l === 'ks_c_5601-1987') return 'cp949';
  return iconv.encodingExists(l) ? l : null;
}

export function isGbCharset(label: string | null | undefined): boolean {
  return canonicalCharset(label) === 'gb18030';
}

export function isAscii(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b >= 0x80) return false;
  return true;
}

/** True when the bytes are valid UTF-8; `partial` tolerates a sequence cut off at the end. */
export function isValidUtf8(bytes: Uint8Array, partial = false): boolean {
  let b = bytes;
  if (partial) {
    // Drop an incomplete trailing sequence (at most 3 bytes) before checking.
    let i = b.length - 1;
    let back = 0;
    while (i >= 0 && back < 3 && (b[i]! & 0xc0) === 0x80) {
      i--;
      back++;
    }
    if (i >= 0 && b[i]! >= 0xc0) {
      const need = b[i]! >= 0xf0 ? 3 : b[i]! >= 0xe0 ? 2 : 1;
      if (back < need) b = b.subarray(0, i);
    }
  }
  try {
    strictUtf8.decode(b);
    return true;
  } catch {
    return false;
  }
}

export interface GbScore {
  /** Byte sequences that are not GB18030 at all. */
  invalid: number;
  /** Two-byte characters in the GB2312 block (A1-F7 / A1-FE): what almost all Chinese text uses. */
  common: number;
  /** Other valid two- and four-byte characters (GBK extensions, GB18030 four-byte). */
  rare: number;
}

/** Walks bytes as GB18030 and counts what kind of characters they would be. */
export function scoreGb18030(bytes: Uint8Array): GbScore {
  const s: GbScore = { invalid: 0, common: 0, rare: 0 };
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    const b1 = bytes[i + 1];
    if (b >= 0x81 && b <= 0xfe && b1 !== undefined) {
      if (b1 >= 0x30 && b1 <= 0x39) {
        const b2 = bytes[i + 2];
        const b3 = bytes[i + 3];
        if (b2 !== undefined && b3 !== undefined && b2 >= 0x81 && b2 <= 0xfe && b3 >= 0x30 && b3 <= 0x39) {
          s.rare++;
          i += 4;
          continue;
        }
      } else if (b1 >= 0x40 && b1 <= 0xfe && b1 !== 0x7f) {
        if (b >= 0xa1 && b <= 0xf7 && b1 >= 0xa1) s.common++;
        else s.rare++;
        i += 2;
        continue;
      }
    }
    s.invalid++;
    i++;
  }
  return s;
}

/**
 * Whether bytes read as GB18030 look like Chinese text rather than a Western 8-bit charset
 * that happens to be valid GB18030 (Latin-1 "Frösche" is: F6 73 is a GBK extension character).
 */
export function looksLikeGb(bytes: Uint8Array): boolean {
  const s = scoreGb18030(bytes);
  const chars = s.common + s.rare;
  if (chars === 0 || s.invalid > 0) return false;
  return s.common >= chars * 0.6;
}

export type DecodeBasis = 'ascii' | 'label' | 'utf-8' | 'gb18030' | 'fallback';

export interface Decoded {
  text: string;
  /** The charset the text was decoded as (iconv-lite name). */
  charset: string;
  /** Why: the label held, or the bytes said otherwise. */
  basis: DecodeBasis;
}

function decodeAs(bytes: Uint8Array, charset: string): string {
  if (charset === 'utf-8') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  return iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), charset);
}

function cleanAs(bytes: Uint8Array, charset: string): boolean {
  if (charset === 'utf-8') return isValidUtf8(bytes);
  if (charset === 'gb18030') return scoreGb18030(bytes).invalid === 0;
  return !decodeAs(bytes, charset).includes('\uFFFD');
}

/**
 * Decides which charset bytes are in, from the bytes first and the label second:
 *  - ASCII is ASCII whatever the label;
 *  - valid UTF-8 with non-ASCII bytes is UTF-8 unless a legacy label also decodes it cleanly
 *    (GBK text is almost never valid UTF-8, and the reverse is rare beyond a few characters);
 *  - bytes that are not clean under their label are read as GB18030 when they look Chinese,
 *    else as Windows-1252, the usual charset of unlabelled Western 8-bit mail.
 * `partial` says the bytes are a prefix of a longer text (a sample), so a cut sequence at the
 * end is not an error.
 */
export function chooseCharset(bytes: Uint8Array, label?: string | null, opts: { partial?: boolean; fallback?: string } = {}): { charset: string; basis: DecodeBasis } {
  if (isAscii(bytes)) return { charset: canonicalCharset(label) ?? 'utf-8', basis: 'ascii' };
  const labelled = canonicalCharset(label);
  const utf8 = isValidUtf8(bytes, opts.partial);
  if (labelled === 'utf-8' || labelled === null) {
    if (utf8) return { charset: 'utf-8', basis: labelled ? 'label' : 'utf-8' };
  } else if (labelled === 'gb18030') {
    const s = scoreGb18030(bytes);
    const cutTail = opts.partial && s.invalid === 1 && bytes.length > 0 && bytes[bytes.length - 1]! >= 0x81;
    if (s.invalid === 0 || cutTail) {
      // Valid as both: believe the label unless the GB reading is mostly rare characters
      // (UTF-8 CJK read as GBK gives "浣犲ソ"-style rare-character soup).
      if (!utf8 || s.common >= (s.common + s.rare) * 0.6) return { charset: 'gb18030', basis: 'label' };
    }
    if (utf8) return { charset: 'utf-8', basis: 'utf-8' };
  } else {
    // Another legacy label (Big5, Shift_JIS, ISO-8859-x, KOI8...): believe it when it decodes
    // cleanly and the bytes are not UTF-8 in disguise.
    const clean = cleanAs(bytes, labelled);
    if (utf8 && !/^(?:big5|shift_jis|sjis|euc-jp|euc-kr|cp949|iso-2022)/i.test(labelled)) return { charset: 'utf-8', basis: 'utf-8' };
    if (clean) return { charset: labelled, basis: 'label' };
    if (utf8) return { charset: 'utf-8', basis: 'utf-8' };
  }
  if (looksLikeGb(bytes)) return { charset: 'gb18030', basis: 'gb18030' };
  if (labelled && labelled !== 'utf-8' && labelled !== 'gb18030') return { charset: labelled, basis: 'label' };
  const other = otherCjk(bytes);
  if (other) return { charset: other, basis: 'fallback' };
  return { charset: opts.fallback ?? 'windows-1252', basis: 'fallback' };
}

function share(text: string, re: RegExp): number {
  const non = [...text].filter((c) => c.charCodeAt(0) >= 0x80);
  return non.length === 0 ? 0 : non.filter((c) => re.test(c)).length / non.length;
}

/**
 * Unlabelled or mislabelled text in the other East Asian charsets, recognised by the script its
 * bytes decode to: Japanese has kana, Korean hangul, Big5 only Han characters.
 */
function otherCjk(bytes: Uint8Array): string | null {
  // Western 8-bit text has a few high bytes among many letters; East Asian text is mostly high
  // bytes. Without this, Latin-1 "Verão" is a valid Big5 character or two.
  let high = 0;
  let visible = 0;
  for (const b of bytes) {
    if (b > 0x20) visible++;
    if (b >= 0x80) high++;
  }
  if (high < 4 || high < visible * 0.3) return null;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tryAs = (cs: string) => {
    const t = iconv.decode(buf, cs);
    return t.includes('\uFFFD') ? null : t;
  };
  const sjis = tryAs('shift_jis');
  if (sjis && share(sjis, /[\u3040-\u30ff]/) >= 0.1 && share(sjis, /[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]/) >= 0.9) return 'shift_jis';
  const big5 = tryAs('big5');
  if (big5 && share(big5, /[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]/) >= 0.9) return 'big5';
  const kr = tryAs('euc-kr');
  if (kr && share(kr, /[\uac00-\ud7af]/) >= 0.5) return 'euc-kr';
  return null;
}

/** Decodes bytes with `chooseCharset`. */
export function decodeText(bytes: Uint8Array, label?: string | null, opts: { partial?: boolean; fallback?: string } = {}): Decoded {
  const { charset, basis } = chooseCharset(bytes, label, opts);
  return { text: decodeAs(bytes, charset), charset, basis };
}

/**
 * Undoes the most common mojibake: bytes that were read as Latin-1 (one character per byte,
 * as mailparser does for raw 8-bit parameter values). Returns the string unchanged when it is
 * not made of Latin-1 characters, or when the bytes it stands for are not clean text.
 */
export function recoverLatin1(s: string, hint?: string | null): string {
  if (!/[\u0080-\u00ff]/.test(s) || /[^\u0000-\u00ff]/.test(s)) return s;
  const bytes = Buffer.from(s, 'latin1');
  const d = decodeText(bytes, hint, { fallback: 'latin1' });
  return d.basis === 'fallback' ? s : d.text;
}
