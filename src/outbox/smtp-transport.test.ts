import { describe, expect, it } from 'vitest';
import { classifySmtpError } from './smtp-transport.js';

describe('what an SMTP failure means for a reply', () => {
  it.each([
    // Before the end of the message was written: nothing can have been accepted.
    [{ code: 'ESOCKET' }, false, 'connection'], // connection refused
    [{ code: 'ETIMEDOUT' }, false, 'connection'],
    [{ code: 'EDNS' }, false, 'connection'],
    [{ code: 'ETLS' }, false, 'connection'],
    [{ code: 'ETLS', responseCode: 500, command: 'STARTTLS' }, false, 'connection'], // STARTTLS required, the server does not offer it
    [{ code: 'ECONNECTION', responseCode: 421, command: 'CONN' }, false, 'connection'],
    [{ code: 'EAUTH', responseCode: 535, command: 'AUTH PLAIN' }, false, 'connection'], // a wrong authorisation code holds every reply
    [{ code: 'EENVELOPE', responseCode: 451, command: 'MAIL FROM' }, false, 'connection'], // the account is throttled
    [{ code: 'EENVELOPE', responseCode: 450, command: 'RCPT TO' }, false, 'temporary'], // this recipient, for now
    [{ code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO' }, false, 'permanent'], // no such user
    [{ code: 'EENVELOPE', responseCode: 553, command: 'MAIL FROM' }, false, 'permanent'],
    [{ code: 'EENVELOPE', responseCode: 503, command: 'RCPT TO' }, false, 'temporary'], // bad sequence: a new connection may do
    [{ code: 'EENVELOPE' }, false, 'permanent'], // an address nodemailer will not send to
    [{ code: 'EMESSAGE' }, false, 'permanent'], // larger than the server allows
    // After: an answer to the end of data settles it; no answer leaves it unknown.
    [{ code: 'EMESSAGE', responseCode: 554, command: 'DATA' }, true, 'permanent'],
    [{ code: 'EMESSAGE', responseCode: 451, command: 'DATA' }, true, 'connection'],
    [{ code: 'ETIMEDOUT' }, true, 'ambiguous'],
    [{ code: 'ECONNECTION' }, true, 'ambiguous'],
  ] as const)('%o, handed over %s → %s', (err, handedOver, expected) => {
    expect(classifySmtpError(err, handedOver)).toBe(expected);
  });
});
