import type {FixResult} from '../listeners/fix.ts'
import {paint, severityMark} from './text.ts'
import {shellWord} from './shell.ts'

/** `asking`: the plan shown at the terminal prompt, before anything is applied. */
export function formatFixResult(r: FixResult, o: {asking?: boolean} = {}): string {
  const out: string[] = []
  out.push(`${paint('bold', r.environment)} · ${r.loadBalancerName} · ${r.region} · mode ${r.mode}`)
  out.push(`Certificate ${r.certificate.arn}`)
  out.push(
    `  ${r.certificate.domainName ?? ''}${r.certificate.notAfter ? `, expires ${r.certificate.notAfter.slice(0, 10)}` : ''} (${r.certificate.reason})`,
  )
  if (r.status === 'emitted') {
    out.push(`Wrote ${r.ebextensionsFile}: commit it with your app; Beanstalk applies it on the next deploy.`)
  } else if (r.status === 'already-in-shape') {
    out.push(paint('green', 'Already in shape: nothing to change.'))
  } else {
    out.push('')
    out.push(r.status !== 'dry-run' ? 'Applied:' : o.asking ? 'Plan:' : 'Plan (dry run, nothing changed):')
    if (r.elbSteps.length === 0) out.push('  load balancer: no changes')
    r.elbSteps.forEach((s, i) => out.push(`  ${i + 1}. ${s.description}`))
    if (r.optionSettingsToUpdate.length > 0) {
      out.push(
        `  ${r.elbSteps.length + 1}. update the environment's option settings (so environment updates keep the layout):`,
      )
      for (const s of r.optionSettingsToUpdate) out.push(`       ${s.namespace} ${s.optionName} = ${s.value}`)
    }
    if (r.status === 'dry-run' && !o.asking && r.elbSteps.length > 0) {
      out.push('')
      out.push('The same with the AWS CLI:')
      for (const s of r.elbSteps) out.push(`  ${s.command}`)
    }
  }
  for (const w of r.warnings) out.push(`${severityMark('warning')} ${w}`)
  if (r.backupFile)
    out.push(
      `Snapshot of the previous state: ${r.backupFile} (ebws listeners restore --from ${shellWord(r.backupFile)})`,
    )
  if (r.verdictAfter) for (const f of r.verdictAfter.findings) out.push(`  ${severityMark(f.severity)} ${f.message}`)
  return out.join('\n')
}
