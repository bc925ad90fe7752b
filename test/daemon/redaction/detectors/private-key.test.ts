// PRIVATE_KEY: PEM / OpenSSH / PGP private key blocks from BEGIN to END (or to the end of the
// base64 body when the END line is missing). Keys are generated here with node:crypto.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { privateKeyDetector } from '../../../../daemon/redaction/detectors/private-key.js';
import { counted, describeDetector } from './detector-suite.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');
const pkcs1 = rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString().trim();
const pkcs8 = ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().trim();
const sec1 = ec.privateKey.export({ type: 'sec1', format: 'pem' }).toString().trim();
const encrypted = rsa.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString().trim();
const publicKey = ec.publicKey.export({ type: 'spki', format: 'pem' }).toString().trim();
const openssh = ['-----BEGIN OPENSSH PRIVATE KEY-----', 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW', 'QyNTUxOQAAACBhc2RmYXNkZmFzZGZhc2RmYXNkZmFzZGZhc2RmYXNkZgAAAJg=', '-----END OPENSSH PRIVATE KEY-----'].join('\n');

describeDetector(privateKeyDetector, {
  valid: [
    `Why does this fail?\n⟦${pkcs1}⟧\nThanks`,
    `key.pem:\n\`\`\`\n⟦${pkcs8}⟧\n\`\`\``,
    `⟦${sec1}⟧`,
    `encrypted: ⟦${encrypted}⟧`,
    `~/.ssh/id_ed25519:\n⟦${openssh}⟧`,
    // Pasted on one line, and inside a JSON string with escaped newlines.
    `one line: ⟦${pkcs8.replace(/\n/g, ' ')}⟧ end`,
    `{"key": "⟦${pkcs8.replace(/\n/g, '\\n')}⟧"}`,
  ],
  nearMiss: [`our public key:\n${publicKey}`, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----'],
});

describe('private key without its END line', () => {
  it('covers the base64 body up to where the text stops being a key', () => {
    const cut = pkcs1.split('\n').slice(0, 4).join('\n');
    const text = `${cut}\nand then I pasted the rest of the log`;
    expect(counted(privateKeyDetector, text)).toEqual([[cut, 0, cut.length]]);
  });
});
