// Timing helpers shared by the benches.
import {spawn} from 'node:child_process'

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/**
 * Wall time of one child process that must exit 0. Asynchronous on purpose: the bench's servers (EB fake, fault
 * proxy) run in the calling process and must keep serving while it runs.
 */
export function timeCommand(cmd: string, args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now()
    const child = spawn(cmd, args, {env, stdio: ['ignore', 'ignore', 'pipe']})
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) =>
      code === 0
        ? resolve(performance.now() - t)
        : reject(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${stderr}`)),
    )
  })
}
