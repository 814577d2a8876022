import {spawn, spawnSync} from 'node:child_process'
import {closeSync, openSync, readFileSync} from 'node:fs'
import {connect, createServer} from 'node:net'

export interface StartedProcess {
  name: string
  pid: number
  command: string[]
  log: string
  /** A path that appears in the process's command line (its config or script): how we recognise it later. */
  marker: string
}

/** Starts a long-running process detached from us (it outlives the CLI), output appended to a log file. */
export function startDetached(
  name: string,
  command: string[],
  options: {log: string; marker: string; env?: NodeJS.ProcessEnv; cwd?: string},
): StartedProcess {
  const fd = openSync(options.log, 'a')
  try {
    const [file, ...args] = command as [string, ...string[]]
    const child = spawn(file, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: options.env ?? process.env,
      cwd: options.cwd,
    })
    if (child.pid === undefined) throw new Error(`could not start ${file}`)
    child.unref()
    return {name, pid: child.pid, command, log: options.log, marker: options.marker}
  } finally {
    closeSync(fd)
  }
}

/** Whether the process is alive and still the program we started (pids get reused). */
export function isOurs(proc: Pick<StartedProcess, 'pid' | 'marker'>): boolean {
  try {
    process.kill(proc.pid, 0)
  } catch {
    return false
  }
  try {
    // nginx rewrites its argv ("nginx: master process /usr/sbin/nginx -p ..."), so look for the marker anywhere.
    const cmdline = readFileSync(`/proc/${proc.pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
    const state = readFileSync(`/proc/${proc.pid}/stat`, 'utf8').split(') ')[1]?.[0]
    if (state === 'Z') return false
    return cmdline.includes(proc.marker)
  } catch {
    // No /proc (macOS): the pid answered signal 0, which is as far as we can check.
    return true
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** SIGTERM, then SIGKILL after graceMs. Only for a pid we recorded and that is still ours. */
export async function stopProcess(proc: StartedProcess, graceMs = 5000): Promise<'stopped' | 'not-running'> {
  if (!isOurs(proc)) return 'not-running'
  try {
    process.kill(proc.pid, 'SIGTERM')
  } catch {
    return 'not-running'
  }
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline) {
    if (!isOurs(proc)) return 'stopped'
    await sleep(50)
  }
  try {
    process.kill(proc.pid, 'SIGKILL')
  } catch {
    /* gone meanwhile */
  }
  return 'stopped'
}

export function portAcceptsConnections(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({port, host})
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, host, () => server.close(() => resolve(true)))
  })
}

/** Waits for a port to accept connections, failing early if the process that should open it died. */
export async function waitForPort(port: number, proc: StartedProcess | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await portAcceptsConnections(port)) return
    if (proc && !isOurs(proc)) throw new Error(`${proc.name} exited before listening on port ${port}`)
    await sleep(100)
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`)
}

/** Absolute path of a program on PATH, or undefined. */
export function which(program: string): string | undefined {
  const result = spawnSync('sh', ['-c', `command -v "$1"`, 'sh', program], {encoding: 'utf8'})
  const path = result.stdout.trim()
  return result.status === 0 && path.startsWith('/') ? path : undefined
}

export function tailOf(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}
