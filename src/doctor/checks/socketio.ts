import {CookieJar, engineError, nextMessage, openWebSocket, parseOpen, poll, type WsOutcome} from '../engineio.ts'
import {quote} from '../http.ts'
import {behindTheLoadBalancer, localUp, stickinessFix, websocketLayout} from '../fixes.ts'
import {check, type Check, type DoctorTarget, type ProbeContext} from '../types.ts'

/** Why a WebSocket upgrade did not get a 101, in the load balancer's terms, and the fix. */
export function explainUpgradeFailure(
  outcome: Exclude<WsOutcome, {kind: 'open'}>,
  t: DoctorTarget,
): {evidence: string; fix: string} {
  if (outcome.kind === 'error') {
    return {
      evidence: `the upgrade got no HTTP answer: ${outcome.message}`,
      fix:
        t.loadBalancer === 'application' || t.loadBalancer === 'network'
          ? `Something between the client and the app drops WebSocket connections: ${websocketLayout(t)}`
          : `Something between the client and the app drops WebSocket connections: make the secure listener SSL -> TCP: ${websocketLayout(t)}`,
    }
  }
  const {status, headers, body} = outcome
  const e = engineError(body)
  const upgradeBack = headers.upgrade ? `Upgrade: ${headers.upgrade}` : 'no Upgrade header'
  const said = e ? ` (Engine.IO: "${e.message}")` : body ? ` ("${body.replace(/\s+/g, ' ').slice(0, 60)}")` : ''
  // Engine.IO answers a refused upgrade with a bare "Session ID unknown" body, a refused poll with its JSON error.
  if (status === 400 && (e?.code === 1 || /^Session ID unknown$/.test(body.trim()))) {
    return {
      evidence: `the upgrade got a 400 "Session ID unknown": it reached another instance than the polling handshake`,
      fix: `No stickiness across instances: ${stickinessFix(t)}`,
    }
  }
  if ((status === 400 || status === 426) && (t.loadBalancer === 'application' || t.loadBalancer === 'network')) {
    const lb =
      t.loadBalancer === 'application'
        ? 'an ALB passes them on its HTTP/HTTPS listeners'
        : 'an NLB passes bytes untouched'
    const local = localUp(t, '')
    return {
      evidence: `the upgrade got a ${status} with ${upgradeBack} back${said}: the Upgrade/Connection headers were removed on the way; ${lb}, so something behind it dropped them (the instance's nginx or a proxy before the app)`,
      fix: local ? `${local} (the emulation without the header-stripping hop)` : behindTheLoadBalancer(t),
    }
  }
  if (status === 400 || status === 426) {
    return {
      evidence: `the upgrade got a ${status} with ${upgradeBack} back${said}: the Upgrade/Connection headers were removed on the way, as a CLB HTTPS (or HTTP) listener does: it does not pass WebSocket upgrades`,
      fix: `${websocketLayout(t)} (SSL ${t.httpsPort} -> TCP passes the upgrade untouched); if the listener already is SSL -> TCP, nginx drops the headers: deploy ebws's .platform/nginx/conf.d files`,
    }
  }
  if (status === 403) {
    return {
      evidence: `the upgrade got a 403${said}: the app refused the Origin header`,
      fix: `Allow the page's origin: the sample app's ALLOWED_HOSTS=${t.host} (Socket.io: cors.origin / allowRequest).`,
    }
  }
  if (status === 404)
    return {
      evidence: `the upgrade got a 404${said}: no Socket.io server at /socket.io/`,
      fix: 'Serve Socket.io at /socket.io/ (the default path) or point doctor at the app that does.',
    }
  if (status >= 500) {
    return {
      evidence:
        t.loadBalancer === 'application' || t.loadBalancer === 'network'
          ? `the upgrade got a ${status}${said}: no instance behind the load balancer answered it (nginx or the app is down, or refuses upgrades)`
          : `the upgrade got a ${status}${said}: the load balancer could not use the backend for it (a CLB HTTP/HTTPS listener answers this way to upgrades it cannot pass)`,
      fix: websocketLayout(t),
    }
  }
  return {evidence: `the upgrade got a ${status} with ${upgradeBack} back${said}`, fix: websocketLayout(t)}
}

/** Where the polling handshake goes wrong, for both Socket.io checks. */
function handshakeFailure(what: string, outcome: Awaited<ReturnType<typeof poll>>): string {
  return outcome.failure ? `${what}: ${outcome.failure.message}` : `${what} answered ${quote(outcome.response, 80)}`
}

