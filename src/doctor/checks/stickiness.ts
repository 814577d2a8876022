import {CookieJar, engineError, parseOpen, poll} from '../engineio.ts'
import {stickinessFix} from '../fixes.ts'
import {check, type Check, type ProbeContext} from '../types.ts'

/** Requests per session after the handshake: a namespace connect and two more to namespaces that answer at once. */
const ROUNDS = 3

type SessionResult = {ok: true; requests: number} | {ok: false; unknownSid: boolean; at: number; what: string}

/**
 * One polling session as a browser runs it, but with a new connection per request (a browser's long-poll GET and its
 * POSTs travel on separate connections, and a load balancer may send each to another instance). Cookies are kept,
 * so load balancer stickiness (AWSELB, AWSALB) works as it would for a browser. Every request gets an answer at once: the
 * namespace connects are answered (Socket.io says "Invalid namespace" for ours), so no GET waits for a ping.
 */
async function session(ctx: ProbeContext, index: number): Promise<SessionResult> {
  const jar = new CookieJar()
  const hs = await poll(ctx, undefined, jar)
  const open = hs.response?.status === 200 ? parseOpen(hs.response.body) : undefined
  if (!open)
    return {ok: false, unknownSid: false, at: 1, what: hs.failure?.message ?? `handshake ${hs.response?.status}`}
  let requests = 1
  for (let round = 0; round < ROUNDS; round++) {
    const packet = round === 0 ? '40' : `40/ebws-doctor-${index}-${round},`
    for (const body of [packet, undefined]) {
      requests++
      const r = await poll(ctx, open.sid, jar, body)
      if (!r.response) return {ok: false, unknownSid: false, at: requests, what: r.failure.message}
      if (r.response.status !== 200) {
        const e = engineError(r.response.body)
        return {
          ok: false,
          unknownSid: e?.code === 1,
          at: requests,
          what: `${r.response.status}${e ? ` "${e.message}"` : ''}`,
        }
      }
    }
  }
  return {ok: true, requests}
}

/** stickiness: with --sessions N, N polling sessions; any "Session ID unknown" means requests reached different instances. */
export async function stickinessCheck(ctx: ProbeContext): Promise<Check> {
  const n = ctx.target.sessions
  if (n <= 0) return check('stickiness', 'skip', 'not run: pass --sessions N to run N polling sessions')
  const results = await Promise.all(Array.from({length: n}, (_, i) => session(ctx, i)))
  const unknown = results.filter((r) => !r.ok && r.unknownSid)
  const failed = results.filter((r): r is Extract<SessionResult, {ok: false}> => !r.ok)
  const perSession = 1 + 2 * ROUNDS
  if (unknown.length > 0) {
    const first = unknown[0] as Extract<SessionResult, {ok: false}>
    return check(
      'stickiness',
      'fail',
      `${unknown.length} of ${n} polling sessions got 400 "Session ID unknown" (first at request ${first.at} of ${perSession}): requests of one session reached different instances`,
      stickinessFix(ctx.target),
    )
  }
  if (failed.length > 0)
    return check(
      'stickiness',
      'fail',
      `${failed.length} of ${n} polling sessions failed (${failed[0]!.what} at request ${failed[0]!.at})`,
      'See the socketio-polling check.',
    )
  return check(
    'stickiness',
    'pass',
    `${n} polling session${n === 1 ? '' : 's'} of ${perSession} requests each (a new connection per request), all on their instance`,
  )
}
