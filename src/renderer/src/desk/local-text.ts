import type { LocalText } from '../../../shared/scripts';

/** A script text in the UI language: zh for zh-CN (the default), en otherwise. */
export const localText = (text: LocalText, language: string): string => (language.startsWith('zh') ? text.zh : text.en);

/** Which side of a line pair ({ zh: [...], en: [...] }) to read. */
export const lineLanguage = (language: string): 'zh' | 'en' => (language.startsWith('zh') ? 'zh' : 'en');
