/** The account a mailbox belongs to, as checkpoints and health records name it: user@host. */
export const imapAccount = (s: { user: string; host: string }) => `${s.user}@${s.host}`;

/**
 * The archive's source id of a message: which account and mailbox, which UID under which
 * UIDVALIDITY. The account is part of it: UIDVALIDITY is only unique per mailbox name on one
 * server (servers that give every INBOX UIDVALIDITY 1 exist), so after IMAP_URL moves to another
 * account, that account's UID 7 must not be taken for the first one's UID 7, already archived,
 * and never be read.
 */
export const imapSourceId = (account: string, mailbox: string, uidValidity: string, uid: number) => `imap:${account}/${mailbox}/${uidValidity}/${uid}`;

/** "1:3,7,9:10": a UID set for UID FETCH/STORE/MOVE, compact so long runs stay one range. */
export function uidSet(uids: number[]): string {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
