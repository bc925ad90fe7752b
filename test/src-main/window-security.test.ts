import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, guardWebContents, isAllowedExternalUrl, type WebContentsLike } from '../../src-main/window-security.js';

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

describe('guardWebContents', () => {
  const UI = 'http://127.0.0.1:8765/ui/';

  /** Records the listeners main registers on a web contents, and lets the test fire them. */
  function fakeContents() {
    const listeners = new Map<string, (event: { preventDefault(): void }, url?: string) => void>();
    let openHandler: ((details: { url: string }) => { action: 'deny' }) | null = null;
    const contents: WebContentsLike = {
      // One implementation for the typed overloads of WebContents.on.
      on: ((name: string, listener: (event: { preventDefault(): void }, url?: string) => void) => listeners.set(name, listener)) as WebContentsLike['on'],
      setWindowOpenHandler: (handler: (details: { url: string }) => { action: 'deny' }) => {
        openHandler = handler;
      },
    };
    const fire = (name: string, url?: string): boolean => {
      let prevented = false;
      listeners.get(name)?.({ preventDefault: () => (prevented = true) }, url);
      return prevented;
    };
    return { contents, fire, open: (url: string) => openHandler?.({ url }) };
  }

  const setUp = () => {
    const opened: string[] = [];
    const fake = fakeContents();
    guardWebContents(fake.contents, { isUiUrl: (url) => url.startsWith(UI), openExternal: (url) => opened.push(url) });
    return { ...fake, opened };
  };

  it('lets the window navigate and redirect within the UI only', () => {
    const { fire } = setUp();
    expect(fire('will-navigate', `${UI}#/keys`)).toBe(false);
    expect(fire('will-redirect', `${UI}index.html`)).toBe(false);
    for (const url of ['https://evil.example/', 'http://127.0.0.1:8765/admin/events', 'file:///etc/passwd', 'http://127.0.0.1:9999/ui/']) {
      expect(fire('will-navigate', url), url).toBe(true);
      expect(fire('will-redirect', url), url).toBe(true);
    }
  });

  it('refuses webviews', () => {
    expect(setUp().fire('will-attach-webview')).toBe(true);
  });

  it('never opens a window: allowlisted links go to the browser, others nowhere', () => {
    const { open, opened } = setUp();
    expect(open('https://platform.openai.com/api-keys')).toEqual({ action: 'deny' });
    expect(open('https://evil.example/')).toEqual({ action: 'deny' });
    expect(open(`${UI}#/live`)).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://platform.openai.com/api-keys']);
  });
});
