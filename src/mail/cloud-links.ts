/**
 * Links to files parked on a mail provider's or a cloud drive's servers instead of attached
 * ("超大附件", "云附件", 网盘 shares, online documents). intake cannot fetch them (they expire,
 * and most need a login or an extraction code), so a person must: the message goes to review
 * with the links recorded.
 */

const URL_CHARS = String.raw`[^\s"'<>（）()，。；、】【「」《》！？]+`;

/** Providers' own link shapes: a match is a cloud attachment whatever the text around it says. */
const PROVIDER_LINKS: RegExp[] = [
  // QQ Mail 超大附件 (old and new web mail, and the ftn storage hosts)
  new RegExp(String.raw`https?://(?:wx\.)?mail\.qq\.com/(?:cgi-bin/ftnExs_download|cgi-bin/ftnDownload|ftn/download|cgi-bin/ftnGetShareUrl)` + URL_CHARS, 'gi'),
  new RegExp(String.raw`https?://(?:[\w-]+\.)*ftn\.qq\.com/` + URL_CHARS, 'gi'),
  // 网易 163/126/yeah 超大附件 and 邮箱大师 cloud attachments
  new RegExp(String.raw`https?://mail\.(?:163|126|yeah)\.(?:com|net)/(?:large-attachment-download|preview/lattach|js6/s\?[^\s"'<>]*func=mbox:getFile)` + URL_CHARS, 'gi'),
  new RegExp(String.raw`https?://fs\.(?:163|126)\.com/` + URL_CHARS, 'gi'),
  new RegExp(String.raw`https?://dashi\.163\.com/html/cloud-attachment-download` + URL_CHARS, 'gi'),
  new RegExp(String.raw`https?://(?:[\w-]+\.)?(?:mail\.)?(?:163|126)\.(?:com|net)/[^\s"'<>]*(?:HUGE-ATTACHMENT|large-attachment|bigattach)` + URL_CHARS + '?', 'gi'),
  // 新浪邮箱 中转站 / 超大附件
  new RegExp(String.raw`https?://(?:[\w-]+\.)*(?:mail\.sina\.com\.cn|mail\.sina\.cn|vip\.sina\.com|sina\.net)/[^\s"'<>]*(?:filecenter|bigattach|attach|share|download)` + URL_CHARS + '?', 'gi'),
  // Coremail (government and enterprise mail) large attachments
  new RegExp(String.raw`https?://[\w.-]+/coremail/[^\s"'<>]*(?:nfFile|largeAttach|bigAttach|netfile|share_link)` + URL_CHARS + '?', 'gi'),
  // Outlook / OneDrive / SharePoint shares
  new RegExp(String.raw`https?://1drv\.ms/` + URL_CHARS, 'gi'),
  new RegExp(String.raw`https?://(?:onedrive\.live\.com|[\w-]+-my\.sharepoint\.com|[\w-]+\.sharepoint\.com/:[a-z]:)/` + URL_CHARS, 'gi'),
  // Chinese cloud drives
  new RegExp(String.raw`https?://pan\.baidu\.com/(?:s/|share/)` + URL_CHARS, 'gi'),
  new RegExp(String.raw`https?://(?:www\.)?(?:aliyundrive|alipan)\.com/s/` + URL_CHARS, 'gi'),
  new RegExp(String.raw`https?://(?:share\.weiyun\.com|weiyun\.com/s)/` + URL_CHARS, 'gi'),
  new RegExp(String.raw`https?://pan\.quark\.cn/s/` + URL_CHARS, 'gi'),
  new RegExp(String.raw`https?://(?:www\.)?123pan\.com/s/` + URL_CHARS, 'gi'),
  new RegExp(String.raw`https?://cloud\.189\.cn/(?:t/|web/share)` + URL_CHARS, 'gi'),
  new RegExp(String.raw`https?://(?:caiyun|yun)\.139\.com/` + URL_CHARS, 'gi'),
  new RegExp(String.raw`https?://[\w-]*\.?lanzou[a-z]?\.com/` + URL_CHARS, 'gi'),
  // Online documents sent instead of files (腾讯文档, 金山文档, 石墨)
  new RegExp(String.raw`https?://docs\.qq\.com/(?:doc|sheet|pdf|form)/` + URL_CHARS, 'gi'),
  new RegExp(String.raw`https?://(?:www\.)?kdocs\.cn/l/` + URL_CHARS, 'gi'),
  new RegExp(String.raw`https?://shimo\.im/(?:docs|sheets|files)/` + URL_CHARS, 'gi'),
];

