import {paint, severityMark, table} from '../format/text.ts'
import type {AppCheck} from './app-check.ts'
import type {PortStatus} from './plan.ts'
import type {ProxyChangeResult, StatusResult} from './run.ts'
import {shellWord} from '../format/shell.ts'

const onOff = (p: PortStatus) =>
  `${p.enabled ? 'on' : 'off'}${p.configured !== p.enabled ? ` (settings: ${p.configured ? 'on' : 'off'}, drift)` : ''}`

function appLine(a: AppCheck | undefined): string[] {
  if (!a) return []
  return [`${severityMark(a.ok ? 'info' : 'warning')} deployed app: ${a.reason}`]
}

export function formatStatus(r: StatusResult): string {
  const out = [`${paint('bold', r.environment)} · ${r.loadBalancerName} · ${r.region}`, '']
  out.push(
    table(
      ['instance port', 'proxy protocol', 'listeners', 'health check', 'safe', 'other policies'],
      r.ports.map((p) => [
        String(p.instancePort),
        onOff(p),
        p.listeners.join(', ') || '-',
        p.healthCheck ?? '-',
        p.safe ? 'yes' : 'NO',
        p.otherPolicies.join(', ') || '-',
      ]),
    ),
  )
  for (const p of r.ports)
    for (const problem of p.problems)
      out.push(`${severityMark(p.enabled || p.configured ? 'error' : 'warning')} port ${p.instancePort}: ${problem}`)
  out.push(...appLine(r.appCheck))
  return out.join('\n')
}

/** `asking`: the plan shown at the terminal prompt, before anything is applied. */
export function formatChange(r: ProxyChangeResult, o: {asking?: boolean} = {}): string {
  const out = [
    `${paint('bold', r.environment)} · ${r.loadBalancerName} · ${r.region} · ${r.action} Proxy Protocol on instance port ${r.instancePort}`,
  ]
  if (r.status === 'already-in-shape') {
    out.push(paint('green', `Already ${r.action === 'enable' ? 'enabled' : 'disabled'}: nothing to change.`))
  } else {
    out.push(r.status !== 'dry-run' ? 'Applied:' : o.asking ? 'Plan:' : 'Plan (dry run, nothing changed):')
    if (r.elbSteps.length === 0) out.push('  load balancer: no changes')
    r.elbSteps.forEach((s, i) => out.push(`  ${i + 1}. ${s.description}`))
    if (r.optionSettingsToUpdate.length + r.optionSettingsToRemove.length > 0) {
      out.push(`  ${r.elbSteps.length + 1}. update the environment's option settings (so environment updates keep it):`)
      for (const s of r.optionSettingsToUpdate) out.push(`       ${s.namespace} ${s.optionName} = ${s.value}`)
      for (const s of r.optionSettingsToRemove) out.push(`       remove ${s.namespace} ${s.optionName}`)
    }
    if (r.status === 'dry-run' && !o.asking && r.elbSteps.length > 0) {
      out.push('', 'The same with the AWS CLI:')
      for (const s of r.elbSteps) out.push(`  ${s.command}`)
    }
  }
  out.push(...appLine(r.appCheck))
  for (const w of r.warnings) out.push(`${severityMark('warning')} ${w}`)
  if (r.backupFile)
    out.push(
      `Snapshot of the previous state: ${r.backupFile} (ebws listeners restore --from ${shellWord(r.backupFile)})`,
    )
  const p = r.portAfter
  out.push(
    `Port ${p.instancePort}: Proxy Protocol ${onOff(p)}; listeners ${p.listeners.join(', ') || 'none'}${p.safe ? '' : `; ${paint('red', 'unsafe')}: ${p.problems.join(' ')}`}`,
  )
  return out.join('\n')
}
