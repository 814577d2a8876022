import {nextMessage, openWebSocket, parseOpen} from '../engineio.ts'
import {listenersFix, localUp} from '../fixes.ts'
import {SOCKET_IO_PING_INTERVAL_S, SOCKET_IO_PING_TIMEOUT_S} from '../../listeners/verdict.ts'
import {check, type Check, type ProbeContext} from '../types.ts'

/** The idle timeout `listeners fix` sets when it is too low (the CLB default). */
const RECOMMENDED_IDLE_TIMEOUT_S = 60

/**
 * idle-timeout (with --idle-probe): a websocket-only connection held open and silent; we answer the server's pings
 * (as every Socket.io client does), nothing else. Reports when the connection closed, against the ping interval.
 */
export async function idleTimeoutCheck(ctx: ProbeContext): Promise<Check> {
  const probeMs = ctx.target.idleProbeMs
  if (probeMs <= 0)
    return check('idle-timeout', 'skip', 'not run: pass --idle-probe 65s to hold a silent WebSocket that long')
  const ws = await openWebSocket(ctx)
  if (ws.kind !== 'open')
    return check('idle-timeout', 'skip', 'not run: no WebSocket connection (see socketio-websocket)')
  const socket = ws.socket
  const first = await nextMessage(socket, ctx.stepTimeoutMs)
  const open = first === undefined ? undefined : parseOpen(first)
  const pingS = (open?.pingInterval ?? SOCKET_IO_PING_INTERVAL_S * 1000) / 1000
  const timeoutS = (open?.pingTimeout ?? SOCKET_IO_PING_TIMEOUT_S * 1000) / 1000
  const opened = Date.now()
  let lastTraffic = opened
  let pings = 0
  socket.on('message', (data) => {
    lastTraffic = Date.now()
    if (data.toString() === '2') {
      pings++
      socket.send('3')
    }
  })
  const closed = await new Promise<{code: number} | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), probeMs)
    socket.once('close', (code) => {
      clearTimeout(timer)
      resolve({code})
    })
  })
  socket.terminate()
  const heldS = Math.round((Date.now() - opened) / 100) / 10
  const silentS = Math.round((Date.now() - lastTraffic) / 100) / 10
  const probeS = probeMs / 1000
  const raise =
    localUp(ctx.target, `--idle-timeout ${RECOMMENDED_IDLE_TIMEOUT_S}`) ??
    listenersFix(ctx.target, ` --idle-timeout ${RECOMMENDED_IDLE_TIMEOUT_S}`)
  if (!closed) {
    return check(
      'idle-timeout',
      'pass',
      `a silent WebSocket stayed open for ${probeS} s (${pings} Socket.io ping${pings === 1 ? '' : 's'} answered, every ${pingS} s)`,
    )
  }
  const how =
    closed.code === 1006
      ? 'closed without a close frame (the load balancer dropped it)'
      : `closed with code ${closed.code}`
  if (heldS < pingS) {
    return check(
      'idle-timeout',
      'fail',
      `the WebSocket was ${how} after ${heldS} s of silence, before Socket.io's first ping at ${pingS} s: the load balancer's idle timeout is about ${Math.round(silentS)} s, so idle clients disconnect and reconnect`,
      `Set the idle timeout above ${pingS} + ${timeoutS} s: ${raise}`,
    )
  }
  return check(
    'idle-timeout',
    'fail',
    `the WebSocket was ${how} after ${heldS} s (${silentS} s after the last traffic; pings every ${pingS} s, timeout ${timeoutS} s)`,
    `Set the load balancer's idle timeout to ${RECOMMENDED_IDLE_TIMEOUT_S} s or more, and nginx's proxy_read_timeout above it: ${raise}`,
  )
}
