// The Classic Load Balancer adapter: a thin wrapper over the existing CLB code in src/listeners and src/elb
// (not moved this time), so the CLB behaves exactly as before.
import {formatListenersReport} from '../../format/listeners-report.ts'
import {formatFixResult} from '../../format/fix-result.ts'
import type {FixResult} from '../../listeners/fix.ts'
import {fixListeners} from '../../listeners/fix.ts'
import type {ListenersReport} from '../../listeners/inspect.ts'
import {inspectListeners} from '../../listeners/inspect.ts'
import type {LoadBalancerAdapter} from '../types.ts'

export const classicAdapter: LoadBalancerAdapter<ListenersReport, FixResult> = {
  type: 'classic',
  show: (clients, input) =>
    inspectListeners(clients, input.first.environment.environmentName, input.ports, input.now, input.first),
  format: (report, ctx) => formatListenersReport(report, ctx.now, ctx.ports),
  fix: (clients, {first, intent}) => fixListeners(clients, {...intent.classic, first}),
  formatFix: (result) => formatFixResult(result),
}
