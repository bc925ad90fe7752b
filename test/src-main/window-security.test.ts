import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, isAllowedExternalUrl } from '../../src-main/window-security.js';

describe('isAllowedExternalUrl', () => {
  it('allows https pages of allowlisted hosts only', () => {
    expect(isAllowedExternalUrl('https://platform.openai.com/api-keys')).toBe(true);
    expect(isAllowedExternalUrl('https://github.com/kagami')).toBe(true);
  });

  it('refuses other schemes, hosts, look-alikes and credentials in the URL', () => {
    for (const url of [
      'http://github.com/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'smb://github.com/share',
      'https://github.com.evil.example/',
      'https://evil.example/?https://github.com/',
      'https://user:pass@github.com/',
      'https://127.0.0.1:8765/ui/',
      'not a url',
    ]) {
      expect(isAllowedExternalUrl(url), url).toBe(false);
    }
  });
});

describe('contentSecurityPolicy', () => {
  it('allows only our own scripts and connections in production', () => {
    const csp = contentSecurityPolicy({ dev: false });
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toMatch(/unsafe-(inline|eval)/);
  });

  it('relaxes only what the dev server needs (inline refresh preamble, HMR socket)', () => {
    const csp = contentSecurityPolicy({ dev: true });
    expect(csp).toContain("script-src 'self' 'unsafe-inline'");
    expect(csp).toContain('ws:');
    expect(csp).not.toContain('unsafe-eval');
  });
});
