// Admin language strings: language/<code>/<file>.json loaded into i18next, looked up OpenCart-style with %s placeholders.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import i18next, { type i18n } from 'i18next';

export const FALLBACK_LANGUAGE = 'en-gb';

/** Looks up a key in the given file, then in `default`; fills `%s`/`%d` in order. */
export type Translate = (key: string, ...args: ReadonlyArray<string | number>) => string;

export class MissingTranslationError extends Error {}

/** OpenCart's sprintf subset: `%s`, `%d`, `%%`. */
export function formatPlaceholders(text: string, args: ReadonlyArray<string | number>): string {
  let index = 0;
  return text.replace(/%([sd%])/g, (whole, type: string) => {
    if (type === '%') return '%';
    const value = args[index++];
    if (value === undefined) return whole;
    return type === 'd' ? String(Math.trunc(Number(value))) : String(value);
  });
}

function readLanguageFolder(folder: string): Record<string, Record<string, string>> {
  const namespaces: Record<string, Record<string, string>> = {};
  const walk = (directory: string, prefix: string) => {
    for (const entry of readdirSync(directory)) {
      const full = path.join(directory, entry);
      if (statSync(full).isDirectory()) walk(full, prefix + entry + '/');
      else if (entry.endsWith('.json')) namespaces[prefix + entry.slice(0, -5)] = JSON.parse(readFileSync(full, 'utf8'));
    }
  };
  walk(folder, '');
  return namespaces;
}

/** Every shipped language, loaded once; `translator(code, file)` gives a Translate for one request. */
export class Languages {
  private readonly i18n: i18n;
  readonly codes: string[];

  constructor(readonly directory: string) {
    this.codes = readdirSync(directory)
      .filter((code) => existsSync(path.join(directory, code, 'default.json')))
      .sort();
    const resources: Record<string, Record<string, Record<string, string>>> = {};
    for (const code of this.codes) resources[code] = readLanguageFolder(path.join(directory, code));
    this.i18n = i18next.createInstance();
    void this.i18n.init({
      resources,
      lng: FALLBACK_LANGUAGE,
      fallbackLng: FALLBACK_LANGUAGE,
      defaultNS: 'default',
      fallbackNS: 'default',
      // Keys are OpenCart's flat names; `.` and `:` appear in texts, not as nesting.
      keySeparator: false,
      nsSeparator: false,
      // OpenCart strings use %s; i18next's own {{ }} interpolation and escaping stay off (templates escape).
      interpolation: { escapeValue: false, prefix: '{{{{', suffix: '}}}}' },
      // Resources are in memory: initialise synchronously. OpenCart's codes are lower case ("en-gb"); i18next would look for "en-GB".
      initAsync: false,
      lowerCaseLng: true,
      returnNull: false,
      returnEmptyString: false,
      showSupportNotice: false,
    } as Parameters<i18n['init']>[0]);
  }

  has(code: string): boolean {
    return this.codes.includes(code);
  }

  /** The strings of one language file merged over `default`, for templates. */
  strings(code: string, file: string): Record<string, string> {
    const merged: Record<string, string> = {};
    for (const language of [FALLBACK_LANGUAGE, code]) {
      for (const ns of ['default', file]) Object.assign(merged, this.i18n.getResourceBundle(language, ns) ?? {});
    }
    return merged;
  }

  translator(code: string, file: string): Translate {
    const t = this.i18n.getFixedT(this.has(code) ? code : FALLBACK_LANGUAGE, [file, 'default']);
    return (key, ...args) => {
      const text = t(key, { defaultValue: '\u0000missing' }) as string;
      if (text === '\u0000missing') throw new MissingTranslationError(`Language key "${key}" is missing from language/${FALLBACK_LANGUAGE}/${file}.json and default.json`);
      return formatPlaceholders(text, args);
    };
  }
}
