/**
 * A garbage collection on demand, for the bundler's main thread and workers. Deflating and reading thousands of
 * files leaves buffers and zlib state that V8 does not count as pressure, so without a nudge a worker held ~130 MiB
 * of garbage by the end of a 20,000-file tree, and the main thread tens of MiB of written replies.
 * --expose-gc is set at run time (Worker execArgv cannot carry V8 flags, and bin/run.js is not ours to change).
 * Undefined when the flag cannot be set: memory is then left to V8's own heuristics.
 */
import {setFlagsFromString} from 'node:v8'
import {runInNewContext} from 'node:vm'

let cached: (() => void) | null | undefined

export function collector(): (() => void) | undefined {
  if (cached === undefined) {
    try {
      setFlagsFromString('--expose-gc')
      cached = runInNewContext('gc') as () => void
    } catch {
      cached = null
    }
  }
  return cached ?? undefined
}

/** Runs a full collection after every `everyBytes` reported through the returned function. */
export function gcEvery(everyBytes: number): (bytes: number) => void {
  const gc = collector()
  let since = 0
  return (bytes) => {
    since += bytes
    if (gc && since >= everyBytes) {
      since = 0
      gc()
    }
  }
}
