// Builds the dashboard (Preact + TypeScript) into ui/dist: hashed file names under assets/, so
// the server can cache them for a year. JSX is compiled by Vite's own transformer for Preact.
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsDir: 'assets',
    // The page is served with a CSP that forbids inline script: no inlined module preload shim.
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});
