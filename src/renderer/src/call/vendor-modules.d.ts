/**
 * Types for `qrcode/lib/browser.js`, the package's browser entry (canvas renderer, no `fs`), which the
 * call imports by path: `@types/qrcode` references `@types/node`, which would leak Node globals into
 * the renderer's type space. simple-peer's bundle is typed in src/types/simple-peer-bundle.d.ts.
 */
declare module 'qrcode/lib/browser.js' {
  export interface QrDataUrlOptions {
    errorCorrectionLevel?: 'L' | 'M' | 'Q' | 'H';
    margin?: number;
    width?: number;
    color?: { dark?: string; light?: string };
  }
  export function toDataURL(text: string, options?: QrDataUrlOptions): Promise<string>;
}
