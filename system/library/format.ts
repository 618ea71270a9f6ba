// Sizes and dates for people, in the conventions of the admin language.

/** 1536 → "1.5 KB": OpenCart's units, with the language's unit names and decimal mark. */
export function formatSize(bytes: number, units: string[], locale: string): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const number = new Intl.NumberFormat(locale, { maximumFractionDigits: unit === 0 ? 0 : 2 }).format(value);
  return `${number} ${units[unit]}`;
}

export function formatNumber(value: number, locale: string): string {
  return new Intl.NumberFormat(locale).format(value);
}

const pad = (value: number) => String(value).padStart(2, '0');

/** PHP date() for the letters OpenCart's language files use (d, j, m, n, Y, y, H, G, i, s, M). */
export function formatPhpDate(date: Date, format: string): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  let result = '';
  for (let i = 0; i < format.length; i++) {
    const letter = format[i];
    switch (letter) {
      case 'd': result += pad(date.getDate()); break;
      case 'j': result += date.getDate(); break;
      case 'm': result += pad(date.getMonth() + 1); break;
      case 'n': result += date.getMonth() + 1; break;
      case 'Y': result += date.getFullYear(); break;
      case 'y': result += pad(date.getFullYear() % 100); break;
      case 'H': result += pad(date.getHours()); break;
      case 'G': result += date.getHours(); break;
      case 'i': result += pad(date.getMinutes()); break;
      case 's': result += pad(date.getSeconds()); break;
      case 'M': result += months[date.getMonth()]; break;
      case '\\': result += format[++i] ?? ''; break;
      default: result += letter;
    }
  }
  return result;
}

/** OpenCart's backup name: `YYYY-MM-DD HH.mm.ss.sql`, in the server's local time. */
export function backupFileStem(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}.${pad(date.getMinutes())}.${pad(date.getSeconds())}`;
}
