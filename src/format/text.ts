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

/**
 * The option settings beside the drift they cause, as `listeners show` prints them for every load balancer type: a
 * settings table (or `emptyText`), then the drift table when there is any.
 */
export function settingsAndDrift(
  title: string,
  settings: ReadonlyArray<{namespace: string; optionName: string; value?: string | undefined}>,
  emptyText: string,
  drift: ReadonlyArray<{subject: string; configured: string; live: string; consequence: string}>,
): string[] {
  const out = ['', title]
  out.push(
    settings.length === 0
      ? `  ${emptyText}`
      : table(
          ['namespace', 'option', 'value'],
          settings.map((s) => [s.namespace, s.optionName, s.value ?? '']),
        ),
  )
  if (drift.length > 0) {
    out.push('', paint('yellow', 'Drift (live load balancer vs option settings)'))
    out.push(
      table(
        ['what', 'settings', 'live', 'next update'],
        drift.map((d) => [d.subject, d.configured, d.live, d.consequence]),
      ),
    )
  }
  return out
}

/** `expires 2027-01-31 (in 59 days)`, or `(3 days ago)` once past. */
export function expiryText(notAfter: string, now: Date): string {
  const days = Math.floor((new Date(notAfter).getTime() - now.getTime()) / 86_400_000)
  return `expires ${notAfter.slice(0, 10)}${days < 0 ? ` (${-days} days ago)` : ` (in ${days} days)`}`
}

/**
 * The Certificates section of a `listeners show` report, for every load balancer type: each certificate's ARN, then
 * the lines `details` gives for it (or why it could not be read). Nothing when there is no certificate.
 */
export function certificateSection<C extends {arn: string; lookupError?: string | undefined}>(
  certificates: readonly C[],
  details: (c: C) => string[],
): string[] {
  if (certificates.length === 0) return []
  const out = ['', 'Certificates']
  for (const c of certificates) {
    if (c.lookupError) out.push(`  ${c.arn}\n    could not be read: ${c.lookupError}`)
    else out.push(`  ${c.arn}`, ...details(c).map((l) => `    ${l}`))
  }
  return out
}
