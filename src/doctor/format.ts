import type {Check, CheckStatus, DoctorResult} from './types.ts'

const MARK: Record<CheckStatus, string> = {pass: '✔', fail: '✘', warn: '!', skip: '-'}

/** One line per check (mark, id, evidence), and the fix on the next line when it did not pass. Never wrapped: fixes paste as printed. */
export function formatDoctor(result: DoctorResult, target?: string): string {
  const width = Math.max(...result.checks.map((c) => c.id.length))
  const lines = target ? [`ebws doctor ${target}`] : []
  for (const c of result.checks) {
    lines.push(`${MARK[c.status]} ${c.id.padEnd(width)}  ${c.evidence}`)
    if (c.fix && c.status !== 'pass' && c.status !== 'skip') lines.push(`  ${' '.repeat(width)}  fix: ${c.fix}`)
  }
  const count = (s: CheckStatus) => result.checks.filter((c: Check) => c.status === s).length
  lines.push(`${count('pass')} passed, ${count('warn')} warnings, ${count('fail')} failed, ${count('skip')} skipped`)
  return lines.join('\n')
}
