/**
 * Memory probe for bench/socketio.ts, loaded into a server process with `--import` (through NODE_OPTIONS, so it also
 * reaches the sample-app instances `local up` starts): on SIGUSR2 it runs two full GCs and writes
 * process.memoryUsage() as JSON to $EBWS_BENCH_PROBE_DIR/<pid>.json (and, with EBWS_BENCH_HEAP_SNAPSHOT=1, a heap
 * snapshot next to it). The app itself is not changed for the bench.
 */
import {renameSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {getHeapSpaceStatistics, setFlagsFromString, writeHeapSnapshot} from 'node:v8'
import {runInNewContext} from 'node:vm'

const dir = process.env.EBWS_BENCH_PROBE_DIR
if (dir) {
  // NODE_OPTIONS does not take every V8 flag; turning --expose-gc on here works wherever the probe is loaded.
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  let n = 0
  process.on('SIGUSR2', () => {
    gc()
    gc()
    const usage = process.memoryUsage()
    // Committed bytes per V8 space: the young generation grows in steps under allocation pressure, whatever holds it.
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((sp) => [sp.space_name, sp.physical_space_size]))
    const snapshot =
      process.env.EBWS_BENCH_HEAP_SNAPSHOT === '1'
        ? writeHeapSnapshot(join(dir, `${process.pid}-${++n}.heapsnapshot`))
        : undefined
    // Written whole, then renamed: the bench never reads half a file.
    const file = join(dir, `${process.pid}.json`)
    writeFileSync(`${file}.tmp`, JSON.stringify({...usage, spaces, snapshot}))
    renameSync(`${file}.tmp`, file)
  })
}
