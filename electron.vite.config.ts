// `npm run app` (electron-vite dev) and `npm run app:build`: main and preload from
// src-main/, the renderer from src-renderer/ (shared with the web build, vite.ui.config.ts).
// In dev the renderer's dev server proxies /admin to the daemon so the UI stays same-origin.

import { defineConfig } from 'electron-vite';
import { fileURLToPath } from 'node:url';
import { rendererConfig } from './vite.ui.config.js';

const file = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
const daemonUrl = process.env.KAGAMI_URL ?? 'http://127.0.0.1:8765';

export default defineConfig({
  main: {
    build: { rollupOptions: { input: { index: file('./src-main/index.ts') } } },
  },
  preload: {
    build: {
      // Sandboxed preloads can require only 'electron': bundle everything else, emit CommonJS.
      externalizeDeps: false,
      rollupOptions: {
        input: { preload: file('./src-main/preload.ts') },
        external: ['electron'],
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    ...rendererConfig,
    build: { ...rendererConfig.build, rollupOptions: { input: { index: file('./src-renderer/index.html') } } },
    server: {
      proxy: {
        '/admin': {
          target: daemonUrl,
          changeOrigin: true,
          // The daemon refuses foreign Origins; the dev server is a same-machine proxy.
          configure: (proxy) => proxy.on('proxyReq', (req) => req.removeHeader('origin')),
        },
      },
    },
  },
});
