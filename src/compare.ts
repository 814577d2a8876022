/**
 * Code-unit order for ASCII keys (ISO 8601 timestamps, ARNs). String.prototype.localeCompare would first load ICU's
 * collator, several milliseconds of a CLI run, to order strings whose locale order is this one anyway.
 */
export function compareAscii(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
