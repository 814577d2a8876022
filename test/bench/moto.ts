// Starts moto's server (through moto_launcher.py, which patches verified moto gaps) on a free
// loopback port, and stops it by killing its whole process group.
import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {createServer} from 'node:net'
import {fileURLToPath} from 'node:url'
import {setTimeout as sleep} from 'node:timers/promises'

export interface Moto {
  url: string
  port: number
  /** pid of the launcher, leader of moto's process group. */
  pid: number
  /** Wipe every moto backend (POST /moto-api/reset); patches survive, they are on the classes. */
  reset(): Promise<void>
  stop(): Promise<void>
}

export interface MotoOptions {
  /** Apply moto_launcher.py's patches (default true). false runs moto as shipped. */
  patched?: boolean
  /** Extra environment for the moto process (e.g. MOTO_ACM_VALIDATION_WAIT). */
  env?: Record<string, string>
  /** Python interpreter (default $EBWS_PYTHON or python3). */
  python?: string
}

const LAUNCHER = fileURLToPath(new URL('./moto_launcher.py', import.meta.url))
const INSTALL_HINT = 'Install it with: pip install "moto[server]"  (the local AWS bench runs moto 5.x server mode)'

const running = new Set<ChildProcess>()
let exitHookInstalled = false

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    // group already gone
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  // Last resort so a crashed test never leaves a moto server behind.
  process.on('exit', () => {
    for (const child of running) killGroup(child, 'SIGKILL')
  })
}

/** A port the OS reports free on 127.0.0.1 (the launcher binds it right after). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      if (addr === null || typeof addr === 'string') {
        srv.close()
        reject(new Error('could not read the port of a probe socket'))
        return
      }
      srv.close(() => resolve(addr.port))
    })
  })
}

let motoChecked: string | undefined

function checkPythonHasMoto(python: string): void {
  if (motoChecked === python) return
  const probe = spawnSync(python, ['-c', 'import moto, moto.server, werkzeug; print(moto.__version__)'], {
    encoding: 'utf8',
  })
  if (probe.error !== undefined) {
    throw new Error(
      `The local AWS bench needs ${python} with moto, but ${python} could not run (${probe.error.message}). ${INSTALL_HINT}`,
    )
  }
  if (probe.status !== 0) {
    throw new Error(
      `The local AWS bench needs moto in ${python}'s environment: ${probe.stderr.trim().split('\n').pop() ?? ''}. ${INSTALL_HINT}`,
    )
  }
  motoChecked = python
}

async function waitUntilAnswering(
  url: string,
  child: ChildProcess,
  log: () => string,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`moto exited before answering (code ${child.exitCode ?? child.signalCode}):\n${log()}`)
    }
    try {
      const res = await fetch(`${url}/moto-api/data.json`, {signal: AbortSignal.timeout(1000)})
      await res.arrayBuffer()
      if (res.ok) return
    } catch {
      // not listening yet
    }
    await sleep(50)
  }
  throw new Error(`moto did not answer on ${url} within ${timeoutMs} ms:\n${log()}`)
}

async function spawnOnce(python: string, patched: boolean, extraEnv: Record<string, string> = {}): Promise<Moto> {
  const port = await freePort()
  const args = [LAUNCHER, '--host', '127.0.0.1', '--port', String(port)]
  if (!patched) args.push('--no-patch')
  const child = spawn(python, args, {
    detached: true, // own process group, so stop() can kill moto and anything it forks
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {...process.env, ...extraEnv, PYTHONUNBUFFERED: '1', MOTO_PORT: String(port)},
  })
  running.add(child)
  installExitHook()
  let logTail = ''
  const keep = (chunk: Buffer): void => {
    logTail = (logTail + chunk.toString('utf8')).slice(-8000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  exited.then(() => running.delete(child))
  const url = `http://127.0.0.1:${port}`

  let stopped = false
  const stop = async (): Promise<void> => {
    if (stopped) return exited
    stopped = true
    if (child.exitCode === null && child.signalCode === null) {
      killGroup(child, 'SIGTERM')
      const done = await Promise.race([exited.then(() => true), sleep(3000).then(() => false)])
      if (!done) {
        killGroup(child, 'SIGKILL')
        await exited
      }
    }
    // The launcher is the group leader; make sure nothing else is left in the group.
    killGroup(child, 'SIGKILL')
    child.stdout?.destroy()
    child.stderr?.destroy()
  }

  try {
    await waitUntilAnswering(url, child, () => logTail, 20_000)
  } catch (err) {
    await stop()
    throw err
  }

  return {
    url,
    port,
    pid: child.pid ?? -1,
    async reset() {
      const res = await fetch(`${url}/moto-api/reset`, {method: 'POST'})
      await res.arrayBuffer()
      if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status}`)
    },
    stop,
  }
}

/**
 * Start moto (patched by default) on a free port of 127.0.0.1 and wait until it answers.
 * Throws, with the install command, when python3 or moto is missing: the bench never skips.
 */
export async function startMoto(opts: MotoOptions = {}): Promise<Moto> {
  const python = opts.python ?? process.env.EBWS_PYTHON ?? 'python3'
  checkPythonHasMoto(python)
  const patched = opts.patched ?? true
  // A port picked free can be taken before the launcher binds it: retry on that race.
  let lastError: unknown
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await spawnOnce(python, patched, opts.env)
    } catch (err) {
      lastError = err
      if (!String(err).includes('Address already in use')) throw err
    }
  }
  throw lastError
}
