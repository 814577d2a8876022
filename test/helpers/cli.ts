import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

const tempDirs = new Set<string>()
let removeOnExit = false
/**
 * A fresh folder in the system temp dir, removed when this test file's process exits (whatever the tests did):
 * tests leave nothing in the temp dir (.ci/run counts its entries before and after `npm test`).
 */
export function tempDir(prefix: string): string {
  if (!removeOnExit) process.once('exit', () => tempDirs.forEach((d) => rmSync(d, {recursive: true, force: true})))
  removeOnExit = true
  const dir = mkdtempSync(join(tmpdir(), prefix))
  tempDirs.add(dir)
  return dir
}

/**
 * Runs the built CLI (bin/run.js, on this Node) as a child process, the way users run it. The child gets a TMPDIR of
 * its own, removed when it exits: what the CLI writes to the temp dir (listeners fix's default snapshot, Node's
 * compile cache) stays out of the system's.
 */
export function runCli(
  args: string[],
  opts: {env: Record<string, string>; cwd?: string; timeoutMs?: number},
): Promise<CliResult> {
  const tmp = tempDir('ebws-cli-tmp-')
  const removeTmp = () => {
    rmSync(tmp, {recursive: true, force: true})
    tempDirs.delete(tmp)
  }
  return new Promise<CliResult>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: {...opts.env, NO_COLOR: '1', TMPDIR: tmp},
      cwd: opts.cwd ?? ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
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
  }).finally(removeTmp)
}

export interface ErrorJson {
  code: string
  message: string
  hint: string | null
  exitCode: number
  details?: Record<string, unknown>
}

export interface Envelope<R = unknown> {
  ok: boolean
  command: string
  result: R | null
  error: ErrorJson | null
}

/**
 * Parses --json output as the one envelope of docs/cli-contract.md and checks its shape: exactly ok, command, result
 * and error; ok exactly when error is null; error.exitCode equal to the process's exit code.
 */
export function envelope<R = Record<string, unknown>>(r: CliResult): Envelope<R> {
  let doc: Envelope<R>
  try {
    doc = JSON.parse(r.stdout) as Envelope<R>
  } catch {
    throw new Error(`not JSON (exit ${r.code}):\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  }
  const keys = Object.keys(doc).sort().join(',')
  if (keys !== 'command,error,ok,result') throw new Error(`not the --json envelope (keys ${keys}):\n${r.stdout}`)
  if (doc.ok !== (doc.error === null)) throw new Error(`envelope ok=${doc.ok} with error ${JSON.stringify(doc.error)}`)
  if (doc.error && doc.error.exitCode !== r.code)
    throw new Error(`error.exitCode ${doc.error.exitCode} but the process exited ${r.code}`)
  if (!doc.error && r.code !== 0) throw new Error(`ok envelope but exit ${r.code}:\n${r.stderr}`)
  return doc
}

/** The envelope's result (on failure: what the command had done, e.g. a failed deploy's result). */
export function json<T = Record<string, unknown>>(r: CliResult): T {
  const doc = envelope<T>(r)
  if (doc.result === null)
    throw new Error(`no result in the envelope (exit ${r.code}): ${JSON.stringify(doc.error)}\nstderr: ${r.stderr}`)
  return doc.result
}

/** The envelope's error, which must be there. */
export function jsonError(r: CliResult): ErrorJson {
  const doc = envelope(r)
  if (!doc.error) throw new Error(`expected an error envelope, got ok (exit ${r.code}): ${r.stdout}`)
  return doc.error
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
