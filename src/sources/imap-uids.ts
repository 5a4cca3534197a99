/** The archive's source id of a message in a mailbox: which UID, under which UIDVALIDITY. */
export const imapSourceId = (mailbox: string, uidValidity: string, uid: number) => `imap:${mailbox}/${uidValidity}/${uid}`;

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
