// JWT: header.payload.signature whose header decodes to JSON naming `alg` and whose payload
// decodes to a JSON object. Tokens are signed here with node:crypto.
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { jwtDetector } from '../../../../daemon/redaction/detectors/jwt.js';
import { describeDetector } from './detector-suite.js';

const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function hs256(payload: object): string {
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}`;
  return `${unsigned}.${createHmac('sha256', 'test-secret').update(unsigned).digest('base64url')}`;
}

function es256(payload: object): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const unsigned = `${part({ alg: 'ES256', kid: 'k1' })}.${part(payload)}`;
  return `${unsigned}.${sign('sha256', Buffer.from(unsigned), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

const unsecured = `${part({ alg: 'none' })}.${part({ sub: '42' })}.`;

describeDetector(jwtDetector, {
  valid: [
    `Authorization: Bearer ⟦${hs256({ sub: '1234567890', name: 'Alice', iat: 1_700_000_000 })}⟧`,
    `id_token=⟦${es256({ iss: 'https://issuer.example', aud: 'kagami', exp: 1_800_000_000 })}⟧; Path=/`,
    `an unsigned one: ⟦${unsecured}⟧`,
  ],
  nearMiss: [
    `token ${part({ typ: 'JWT' })}.${part({ sub: '1' })}.c2lnbmF0dXJl`, // header without alg
    `token ${part({ alg: 'HS256' })}.eyJub3QganNvbg.c2ln`, // payload is not JSON
    `token ${part({ alg: 'HS256' })}.${part({ sub: '1' })}`, // two parts
    `token ${part({ alg: 'HS256' })}.${part([1, 2])}.c2ln`, // payload is an array
    `token ${part({ alg: 'HS256' })}.${part({ sub: '1' })}.c2ln.ZXh0cmE`, // four parts (JWE has five, not this)
  ],
});
