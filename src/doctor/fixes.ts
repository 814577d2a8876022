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

/** The listener layout that passes WebSocket upgrades: SSL 443 -> TCP plus HTTP 80 -> HTTP. */
export const websocketLayout = (t: DoctorTarget): string => localUp(t, '--mode websocket') ?? listenersFix(t)