/**
 * socketio-polling: the Engine.IO handshake over polling (/socket.io/?EIO=4&transport=polling), the namespace
 * connect, then the upgrade to wss:// a browser attempts. Says which transport was reached.
 */
export async function socketioPollingCheck(ctx: ProbeContext): Promise<Check> {
  const t = ctx.target
  const jar = new CookieJar()
  const hs = await poll(ctx, undefined, jar)
  const open = hs.response?.status === 200 ? parseOpen(hs.response.body) : undefined
  if (!open) {
    const fix =
      hs.response?.status === 404
        ? 'Serve Socket.io at /socket.io/ (the default path).'
        : hs.response?.status === 403
          ? `Allow the page's origin (sample app: ALLOWED_HOSTS=${t.host}).`
          : 'See the tls and proxy-protocol checks.'
    return check(
      'socketio-polling',
      'fail',
      handshakeFailure('polling handshake GET /socket.io/?EIO=4&transport=polling', hs),
      fix,
    )
  }
  const connect = await poll(ctx, open.sid, jar, '40')
  const reply = connect.response?.status === 200 ? await poll(ctx, open.sid, jar) : undefined
  if (!reply?.response || reply.response.status !== 200 || !reply.response.body.startsWith('40')) {
    const bad = reply ?? connect
    const e = bad.response ? engineError(bad.response.body) : undefined
    return check(
      'socketio-polling',
      'fail',
      `handshake ok (sid ${open.sid.slice(0, 6)}…), then ${handshakeFailure('the next request of the session', bad)}`,
      e?.code === 1
        ? `Requests of one session reach different instances: ${stickinessFix(t)}`
        : 'See the proxy-protocol and stickiness checks.',
    )
  }

  if (!open.upgrades.includes('websocket')) {
    return check(
      'socketio-polling',
      'warn',
      `polling works (sid ${open.sid.slice(0, 6)}…); the server offers no upgrade (upgrades: [${open.upgrades.join(', ')}]): transport reached: polling`,
      "Allow the websocket transport on the server (Socket.io's transports option).",
    )
  }
  const ws = await openWebSocket(ctx, open.sid, jar)
  if (ws.kind !== 'open') {
    const why = explainUpgradeFailure(ws, t)
    return check(
      'socketio-polling',
      'warn',
      `polling works, but ${why.evidence}: transport reached: polling (Socket.io silently stays on long-polling)`,
      why.fix,
    )
  }
  const socket = ws.socket
  try {
    socket.send('2probe')
    const probe = await nextMessage(socket, ctx.stepTimeoutMs)
    if (probe !== '3probe')
      return check(
        'socketio-polling',
        'warn',
        `the upgrade got a 101 but no answer to the probe (${probe === undefined ? 'nothing' : JSON.stringify(probe.slice(0, 40))}): transport reached: polling`,
        websocketLayout(t),
      )
    socket.send('5')
    return check(
      'socketio-polling',
      'pass',
      `polling handshake, namespace connected, upgraded to websocket over wss (probe answered): transport reached: websocket`,
    )
  } finally {
    socket.terminate()
  }
}

/** socketio-websocket: a websocket-only connection, as clients with transports: ['websocket'] make. */
export async function socketioWebsocketCheck(ctx: ProbeContext): Promise<Check> {
  const t = ctx.target
  const ws = await openWebSocket(ctx)
  if (ws.kind !== 'open') {
    const why = explainUpgradeFailure(ws, t)
    return check('socketio-websocket', 'fail', why.evidence, why.fix)
  }
  const socket = ws.socket
  try {
    const first = await nextMessage(socket, ctx.stepTimeoutMs)
    const open = first === undefined ? undefined : parseOpen(first)
    if (!open)
      return check(
        'socketio-websocket',
        'fail',
        `101 Switching Protocols, but no Engine.IO open packet (${first === undefined ? 'nothing within the timeout' : JSON.stringify(first.slice(0, 40))})`,
        websocketLayout(t),
      )
    socket.send('40')
    const connected = await nextMessage(socket, ctx.stepTimeoutMs)
    if (!connected?.startsWith('40'))
      return check(
        'socketio-websocket',
        'fail',
        `websocket open (sid ${open.sid.slice(0, 6)}…), but the namespace connect got ${connected === undefined ? 'nothing' : JSON.stringify(connected.slice(0, 40))}`,
        'See the app logs: its Socket.io middleware refused the connection.',
      )
    return check(
      'socketio-websocket',
      'pass',
      `wss:// websocket-only: 101, Engine.IO open (ping every ${open.pingInterval / 1000} s, timeout ${open.pingTimeout / 1000} s), namespace connected`,
    )
  } finally {
    socket.terminate()
  }
}
