import {isIP} from 'node:net'
import * as tls from 'node:tls'

import {describeFailure} from '../http.ts'
import {listenersFix, localUp} from '../fixes.ts'
import {DEFAULT_SSL_POLICY} from '../../lb/application/model.ts'
import {RECOMMENDED_SSL_POLICY} from '../../listeners/verdict.ts'
import {check, type Check, type DoctorTarget, type ProbeContext} from '../types.ts'

/** Warn when the certificate expires sooner than this (the issue's figure: ACM renews 60 days ahead, so 21 means renewal is stuck). */
export const EXPIRY_WARNING_DAYS = 21

/**
 * Trusted roots: Node's bundled Mozilla store, the operating system's store where Node can read it
 * (tls.getCACertificates, Node >= 22.15), NODE_EXTRA_CA_CERTS, and --ca. Passing `ca` replaces Node's default, so
 * the defaults are listed explicitly.
 */
export function trustedRoots(extra: string[]): string[] {
  const get = (tls as {getCACertificates?: (type: string) => string[]}).getCACertificates
  const sets = get
    ? ['default', 'system'].flatMap((type) => {
        try {
          return get(type)
        } catch {
          return []
        }
      })
    : [...tls.rootCertificates]
  return [...new Set([...sets, ...extra])]
}

interface Handshake {
  socket?: tls.TLSSocket
  error?: NodeJS.ErrnoException
}

function handshake(ctx: ProbeContext, options: tls.ConnectionOptions): Promise<Handshake> {
  const t = ctx.target
  return new Promise((resolve) => {
    let settled = false
    const socket = tls.connect({
      host: t.host,
      port: t.httpsPort,
      ...(isIP(t.host) === 0 ? {servername: t.host} : {}),
      rejectUnauthorized: false,
      ...(ctx.lookup ? {lookup: ctx.lookup} : {}),
      ...options,
    })
    const done = (r: Handshake) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(r)
    }
    const timer = setTimeout(() => {
      socket.destroy()
      done({error: Object.assign(new Error('timed out'), {code: 'ETIMEDOUT'})})
    }, ctx.stepTimeoutMs)
    socket.once('secureConnect', () => done({socket}))
    socket.once('error', (error) => done({error}))
  })
}

/** Whether the server accepts a handshake limited to one old protocol version. */
async function accepts(ctx: ProbeContext, version: 'TLSv1' | 'TLSv1.1'): Promise<boolean | 'untestable'> {
  // SECLEVEL=0: OpenSSL 3 refuses TLS 1.0/1.1 (SHA-1 signatures) at its default level; we want to know what the
  // server allows, so our side allows everything for this one probe.
  const r = await handshake(ctx, {minVersion: version, maxVersion: version, ciphers: 'DEFAULT:@SECLEVEL=0'})
  r.socket?.destroy()
  if (r.socket) return true
  if (
    /no protocols available|unsupported protocol.*client|ERR_TLS_INVALID_PROTOCOL_VERSION/i.test(
      `${r.error?.code} ${r.error?.message}`,
    )
  )
    return 'untestable'
  return false
}

export function keyDescription(cert: tls.PeerCertificate): {text: string; weak: boolean} {
  const c = cert as tls.PeerCertificate & {asn1Curve?: string; nistCurve?: string; pubkey?: Buffer}
  if (c.asn1Curve || c.nistCurve) return {text: `EC ${c.nistCurve ?? c.asn1Curve}`, weak: (c.bits ?? 256) < 256}
  if (c.modulus) return {text: `RSA ${c.bits}`, weak: (c.bits ?? 0) < 2048}
  return {text: `key of ${c.bits ?? '?'} bits`, weak: false}
}

const ERROR_WORDS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'the certificate has expired',
  CERT_NOT_YET_VALID: 'the certificate is not valid yet',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the certificate is self-signed and not trusted (pass --ca FILE for a private CA)',
  SELF_SIGNED_CERT_IN_CHAIN: 'the chain ends in an untrusted root (pass --ca FILE for a private CA)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    'the issuer is not trusted (missing intermediate certificate, or a private CA: --ca FILE)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the chain cannot be verified (the server sends no intermediate certificate)',
}

/** Behind an NLB (TCP listeners, as Beanstalk makes them) TLS ends on each instance: its nginx is what to change. */
const onTheInstance = (what: string) =>
  `TLS ends on each instance behind an NLB (its listeners pass TCP): ${what} in the instance's nginx (listen 443 ssl), then redeploy`

