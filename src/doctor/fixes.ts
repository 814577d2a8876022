// The fix lines checks print: ebws commands that run as printed (no placeholders), or a config change in words.
import {isIP} from 'node:net'

import type {DoctorTarget} from './types.ts'

/** `-e NAME` when the environment is known; otherwise nothing, and ebws falls back to EBWS_ENVIRONMENT / the eb CLI default. */
const env = (t: DoctorTarget) => (t.fixEnvironment ? ` -e ${t.fixEnvironment}` : '')

/**
 * --domain HOST picks the ACM certificate that covers the host. Not for an IP address or the environment's own
 * *.elasticbeanstalk.com CNAME (nobody has a certificate for that): `listeners fix` then keeps the current certificate.
 */
const domain = (t: DoctorTarget) =>
  isIP(t.host) !== 0 || /\.elasticbeanstalk\.com$/i.test(t.host) ? '' : ` --domain ${t.host}`

/** `ebws listeners fix` for this target, with extra flags. */
export const listenersFix = (t: DoctorTarget, extra = ''): string => `ebws listeners fix${env(t)}${domain(t)}${extra}`

export const proxyProtocol = (t: DoctorTarget, verb: 'enable' | 'disable'): string =>
  `ebws proxy-protocol ${verb}${env(t)}`

/** For `--local`: restart the emulation with other flags (its ports and state folder kept). */
export function localUp(t: DoctorTarget, flags: string): string | undefined {
  if (!t.local) return undefined
  // The recorded flags, minus those the fix changes (a flag given twice is an error).
  const given = new Set(flags.split(' ').filter((f) => f.startsWith('--')))
  const kept: string[] = []
  const args = t.local.localUpArgs
  for (let i = 0; i < args.length; i++) {
    const hasValue = i + 1 < args.length && !args[i + 1]!.startsWith('--')
    if (!given.has(args[i]!)) kept.push(args[i]!, ...(hasValue ? [args[i + 1]!] : []))
    if (hasValue) i++
  }
  return `ebws local down${stateDirFlag(t)} && ebws local up ${[flags, ...kept].filter(Boolean).join(' ')}`
}

function stateDirFlag(t: DoctorTarget): string {
  const args = t.local?.localUpArgs ?? []
  const i = args.indexOf('--state-dir')
  return i >= 0 ? ` --state-dir ${args[i + 1]}` : ''
}

/**
 * The layout that passes WebSocket upgrades. CLB: SSL 443 -> TCP plus HTTP 80 -> HTTP. An ALB (HTTP/HTTPS listeners)
 * and an NLB (TCP) pass upgrades themselves, so what drops them sits behind: the instance's nginx.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html (WebSockets)
 */
export function websocketLayout(t: DoctorTarget): string {
  if (t.loadBalancer === 'application' || t.loadBalancer === 'network')
    return localUp(t, '') ?? behindTheLoadBalancer(t)
  return localUp(t, '--mode websocket') ?? listenersFix(t)
}

/** What to change when the ALB/NLB passes upgrades and something on the instance does not. */
export const behindTheLoadBalancer = (t: DoctorTarget): string =>
  `The ${t.loadBalancer === 'network' ? 'NLB' : 'ALB'} passes WebSocket upgrades; the instance's nginx must too: deploy ebws's .platform/nginx/conf.d files (proxy_set_header Upgrade $http_upgrade; Connection "upgrade"), then redeploy`

/** Stickiness for polling sessions across instances, in the terms of the load balancer in front. */
export function stickinessFix(t: DoctorTarget): string {
  const websocketOnly =
    "let clients use WebSocket only, io({transports: ['websocket']}) (one connection stays on one instance)"
  if (t.loadBalancer === 'application')
    return `Enable stickiness on the default process (the AWSALB cookie; WebSockets keep working on an ALB): ${localUp(t, '--stickiness') ?? listenersFix(t, ' --stickiness')}; or ${websocketOnly}`
  if (t.loadBalancer === 'network')
    // https://docs.aws.amazon.com/elasticloadbalancing/latest/network/edit-target-group-attributes.html#sticky-sessions
    return `An NLB has no cookie stickiness: ${websocketOnly}; or turn on the target group's source-IP stickiness (stickiness.enabled, stickiness.type source_ip: clients behind one NAT then share an instance)`
  return `${websocketOnly[0]!.toUpperCase()}${websocketOnly.slice(1)}, or enable load balancer stickiness: ${listenersFix(t, ' --mode http --stickiness')} (no WebSockets then)`
}
