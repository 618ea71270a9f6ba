// Every translation under language/ mirrors en-gb: the same files and keys, the same placeholders in the same order,
// the right text direction, and no English text left behind. Languages are discovered from the folder, so a new one is checked too.
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const LANGUAGE_DIRECTORY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../language');
const ENGLISH = 'en-gb';

/** Primary language subtags written right to left; every other language must say `ltr`. */
const RIGHT_TO_LEFT = new Set(['ar', 'he', 'fa', 'ur', 'ps', 'ckb', 'dv', 'yi', 'sd', 'ug']);

/** English texts up to this many characters ("Version %s", "Navigation", "Tables") may be spelled the same in a translation. */
const SHORT_TEXT_LENGTH = 12;

/**
 * Words that stay as they are in every language: the product name and technical tokens the user has to type or look up.
 * A longer English text made only of these, placeholders, digits and punctuation has nothing to translate.
 */
const UNTRANSLATABLE_TERMS = ['OpenCart', 'max_allowed_packet', 'tool/backup', '.sql.gz', '.sql', 'gzip', 'SQL'];

/**
 * Keys whose longer English text a translation may keep word for word, as `<language>/<file>:<key>` (`*` for any language).
 * Empty today; add an entry with a reason, e.g. a brand-only footer.
 */
const UNTRANSLATED_ALLOWED = new Set<string>([]);

type Strings = Record<string, unknown>;

/** `default.json`, `common/login.json`, ...: every JSON file of a language folder, as paths relative to it. */
function languageFiles(code: string): string[] {
  const files: string[] = [];
  const walk = (directory: string, prefix: string) => {
    for (const entry of readdirSync(directory)) {
      if (statSync(path.join(directory, entry)).isDirectory()) walk(path.join(directory, entry), `${prefix}${entry}/`);
      else if (entry.endsWith('.json')) files.push(prefix + entry);
    }
  };
  walk(path.join(LANGUAGE_DIRECTORY, code), '');
  return files.sort();
}

function readStrings(code: string, file: string): Strings {
  const parsed: unknown = JSON.parse(readFileSync(path.join(LANGUAGE_DIRECTORY, code, file), 'utf8'));
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`language/${code}/${file} is not a JSON object`);
  return parsed as Strings;
}

/** The placeholders the formatter fills or prints, in order: `%s`, `%d`, and a lone `%` (as in "Uploading %s%"). */
function placeholders(text: string): string[] {
  return text.match(/%[sd]|%/g) ?? [];
}

/** True when a text holds nothing but placeholders, untranslatable terms, digits and punctuation. */
function hasNothingToTranslate(text: string): boolean {
  let rest = text.replace(/%[sd%]?/g, ' ');
  for (const term of UNTRANSLATABLE_TERMS) rest = rest.split(term).join(' ');
  return !/\p{L}/u.test(rest);
}

const translations = readdirSync(LANGUAGE_DIRECTORY)
  .filter((code) => code !== ENGLISH && statSync(path.join(LANGUAGE_DIRECTORY, code)).isDirectory())
  .sort();
const englishFiles = languageFiles(ENGLISH);
const english = Object.fromEntries(englishFiles.map((file) => [file, readStrings(ENGLISH, file)])) as Record<string, Strings>;

describe('the language folder', () => {
  it('holds the en-gb reference files', () => {
    expect(englishFiles).toContain('default.json');
  });

  it('holds at least one translation besides en-gb', () => {
    expect(translations.length).toBeGreaterThan(0);
  });
});

describe.each(translations)('the %s translation', (code) => {
  it('has no file that en-gb lacks', () => {
    expect(languageFiles(code).filter((file) => !englishFiles.includes(file))).toEqual([]);
  });

  it(`says direction ${RIGHT_TO_LEFT.has(code.split('-')[0]) ? 'rtl' : 'ltr'} in default.json`, () => {
    expect(readStrings(code, 'default.json').direction).toBe(RIGHT_TO_LEFT.has(code.split('-')[0]) ? 'rtl' : 'ltr');
  });

  it('names a locale that number and date formatting accept as its code', () => {
    const locale = readStrings(code, 'default.json').code;
    expect(typeof locale).toBe('string');
    expect(() => Intl.getCanonicalLocales(locale as string)).not.toThrow();
  });

  describe.each(englishFiles)('in %s', (file) => {
    it('has the file', () => {
      expect(existsSync(path.join(LANGUAGE_DIRECTORY, code, file))).toBe(true);
    });

    it('has every key of en-gb and no other', () => {
      const keys = Object.keys(readStrings(code, file));
      const expected = Object.keys(english[file]);
      expect({ missing: expected.filter((key) => !keys.includes(key)), extra: keys.filter((key) => !expected.includes(key)) })
        .toEqual({ missing: [], extra: [] });
    });

    it('gives every key a non-empty string', () => {
      const strings = readStrings(code, file);
      const empty = Object.entries(strings).filter(([, value]) => typeof value !== 'string' || value.trim() === '').map(([key]) => key);
      expect(empty).toEqual([]);
    });

    it('keeps the placeholders of en-gb in the same order', () => {
      const strings = readStrings(code, file);
      const mismatches = Object.entries(english[file])
        .filter(([key]) => typeof strings[key] === 'string')
        .map(([key, text]) => ({ key, english: placeholders(String(text)), translated: placeholders(strings[key] as string) }))
        .filter(({ english: expected, translated }) => expected.join(' ') !== translated.join(' '));
      expect(mismatches).toEqual([]);
    });

    it(`leaves no English text longer than ${SHORT_TEXT_LENGTH} characters untranslated`, () => {
      const strings = readStrings(code, file);
      const untranslated = Object.entries(english[file])
        .filter(([key, text]) => {
          const englishText = String(text).trim();
          if (englishText.length <= SHORT_TEXT_LENGTH || hasNothingToTranslate(englishText)) return false;
          if (UNTRANSLATED_ALLOWED.has(`${code}/${file}:${key}`) || UNTRANSLATED_ALLOWED.has(`*/${file}:${key}`)) return false;
          return typeof strings[key] === 'string' && (strings[key] as string).trim().toLowerCase() === englishText.toLowerCase();
        })
        .map(([key]) => key);
      expect(untranslated).toEqual([]);
    });
  });
});
