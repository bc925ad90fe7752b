// The web build of the renderer: the same React UI the desktop app shows, built into
// dist/ui/ so the daemon serves it at http://127.0.0.1:PORT/ui/ (daemon/api/admin/ui.ts).
// electron.vite.config.ts reuses rendererConfig for `npm run app`.

import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig, type UserConfig } from 'vite';

const root = fileURLToPath(new URL('./src-renderer/', import.meta.url));

export const rendererConfig = {
  root,
  // Relative asset URLs: the build works under /ui/ and from any other mount point.
  base: './',
  plugins: [react()],
  build: {
    target: 'es2022',
    sourcemap: true,
    // No inline <script>/<style> and no eval, so a strict CSP (script-src 'self') holds.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 800,
  },
} satisfies UserConfig;

export default defineConfig({
  ...rendererConfig,
  build: { ...rendererConfig.build, outDir: fileURLToPath(new URL('./dist/ui/', import.meta.url)), emptyOutDir: true },
});
