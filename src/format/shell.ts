/** One word for a POSIX shell, quoted only when it must be: suggested commands paste and run as printed. */
export const shellWord = (word: string): string =>
  /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