/** Words that, near a link of any host, say the link is where the files are. */
const CONTEXT_WORDS = /超大附件|大附件|云附件|文件中转站|中转站|网盘|提取码|访问码|下载链接|附件下载|文件下载|点击下载|下载地址/;
const ANY_URL = new RegExp(String.raw`https?://` + URL_CHARS, 'gi');
/** Links every message of a provider carries (app adverts, help pages): never a submission. */
const NOT_A_FILE = /^https?:\/\/(?:[\w-]+\.)*(?:qq\.com\/(?:cgi-bin\/frame_html|zh_CN\/htmledition)|mail\.163\.com\/?$|mail\.126\.com\/?$|dashi\.163\.com\/?(?:\?|$)|u\.163\.com|help\.mail\.163\.com|weibo\.com|apps\.apple\.com|aka\.ms\/|go\.microsoft\.com)/i;
/** An extraction code written after a link: "提取码：abcd", "密码: 1a2b". */
const CODE_AFTER = /^[\s\S]{0,40}?(?:提取码|访问码|密码|pwd|code)\s*[:：]?\s*([A-Za-z0-9]{4,8})\b/i;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const n = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(n) && n > 0 && n < 0x110000 ? String.fromCodePoint(n) : m;
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

/** HTML as text for link finding: hrefs kept in place, tags dropped, entities decoded. */
function htmlText(html: string): string {
  return decodeEntities(
    html
      .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
      .replace(/<a\b[^>]*?\bhref\s*=\s*["']?([^"'\s>]+)[^>]*>/gi, ' $1 ')
      .replace(/<br\s*\/?>|<\/(?:p|div|tr|li)>/gi, '\n')
      .replace(/<[^>]+>/g, ' '),
  );
}

function trimUrl(url: string): string {
  return url.replace(/[.,;:!?]+$/, '');
}

/**
 * Cloud-attachment links in a message's text and HTML body, each once, with its extraction code
 * appended ("https://pan.baidu.com/s/1x 提取码：ab12") when the body gives one.
 */
export function findCloudLinks(text: string, html = ''): string[] {
  const sources = [text, html ? htmlText(html) : ''].filter(Boolean);
  const found = new Map<string, string>();
  const add = (source: string, index: number, url: string) => {
    const clean = trimUrl(url);
    if (NOT_A_FILE.test(clean)) return;
    const key = clean.replace(/^http:/i, 'https:');
    if (found.has(key)) return;
    const code = /[?&]pwd=/i.test(clean) ? null : CODE_AFTER.exec(source.slice(index + url.length, index + url.length + 60));
    found.set(key, code ? `${clean} 提取码：${code[1]}` : clean);
  };
  for (const source of sources) {
    // Most submissions carry no link at all: spare them two dozen scans.
    if (!/https?:\/\//i.test(source)) continue;
    // Several shapes can match one link with different extents: keep the longest at each place.
    const candidates: Array<{ index: number; url: string }> = [];
    for (const re of PROVIDER_LINKS) for (const m of source.matchAll(re)) candidates.push({ index: m.index, url: m[0] });
    for (const m of source.matchAll(ANY_URL)) {
      const around = source.slice(Math.max(0, m.index - 120), m.index + m[0].length + 60);
      if (CONTEXT_WORDS.test(around)) candidates.push({ index: m.index, url: m[0] });
    }
    candidates.sort((a, b) => a.index - b.index || b.url.length - a.url.length);
    let end = -1;
    for (const c of candidates) {
      if (c.index < end) continue;
      end = c.index + c.url.length;
      add(source, c.index, c.url);
    }
  }
  return [...found.values()];
}
