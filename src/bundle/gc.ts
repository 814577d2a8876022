/**
 * A garbage collection on demand, for the bundler's streamed files (write.ts): each 64 KiB read and its zlib output
 * are garbage once written, and V8 does not count them as pressure, so a 1 GiB file left ~64 MiB of them without a
 * nudge. Batches need none: they make no buffer per file (deflate-worker.ts).
 * --expose-gc is set at run time (Worker execArgv cannot carry V8 flags).
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
