import {styleText} from 'node:util'

/** Colour only for people: a TTY without NO_COLOR. Pipes and CI logs get plain text. */
const useColor = (): boolean => Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb'

type Style = Parameters<typeof styleText>[0]
export const paint = (style: Style, text: string): string =>
  useColor() ? styleText(style, text, {validateStream: false}) : text

/** A plain left-aligned table; columns sized to content. */
export function table(headers: string[], rows: string[][], indent = '  '): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    indent +
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  return [line(headers.map((h) => h.toUpperCase())), ...rows.map(line)].join('\n')
}

export const severityMark = (severity: 'error' | 'warning' | 'info'): string =>
  severity === 'error' ? paint('red', '✖') : severity === 'warning' ? paint('yellow', '!') : paint('green', '✔')
