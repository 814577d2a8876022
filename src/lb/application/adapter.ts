import {requireClassicLoadBalancer} from '../../environment/describe.ts'
import type {FirstRoundTrip, LoadBalancerAdapter} from '../types.ts'
import type {AlbFixResult} from './fix.ts'
import {fixAlb, formatAlbFix} from './fix.ts'
import {formatElbv2Report} from './format.ts'
import {isElbv2Snapshot, restoreElbv2} from './restore.ts'
import type {Elbv2Report} from './show.ts'
import {showElbv2} from './show.ts'

// An ALB has no Proxy Protocol: it ends HTTP and adds X-Forwarded-For/Proto. `proxy-protocol` refuses it with the
// message every Classic-only read gives (exit 2, no call beyond round trip 1).
const noProxyProtocol = async (_clients: unknown, {first}: {first: FirstRoundTrip}): Promise<never> => {
  requireClassicLoadBalancer(first.environment)
  throw new Error(`proxy-protocol: ${first.environment.environmentName} was detected as an ALB but reads as a CLB`)
}

export const applicationAdapter: LoadBalancerAdapter<Elbv2Report, AlbFixResult> = {
  type: 'application',
  show: showElbv2,
  format: (r, ctx) => formatElbv2Report(r, ctx.now),
  fix: fixAlb,
  formatFix: formatAlbFix,
  ownsSnapshot: (s) => isElbv2Snapshot(s) && s.loadBalancerType !== 'network',
  restore: restoreElbv2,
  proxyStatus: noProxyProtocol,
  proxyChange: noProxyProtocol,
}
