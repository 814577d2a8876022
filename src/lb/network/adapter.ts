// The Network Load Balancer adapter. `listeners show` reads it with the ELBv2 reader it shares with the ALB.
// `listeners fix` refuses, on purpose: Beanstalk's NLB listeners are TCP only ("It only supports TCP listeners",
// https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/environments-cfg-nlb.html), so TLS cannot end at a Beanstalk-managed NLB durably, and an NLB cannot redirect or add X-Forwarded-Proto.
import {badInput} from '../../cli/errors.ts'
import {formatElbv2Report} from '../application/format.ts'
import {isElbv2Snapshot, restoreElbv2} from '../application/restore.ts'
import type {Elbv2Report} from '../application/show.ts'
import {showElbv2} from '../application/show.ts'
import type {LoadBalancerAdapter} from '../types.ts'
import {nlbProxyChange, nlbProxyStatus} from './proxy-protocol.ts'

export const NLB_FIX_REFUSAL =
  "ebws does not rewrite Network Load Balancer listeners: an NLB passes TCP through, so it cannot redirect http:// to https:// nor add X-Forwarded-Proto, and Beanstalk's option settings for NLB listeners (aws:elbv2:listener:*) accept Protocol TCP only, so a TLS listener would be live-only and undone by the next environment update."

export const networkAdapter: LoadBalancerAdapter<Elbv2Report, never> = {
  type: 'network',
  show: showElbv2,
  format: (r, ctx) => formatElbv2Report(r, ctx.now),
  proxyStatus: nlbProxyStatus,
  proxyChange: nlbProxyChange,
  ownsSnapshot: (s) => isElbv2Snapshot(s) && s.loadBalancerType === 'network',
  restore: restoreElbv2,
  fix: async (_clients, {first}) => {
    throw badInput(
      'LB_TYPE_UNSUPPORTED',
      `Environment "${first.environment.environmentName}" uses a Network Load Balancer. ${NLB_FIX_REFUSAL}`,
      [
        'Recommended: run Socket.io behind an Application Load Balancer (clone the environment with LoadBalancerType application, run `ebws listeners fix` on the clone, then swap CNAMEs); see the README.',
        'To stay on the NLB: keep TCP 443 -> 443 and end TLS on the instance (nginx), redirect http:// by port in the app, and turn on Proxy Protocol v2 with `ebws proxy-protocol enable` to see client addresses.',
      ],
    )
  },
}
