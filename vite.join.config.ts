/**
 * The customer join page (src/join): a plain Vite build, separate from electron-vite's renderer,
 * served by the backend at /join/<roomId> (server/join/routes.ts).
 *   npx vite build -c vite.join.config.ts   → out/join/index.html + out/join/assets/*
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('./src/join'),
  // absolute asset URLs: the page lives at /join/<roomId>, one level below its assets' base
  base: '/join/',
  publicDir: false,
  build: {
    outDir: here('./out/join'),
    emptyOutDir: true,
    // Mobile Safari 14 / iOS WeChat (WKWebView got getUserMedia in iOS 14.3) and the Android WebViews of that era.
    target: ['es2020', 'safari14', 'chrome87', 'firefox78'],
    // one small page: no modulepreload polyfill (it would be an extra inline-free script, but nothing to preload)
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: true,
    rollupOptions: { input: here('./src/join/index.html') },
  },
});
