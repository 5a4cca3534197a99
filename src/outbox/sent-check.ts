/**
 * The mailbox's Sent folder, asked about replies whose delivery was interrupted after the
 * hand-over. Sina and QQ Mail file a copy of what is sent over SMTP there when the mailbox is
 * set to ("客户端发信保存到已发送"); many SMTP servers never do, which is why a reply that is not
 * found counts as "not sent" only when a reply known to be sent is found (see OutboxSender).
 */
export interface SentFolderCheck {
  /** Names the folder and server in records and logs, never with a password. */
  readonly name: string;
  /** Which of these Message-IDs the Sent folder holds; null when the folder cannot be read. */
  find(messageIds: string[]): Promise<Set<string> | null>;
  close(): Promise<void>;
}
