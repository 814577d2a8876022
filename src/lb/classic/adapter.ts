// The Classic Load Balancer adapter. Its model, reader, planner and verdict rules are in src/listeners (fix,
// inspect, plan, verdict, option settings) and src/elb (model, reader, dependency-graph executor); its pipeline
// stages in change.ts; Proxy Protocol in proxy-protocol.ts (planned by src/proxy-protocol/plan.ts).
import {formatListenersReport} from '../../format/listeners-report.ts'
import {formatFixResult} from '../../format/fix-result.ts'
import type {FixOptions, FixResult} from '../../listeners/fix.ts'
import {fixListeners} from '../../listeners/fix.ts'
import type {ListenersReport} from '../../listeners/inspect.ts'
import {restoreListeners} from '../../listeners/restore.ts'
import {clbProxyChange, clbProxyStatus} from './proxy-protocol.ts'
import {inspectListeners} from '../../listeners/inspect.ts'
import type {LoadBalancerAdapter} from '../types.ts'

export const classicAdapter: LoadBalancerAdapter<ListenersReport, FixResult, FixOptions> = {
  type: 'classic',
  show: (clients, input) =>
    inspectListeners(
      clients,
      input.first.environment.environmentName,
      input.ports,
      input.now,
      input.first,
      input.onDescribed,
    ),
  format: (report, ctx) => formatListenersReport(report, ctx.now, ctx.ports),
  fix: (clients, {first, intent}) => fixListeners(clients, {...intent.classic, first}),
  formatFix: (result) => formatFixResult(result),
  ownsSnapshot: (s) => s.kind === 'ebws-listeners-snapshot',
  restore: restoreListeners,
  proxyStatus: clbProxyStatus,
  proxyChange: clbProxyChange,
}
