import {getPage, httpCall, targetUrl} from '../http.ts'
import {check, type Check, type ProbeContext} from '../types.ts'

/** Insecure references a browser blocks (or warns about) on an https page: Socket.io/WebSocket URLs and scripts. */
const PATTERNS: {re: RegExp; what: string}[] = [
  {re: /\bws:\/\/[^\s'"`<>)]+/gi, what: 'a ws:// URL'},
  {re: /\bio\(\s*['"`]http:\/\/[^'"`]+/gi, what: 'io() with an http:// URL'},
  {re: /http:\/\/[^\s'"`<>)]*\/socket\.io\b[^\s'"`<>)]*/gi, what: 'an http:// Socket.io URL'},
  {re: /<script[^>]+src\s*=\s*["']http:\/\/[^"']+/gi, what: 'a script from http://'},
]

export function findMixedContent(source: string): string[] {
  const found: string[] = []
  for (const {re, what} of PATTERNS) for (const m of source.matchAll(re)) found.push(`${what}: ${m[0].slice(0, 80)}`)
  return [...new Set(found)]
}

/** Same-origin scripts of the page (the app's own client code), at most 8; libraries are read too, they are small. */
export function sameOriginScripts(html: string, page: URL): URL[] {
  const urls: URL[] = []
  for (const m of html.matchAll(/<script[^>]+src\s*=\s*["']([^"']+)["']/gi)) {
    try {
      const u = new URL(m[1]!, page)
      if (u.origin === page.origin && !urls.some((x) => x.href === u.href)) urls.push(u)
    } catch {
      // not a URL: nothing a browser would load
    }
  }
  return urls.slice(0, 8)
}

/** mixed-content: the page at / (and its own scripts) reference no ws:// or http:// Socket.io URL. */
export async function mixedContentCheck(ctx: ProbeContext): Promise<Check> {
  const page = await getPage(ctx)
  if (!page.response) return check('mixed-content', 'skip', `GET https://…/: ${page.failure.message}`)
  const res = page.response
  const type = String(res.headers['content-type'] ?? '')
  if (res.status !== 200 || !/html/i.test(type))
    return check('mixed-content', 'skip', `/ is not an HTML page (${res.status} ${type || 'no content type'})`)
  const pageUrl = targetUrl(ctx, 'https', '/')
  const scripts = sameOriginScripts(res.body, pageUrl)
  const sources = await Promise.all(scripts.map(async (u) => ({u, r: await httpCall(ctx, u)})))
  const found = findMixedContent(res.body).map((f) => `/: ${f}`)
  for (const {u, r} of sources)
    if (r.response?.status === 200) found.push(...findMixedContent(r.response.body).map((f) => `${u.pathname}: ${f}`))
  if (found.length > 0) {
    return check(
      'mixed-content',
      'fail',
      `the https page references ${found.slice(0, 3).join('; ')}${found.length > 3 ? ` (+${found.length - 3} more)` : ''}: the browser blocks it`,
      "Connect with io() and no URL (or a relative/https URL): the page's own scheme is used, wss:// over https.",
    )
  }
  return check(
    'mixed-content',
    'pass',
    `no ws:// or http:// Socket.io URL in / and ${scripts.length} same-origin script${scripts.length === 1 ? '' : 's'}`,
  )
}
