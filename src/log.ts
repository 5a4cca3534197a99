import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Logs go to stderr so that `intake messages --json` and the status table on stdout stay
 * machine-readable. Personal data never enters a log line: callers pass message ids, unit ids
 * and file names, never phone numbers or passwords; the redact list is a second net.
 */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      level,
      base: { app: 'intake' },
      redact: {
        paths: ['password', '*.password', 'pass', '*.pass', 'auth', '*.auth', 'phone', '*.phone'],
        censor: '[redacted]',
      },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
