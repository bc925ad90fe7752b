// SECRET: a high-entropy (or password-like) value assigned to something named like a credential
// (key/secret/token/password…), never a placeholder, a type name or a code reference.
import { describe, expect, it } from 'vitest';
import { secretDetector } from '../../../../daemon/redaction/detectors/secret.js';
import { counted, describeDetector } from './detector-suite.js';

describeDetector(secretDetector, {
  valid: [
    'DB_PASSWORD=⟦Tr0ub4dor&3⟧',
    'password: "⟦correct-horse-battery-9⟧"',
    "client_secret = '⟦f3a9c1d27b8e4f6a9c0d1e2f3a4b5c6d⟧'",
    '"signing_key": "⟦q8xiM0OGr4hTxoF54Fzbka8F⟧",',
    'the password is ⟦hunter2!⟧', // the "!" may be part of it: masked with it
    'AWS_SECRET_ACCESS_KEY=⟦wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY⟧',
    'Authorization: Basic ⟦YWxhZGRpbjpvcGVuc2VzYW1l⟧',
    'Authorization: Bearer ⟦rvWdFrK9xiRGHOY32nfr5pyzPCB9t203⟧',
    'my token is ⟦da9988c79fc35526f7eaed46725a2a7b860dcd6c⟧',
    'apiKey := "⟦rvWdFrK9xiRGHOY32nfr5pyzPCB9t203⟧"',
    'password: ⟦Hunter2.Two⟧',
    'access_token: "⟦rvWdFrK9xiRGHOY32nfr5pyzPCB9t203⟧"',
  ],
  nearMiss: [
    'pwd=abc',
    'password_min_length = 12',
    'max_tokens: 4096',
    'secret_santa = true',
    "tokenizer = AutoTokenizer.from_pretrained('x')",
    'token = getToken()',
    'api_key: string',
    'password: ********',
    'token: null',
    'password: <your password>',
    'secret: ${SECRET}',
    'api_key=YOUR_API_KEY',
    'password: changeme',
    'password is required',
    'The token expired yesterday and the secret sauce is love.',
    'apiKey: process.env.API_KEY',
    'SECRET_KEY = settings.SECRET_KEY',
    'token = aaaaaaaaaaaaaaaaaaaaaaaa',
    '"tokenizer": "cl100k_base"',
    'TOKEN_URL = "https://oauth2.googleapis.com/token"',
    'secretsmanager_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"',
    'passwordField: "input#password"',
    'api_key_env = "OPENAI_API_KEY_PROD_2"',
  ],
});

describe('secret scoring', () => {
  it('scores a random token above a password-like word with a digit', () => {
    const [random] = secretDetector.detect('token=rvWdFrK9xiRGHOY32nfr5pyzPCB9t203');
    const [password] = secretDetector.detect('password=summer2024');
    expect(random?.score).toBeGreaterThan(password?.score ?? 1);
    expect(counted(secretDetector, 'password=summer2024')).toHaveLength(1);
    // The same low-variety value next to a non-password word does not count.
    expect(counted(secretDetector, 'token=summer2024')).toEqual([]);
  });
});
