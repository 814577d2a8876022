import type {SecurityGroupFix} from '../security-groups/fix.ts'
import type {SecurityGroupsReport} from '../security-groups/model.ts'
import {paint, table} from './text.ts'

/** The Security groups section of `listeners show` (the findings themselves print with the verdict). */
export function formatSecurityGroupsReport(r: SecurityGroupsReport | undefined): string {
  if (!r) return ''
  const out = ['', 'Security groups']
  if (r.unreadable) out.push(`  not read: ${r.unreadable}`)
  else if (r.groups.length === 0) out.push('  none on the load balancer')
  else
    out.push(
      table(
        ['group', 'name', 'managed by', 'open to 0.0.0.0/0'],
        r.groups.map((g) => [
          g.id,
          g.name,
          g.managedByBeanstalk ? 'Beanstalk' : 'you',
          g.openToInternet.length > 0 ? g.openToInternet.join(', ') : 'nothing',
        ]),
      ),
    )
  if (r.closedPorts.length > 0)
    out.push(paint('red', `  listener port ${r.closedPorts.join(', ')} closed: ebws listeners fix opens it`))
  return out.join('\n')
}

/** The security-group lines of a `listeners fix` result: the plan (or what was done) and the read-back. */
export function formatSecurityGroupFix(sg: SecurityGroupFix | undefined): string {
  if (!sg) return ''
  const out: string[] = []
  if (sg.steps.length === 0 && sg.notes.length === 0) return ''
  out.push('', 'Security groups')
  for (const s of sg.steps) {
    const what = `TCP ${s.port} from ${s.cidr} on ${s.groupId}${s.managedByBeanstalk ? ' (Beanstalk-managed)' : ' (yours, --open-security-group)'}`
    const how =
      s.when === 'beanstalk'
        ? sg.openedByBeanstalk.includes(s.port)
          ? 'opened by Beanstalk with the option settings (read back)'
          : sg.added.some((a) => a.port === s.port)
            ? 'added by ebws'
            : 'Beanstalk opens it with the option settings'
        : sg.added.some((a) => a.port === s.port)
          ? 'added by ebws'
          : 'to add'
    out.push(`  ${what}: ${how}`)
  }
  for (const c of sg.added.length === 0 && !sg.verified ? sg.commands : []) out.push(`    ${c}`)
  for (const n of sg.notes) out.push(`  ${n}`)
  if (sg.verified)
    out.push(
      sg.closedAfter.length === 0
        ? '  ✔ read back: every listener port is open'
        : paint('red', `  ✖ read back: port ${sg.closedAfter.join(', ')} still closed`),
    )
  return out.join('\n')
}
