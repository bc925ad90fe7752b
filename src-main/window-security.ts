// The Electron security checklist as data and plain functions, so they are tested under Node:
// the Content-Security-Policy for every response the window loads, which URLs may open in
// the user's browser, and what every web contents may do (navigate only within the UI, never
// open windows or webviews). No Electron import: main hands in the objects.

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

/** The part of Electron's WebContents the guard uses. */
export interface WebContentsLike {
  on(event: 'will-navigate' | 'will-redirect', listener: (event: { preventDefault(): void }, url: string) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

export interface ContentsGuardDeps {
  /** Is this URL our UI (its origin and /ui/ path, or the dev server)? Asked per navigation: the daemon's address can change. */
  readonly isUiUrl: (url: string) => boolean;
  /** Opens an allowlisted https URL in the user's browser (shell.openExternal). */
  readonly openExternal: (url: string) => void;
}

/**
 * Applied to every web contents the app creates: navigation and redirects stay inside the UI,
 * webviews are refused, and a new window is never opened: an allowlisted link goes to the
 * user's browser instead, anything else is dropped.
 */
export function guardWebContents(contents: WebContentsLike, deps: ContentsGuardDeps): void {
  const stayInUi = (event: { preventDefault(): void }, url: string): void => {
    if (!deps.isUiUrl(url)) event.preventDefault();
  };
  contents.on('will-navigate', stayInUi);
  contents.on('will-redirect', stayInUi);
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternalUrl(url)) deps.openExternal(url);
    return { action: 'deny' };
  });
}
