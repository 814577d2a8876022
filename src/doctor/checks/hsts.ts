import {getPage, quote} from '../http.ts'
import {check, type Check, type ProbeContext} from '../types.ts'

/** Below this, HSTS protects little (the value hstspreload.org asks for is one year; the sample app sends it). */
const MIN_MAX_AGE = 180 * 86_400

export function parseHsts(
  header: string | string[] | undefined,
): {maxAge?: number; includeSubDomains: boolean; preload: boolean} | undefined {
  if (header === undefined) return undefined
  const value = Array.isArray(header) ? (header[0] ?? '') : header
  const maxAge = /(?:^|;)\s*max-age\s*=\s*"?(\d+)"?/i.exec(value)
  return {
    ...(maxAge ? {maxAge: Number(maxAge[1])} : {}),
    includeSubDomains: /includesubdomains/i.test(value),
    preload: /preload/i.test(value),
  }
}

/** hsts: Strict-Transport-Security on the https page, with a useful max-age. */
export async function hstsCheck(ctx: ProbeContext): Promise<Check> {
  const page = await getPage(ctx)
  if (!page.response)
    return check('hsts', 'fail', `GET https://…/: ${page.failure.message}`, 'See the tls and proxy-protocol checks.')
  const res = page.response
  const hsts = parseHsts(res.headers['strict-transport-security'])
  const fix =
    'Send Strict-Transport-Security on https responses only: app.use(hsts()) from ebws/redirect (max-age=31536000), or nginx: add_header Strict-Transport-Security "max-age=31536000" always;'
  if (res.status >= 500)
    return check(
      'hsts',
      'fail',
      `GET https://…/ answered ${quote(res, 60)}`,
      'The app behind the load balancer fails: see its logs.',
    )
  if (!hsts) return check('hsts', 'warn', `no Strict-Transport-Security header on GET https://…/ (${res.status})`, fix)
  if (hsts.maxAge === undefined)
    return check(
      'hsts',
      'warn',
      `Strict-Transport-Security without max-age: "${String(res.headers['strict-transport-security'])}" (ignored by browsers)`,
      fix,
    )
  if (hsts.maxAge < MIN_MAX_AGE)
    return check(
      'hsts',
      'warn',
      `Strict-Transport-Security max-age=${hsts.maxAge} (${Math.round(hsts.maxAge / 86_400)} days): browsers forget it soon`,
      fix,
    )
  return check(
    'hsts',
    'pass',
    `Strict-Transport-Security max-age=${hsts.maxAge} (${Math.round(hsts.maxAge / 86_400)} days)${hsts.includeSubDomains ? '; includeSubDomains' : ''}${hsts.preload ? '; preload' : ''}`,
  )
}
