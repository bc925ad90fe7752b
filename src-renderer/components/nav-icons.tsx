// Navigation icons as inline SVG (16×16, stroke = currentColor): no icon font, no assets,
// nothing a strict CSP has to allow, and the same on every OS.

const PATHS: Record<string, React.JSX.Element> = {
  live: (
    <>
      <circle cx="8" cy="8" r="2.2" fill="currentColor" stroke="none" />
      <path d="M4.3 4.3a5.2 5.2 0 0 0 0 7.4M11.7 4.3a5.2 5.2 0 0 1 0 7.4M2.2 2.2a8.2 8.2 0 0 0 0 11.6M13.8 2.2a8.2 8.2 0 0 1 0 11.6" />
    </>
  ),
  latency: (
    <>
      <circle cx="8" cy="9" r="5.8" />
      <path d="M8 9V5.6M8 9l2.4 1.4M6.3 1.5h3.4" />
    </>
  ),
  cost: (
    <>
      <ellipse cx="8" cy="4.3" rx="5.5" ry="2" />
      <path d="M2.5 4.3v7.4c0 1.1 2.5 2 5.5 2s5.5-.9 5.5-2V4.3M2.5 8c0 1.1 2.5 2 5.5 2s5.5-.9 5.5-2" />
    </>
  ),
  redaction: (
    <>
      <rect x="2" y="2.5" width="12" height="11" rx="1.5" />
      <path d="M4.5 5.5h7M4.5 8h2" />
      <rect x="7.5" y="7" width="4" height="2" fill="currentColor" stroke="none" />
      <path d="M4.5 10.5h7" />
    </>
  ),
  policy: (
    <>
      <path d="M8 1.5l5.5 2v4c0 3.4-2.4 5.8-5.5 7-3.1-1.2-5.5-3.6-5.5-7v-4z" />
      <path d="M5.6 8l1.7 1.7 3.2-3.3" />
    </>
  ),
  keys: (
    <>
      <circle cx="5.3" cy="10.7" r="3" />
      <path d="M7.4 8.6l6.1-6.1M11.2 4.8l1.8 1.8M9.6 6.4l1.4 1.4" />
    </>
  ),
  settings: (
    <>
      <path d="M2 4.5h12M2 8h12M2 11.5h12" />
      <circle cx="5.5" cy="4.5" r="1.6" fill="var(--panel)" />
      <circle cx="10.5" cy="8" r="1.6" fill="var(--panel)" />
      <circle cx="7" cy="11.5" r="1.6" fill="var(--panel)" />
    </>
  ),
};

export function NavIcon({ name }: { name: string }): React.JSX.Element {
  return (
    <svg width="16" height="16" viewBox="0 0 16 16" fill="none" stroke="currentColor" strokeWidth="1.3" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
      {PATHS[name]}
    </svg>
  );
}
