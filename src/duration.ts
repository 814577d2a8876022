import {badInput} from './cli/errors.ts'

const UNIT_MS = {ms: 1, s: 1000, m: 60_000, h: 3_600_000} as const
type Unit = keyof typeof UNIT_MS

/**
 * Parses a duration such as `20`, `20m`, `90s`, `1h`, `1h30m` or `1.5m` into milliseconds. A bare number is in
 * `defaultUnit` (minutes for --timeout, seconds for --health-grace), so `--timeout 20` keeps meaning 20 minutes.
 */
export function parseDuration(text: string, defaultUnit: 's' | 'm', flag: string, allowZero = false): number {
  const input = text.trim().toLowerCase()
  const bare = /^\d+(\.\d+)?$/.test(input)
  const parts = bare
    ? [[input, input, defaultUnit] as const]
    : [...input.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)].map((m) => [m[0], m[1]!, m[2] as Unit] as const)
  const consumed = parts.map((p) => p[0]).join('')
  if (parts.length === 0 || consumed !== input) {
    throw badInput('BAD_FLAG', `${flag} ${JSON.stringify(text)} is not a duration.`, [
      `Use a number of ${defaultUnit === 'm' ? 'minutes' : 'seconds'}, or a value with a unit such as 90s, 20m or 1h.`,
    ])
  }
  const ms = parts.reduce((sum, [, n, unit]) => sum + Number(n) * UNIT_MS[unit], 0)
  if (!Number.isFinite(ms) || ms < 0 || (ms === 0 && !allowZero))
    throw badInput('BAD_FLAG', `${flag} must be more than zero.`)
  return Math.round(ms)
}

/** `20 min`, `45 s`, `1 min 30 s`: for messages. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  const rest = s % 60
  return rest === 0 ? `${m} min` : `${m} min ${rest} s`
}
