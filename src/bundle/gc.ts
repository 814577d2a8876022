/**
 * Garbage collections on demand for the bundler. Listing and zipping a 20,000-file tree leave small objects per
 * file (readdir entries, ignore-rule caches, each file's checksums until it is written) that live just long enough
 * to be promoted out of the small young generation bin/run.js sets (1 MiB semi-spaces); V8 then let the old
 * generation grow by ~40 MiB of that garbage on the text tree of bench/bundle.ts before its first full collection.
 * A full collection each time the heap has grown GC_GROWTH since the last one keeps it near what is live, for a
 * few ms each (a handful per bundle).
 * --expose-gc is set at run time. Without it (the flag cannot be set), memory is left to V8's own heuristics.
 */
import {getHeapStatistics, setFlagsFromString} from 'node:v8'
import {runInNewContext} from 'node:vm'

/** Heap growth between two collections. */
export const GC_GROWTH = 4 * 1024 * 1024

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

let heapAfterGc = 0
let growth = GC_GROWTH

/**
 * A full collection when the heap grew by GC_GROWTH since the last one (call it at a checkpoint: a folder, a
 * batch). When a collection frees less than a quarter of the growth, what grew is live: the next waits for twice
 * the growth (a collection of a 30 MiB heap costs ~10 ms).
 */
export function collectIfGrown(): void {
  const gc = collector()
  if (!gc) return
  const used = getHeapStatistics().used_heap_size
  if (heapAfterGc === 0 || used < heapAfterGc) heapAfterGc = used
  if (used < heapAfterGc + growth) return
  gc()
  const after = getHeapStatistics().used_heap_size
  growth = used - after < growth / 4 ? growth * 2 : GC_GROWTH
  heapAfterGc = after
}
