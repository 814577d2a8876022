import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs the built CLI (bin/run.js, on this Node) as a child process, the way users run it. */
export function runCli(args: string[], opts: {env: Record<string, string>; cwd?: string; timeoutMs?: number}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {env: {...opts.env, NO_COLOR: '1'}, cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code: code ?? -1, stdout, stderr})
    })
  })
}

/** Parses --json output, with the process output in the failure message when it is not JSON. */
export function json<T = Record<string, unknown>>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T
  } catch {
    throw new Error(`not JSON (exit ${r.code}):\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  }
}

/** oclif wraps error messages and prefixes each line with " ›   "; undo that to match on the sentence. */
export function plainError(stderr: string): string {
  return stderr
    .split('\n')
    .map((line) => line.replace(/^\s*›\s{0,3}/, ''))
    .join(' ')
    .replace(/\s+/g, ' ')
    .replace(/([a-z0-9/-]) (?=[a-z0-9-]{1,12}\/)/gi, '$1')
}
