import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/app/main.ts'),
          cli: resolve(__dirname, 'src/main/cli/index.ts'),
          // the face engine runs in its own process (utilityProcess / child_process.fork) with its own embedding thread
          'engine-process': resolve(__dirname, 'src/main/engine/process/engine-main.ts'),
          'engine-embedder': resolve(__dirname, 'src/main/engine/process/embedding-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      // a sandboxed preload cannot require() packages: bundle everything it uses
      externalizeDeps: false,
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
        // sandboxed preloads must be CommonJS
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    // relative asset URLs: the Electron app loads the renderer from app://
    base: './',
    plugins: [react()],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      rollupOptions: { input: resolve(__dirname, 'src/renderer/index.html') },
    },
  },
});
