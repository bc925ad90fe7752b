// The Electron security checklist as data and pure decisions, so they are tested under Node:
// the Content-Security-Policy for every response the window loads, which URLs may open in
// the user's browser, and which navigations stay inside the window.

/** The CSP main adds to every response the app window receives (the daemon sends the same). */
export function contentSecurityPolicy(options: { dev: boolean }): string {
  const directives = [
    "default-src 'none'",
    // The dev server (electron-vite dev) injects React Refresh's inline preamble and CSS.
    options.dev ? "script-src 'self' 'unsafe-inline'" : "script-src 'self'",
    options.dev ? "style-src 'self' 'unsafe-inline'" : "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    options.dev ? "connect-src 'self' ws:" : "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ];
  return directives.join('; ');
}

/** Hosts whose https pages may be opened with shell.openExternal (docs and provider consoles). */
export const EXTERNAL_HOST_ALLOWLIST: readonly string[] = [
  'github.com',
  'platform.openai.com',
  'console.anthropic.com',
  'aistudio.google.com',
  'console.cloud.google.com',
  'console.aws.amazon.com',
  'portal.azure.com',
];

export function isAllowedExternalUrl(raw: string, allowlist: readonly string[] = EXTERNAL_HOST_ALLOWLIST): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  return url.protocol === 'https:' && url.username === '' && url.password === '' && allowlist.includes(url.hostname);
}
