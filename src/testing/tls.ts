import { join } from 'node:path';

/**
 * The test servers' certificate and key (Dovecot in dovecot.ts, the SMTP server in smtp.ts):
 * self-signed for 127.0.0.1 and localhost, valid until 2126, so the certificate is its own CA.
 * A client trusts it only when told to, e.g. the CLI through NODE_EXTRA_CA_CERTS=TEST_TLS_CERT.
 */
export const TEST_TLS_CERT = join(import.meta.dirname, '..', '..', 'fixtures', 'tls', 'server.crt');
export const TEST_TLS_KEY = join(import.meta.dirname, '..', '..', 'fixtures', 'tls', 'server.key');

/** A certificate for another name only (imap.example.test), also self-signed: trusted, it still does not fit 127.0.0.1. */
export const OTHER_NAME_CERT = { cert: join(import.meta.dirname, '..', '..', 'fixtures', 'tls', 'other-name.crt'), key: join(import.meta.dirname, '..', '..', 'fixtures', 'tls', 'other-name.key') };
