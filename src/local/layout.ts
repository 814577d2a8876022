import type {Listener} from '../elb/model.ts'
import {isLayer7, isSecure} from '../elb/model.ts'

export interface RedirectSupport {
  /** Whether an app can tell a plain-HTTP request from an HTTPS one, and so redirect it. */
  possible: boolean
  /** How the app tells (or why it cannot). */
  how: string
}

/**
 * Whether an HTTP -> HTTPS redirect can work with these listeners, listener by listener for the plain ones.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/x-forwarded-headers.html
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/enable-proxy-protocol.html
 */
export function redirectSupport(
  listeners: readonly Listener[],
  proxyProtocolInstancePorts: readonly number[],
): RedirectSupport {
  const plain = listeners.filter((l) => !isSecure(l.protocol))
  const secure = listeners.filter((l) => isSecure(l.protocol))
  if (plain.length === 0)
    return {possible: true, how: 'no plain listener: nothing to redirect (clients must use https://)'}
  if (secure.length === 0) return {possible: false, how: 'no HTTPS/SSL listener: there is nothing to redirect to'}
  const reasons: string[] = []
  for (const l of plain) {
    if (isLayer7(l.protocol)) {
      reasons.push(`HTTP:${l.loadBalancerPort} adds X-Forwarded-Proto: http`)
      continue
    }
    if (proxyProtocolInstancePorts.includes(l.instancePort)) {
      reasons.push(`TCP:${l.loadBalancerPort} sends a PROXY line with destination port ${l.loadBalancerPort}`)
      continue
    }
    const shared = secure.find((s) => s.instancePort === l.instancePort)
    if (shared && !isLayer7(shared.protocol)) {
      return {
        possible: false,
        how:
          `TCP:${l.loadBalancerPort} and ${shared.protocol}:${shared.loadBalancerPort} both reach instance port ${l.instancePort} ` +
          'as bare TCP: the app cannot tell plain from encrypted clients. Enable Proxy Protocol on that port or make port ' +
          `${l.loadBalancerPort} an HTTP listener.`,
      }
    }
    reasons.push(
      `TCP:${l.loadBalancerPort} arrives on its own instance port ${l.instancePort}, which the app must treat as plain HTTP`,
    )
  }
  return {possible: true, how: reasons.join('; ')}
}

/** Whether WebSocket upgrades reach the instance through the secure listener(s). */
export function websocketPasses(listeners: readonly Listener[]): boolean {
  return listeners.some((l) => isSecure(l.protocol) && !isLayer7(l.protocol))
}