/** The SSL policy to name: an ALB's recommended one (TLS 1.3 and 1.2), else the CLB's TLS 1.2 policy. */
const policyFor = (t: DoctorTarget) => (t.loadBalancer === 'application' ? DEFAULT_SSL_POLICY : RECOMMENDED_SSL_POLICY)

/** tls: handshake, chain, host coverage, expiry, old protocol versions, key. */
export async function tlsCheck(ctx: ProbeContext, now: Date = new Date()): Promise<Check> {
  const t = ctx.target
  const where = `${t.host}:${t.httpsPort}`
  const main = await handshake(ctx, {ca: trustedRoots(t.ca)})
  if (!main.socket) {
    const failure = describeFailure(main.error ?? new Error('no handshake'), ctx.stepTimeoutMs)
    return check(
      'tls',
      'fail',
      `no TLS handshake with ${where}: ${failure.message}`,
      t.loadBalancer === 'network'
        ? (localUp(t, '') ?? onTheInstance(`serve a certificate for ${t.host}`))
        : `Serve HTTPS on port ${t.httpsPort}: an SSL (or HTTPS) listener with a certificate for ${t.host}: ${listenersFix(t)}`,
    )
  }
  const socket = main.socket
  const cert = socket.getPeerCertificate(true)
  const protocol = socket.getProtocol()
  const authorized = socket.authorized
  const authError = String(socket.authorizationError ?? '')
  socket.destroy()
  const [tls10, tls11] = await Promise.all([accepts(ctx, 'TLSv1'), accepts(ctx, 'TLSv1.1')])

  const subject = cert.subject?.CN ?? '?'
  const issuer = cert.issuer?.CN ?? cert.issuer?.O ?? '?'
  const names = cert.subjectaltname ?? `CN=${subject}`
  const expires = new Date(cert.valid_to)
  const days = Math.floor((expires.getTime() - now.getTime()) / 86_400_000)
  const key = keyDescription(cert)
  const covers = tls.checkServerIdentity(t.host, cert) === undefined
  const summary = `${protocol}, ${names.replace(/DNS:/g, '').replace(/IP Address:/g, '')}, ${key.text}, issued by ${issuer}${t.caSource && authorized ? ` (trusted through ${t.caSource})` : ''}, ${days >= 0 ? `expires in ${days} days` : `expired ${-days} days ago`}`
  // `local up` makes a new certificate when the one in its state folder is about to expire.
  const certFix =
    localUp(t, '') ??
    (t.loadBalancer === 'network'
      ? onTheInstance(`install a valid certificate for ${t.host}`)
      : `${listenersFix(t)} (picks the ISSUED ACM certificate for ${t.host} that expires last)`)

  if (days < 0 || authError === 'CERT_HAS_EXPIRED')
    return check('tls', 'fail', `certificate expired on ${expires.toISOString().slice(0, 10)}: ${summary}`, certFix)
  if (!covers)
    return check('tls', 'fail', `the certificate does not cover ${t.host} (it is for ${names}): ${summary}`, certFix)
  if (!authorized)
    return check(
      'tls',
      'fail',
      `${ERROR_WORDS[authError] ?? authError}: ${summary}`,
      t.caSource ? certFix : `${certFix}; or, for a private CA, pass --ca FILE`,
    )
  const old = [tls10 === true ? 'TLS 1.0' : undefined, tls11 === true ? 'TLS 1.1' : undefined].filter(Boolean)
  if (old.length > 0) {
    return check(
      'tls',
      'warn',
      `accepts ${old.join(' and ')}: ${summary}`,
      t.loadBalancer === 'network'
        ? onTheInstance('set ssl_protocols TLSv1.2 TLSv1.3')
        : `Use the SSL policy ${policyFor(t)} (${t.loadBalancer === 'application' ? 'TLS 1.3 and 1.2' : 'TLS 1.2 only'}): ${listenersFix(t, ` --tls-policy ${policyFor(t)}`)}`,
    )
  }
  if (days < EXPIRY_WARNING_DAYS)
    return check(
      'tls',
      'warn',
      `certificate expires in ${days} days (< ${EXPIRY_WARNING_DAYS}): ${summary}`,
      `Renew it (ACM renews DNS-validated certificates by itself: check the validation CNAME), then ${listenersFix(t)}`,
    )
  if (key.weak)
    return check('tls', 'warn', `weak key (${key.text}): ${summary}`, 'Use an RSA 2048 (or EC P-256) certificate.')
  const untested = [tls10, tls11].includes('untestable')
    ? '; TLS 1.0/1.1 could not be offered from this machine'
    : '; refuses TLS 1.0 and 1.1'
  return check('tls', 'pass', `${summary}${untested}`)
}
