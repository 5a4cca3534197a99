/**
 * Links to files parked on a mail provider's cloud instead of attached ("超大附件"). intake
 * cannot fetch them (they expire, and some need a login), so a person must.
 */
const CLOUD_LINK_PATTERNS: RegExp[] = [
  /https?:\/\/(?:wx\.)?mail\.qq\.com\/(?:cgi-bin\/ftnExs_download|ftn\/download)[^\s"'<>）)]*/gi,
  /https?:\/\/(?:[\w-]+\.)?ftn\.qq\.com\/[^\s"'<>）)]*/gi,
  /https?:\/\/(?:mail|dashi)\.(?:163|126|yeah)\.net\/[^\s"'<>）)]*/gi,
  /https?:\/\/mail\.(?:163|126)\.com\/(?:large-attachment-download|js6\/s\?[^\s"'<>]*func=mbox:getFile)[^\s"'<>）)]*/gi,
  /https?:\/\/fs\.(?:163|126)\.com\/[^\s"'<>）)]*/gi,
  /https?:\/\/(?:\w+\.)?mail\.sina\.com\.cn\/[^\s"'<>）)]*(?:bigattach|attach)[^\s"'<>）)]*/gi,
  /https?:\/\/pan\.baidu\.com\/s\/[^\s"'<>）)]*/gi,
  /https?:\/\/(?:www\.)?(?:aliyundrive|alipan)\.com\/s\/[^\s"'<>）)]*/gi,
  /https?:\/\/(?:\w+\.)?(?:weiyun|share\.weiyun)\.com\/[^\s"'<>）)]*/gi,
];

export function findCloudLinks(text: string): string[] {
  const found = new Set<string>();
  for (const re of CLOUD_LINK_PATTERNS) for (const m of text.matchAll(re)) found.add(m[0]);
  return [...found];
}
