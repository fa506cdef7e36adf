import type { ConsoleTextFile } from '../../../../shared/console';

/** Saves a text file main produced (CSV, a signed bundle) through the browser's download (Electron: a save dialog). */
export function saveTextFile(file: ConsoleTextFile): void {
  const url = URL.createObjectURL(new Blob([file.text], { type: `${file.mime};charset=utf-8` }));
  const a = document.createElement('a');
  a.href = url;
  a.download = file.filename;
  document.body.append(a);
  a.click();
  a.remove();
  // after the click has been handled: revoking at once can cancel the download in some engines
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
