/** An IMAP error for logs and records: imapflow's code, then the server's text or the message. */
export const errorText = (err: unknown): string => {
  const e = err as { message?: string; responseText?: string; code?: string };
  return [e.code, e.responseText ?? e.message ?? String(err)].filter(Boolean).join(': ');
};

/**
 * The server refused a command (a tagged NO or BAD), as the server's answer; null for anything
 * else. For a FETCH of one message, a refusal says that message cannot be had now (Exchange:
 * "could not be converted to RFC-822"; Gmail: [UNAVAILABLE]; a damaged file in the server's
 * store). Throttling (imapflow's ETHROTTLE) and a lost connection are not refusals: the whole
 * sync is tried again.
 */
export function refusal(err: unknown): string | null {
  const e = err as { responseStatus?: string; responseText?: string; code?: string; message?: string } | null;
  if (!e || (e.responseStatus !== 'NO' && e.responseStatus !== 'BAD') || e.code === 'ETHROTTLE') return null;
  return `${e.responseStatus} ${e.responseText ?? e.message ?? ''}`.trim();
}
