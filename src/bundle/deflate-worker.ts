/**
 * Worker thread: reads, checksums, hashes and deflates a batch of files. Deflate is the bulk of the work and sync
 * zlib in a worker costs ~15 µs of overhead per file, where 20,000 async zlib calls on the main thread cost seconds.
 * One open + fstat + read + close per file: the mode comes from the same fstat, so listing needs no stat at all.
 */
import {closeSync, fstatSync, openSync, readSync} from 'node:fs'
import {createHash} from 'node:crypto'
import {parentPort} from 'node:worker_threads'
import {crc32, deflateRawSync} from 'node:zlib'
import type {WorkerJob, WorkerReply, WorkerResult} from './worker-protocol.ts'
import {gcEvery} from './gc.ts'
import {looksLikePrivateKey} from './secrets.ts'
import {METHOD_DEFLATE, METHOD_STORE} from './zip-format.ts'

function readWhole(fd: number, size: number): Buffer {
  const buf = Buffer.allocUnsafe(size)
  let got = 0
  while (got < size) {
    const n = readSync(fd, buf, got, size - got, got)
    if (n === 0) break // the file shrank since fstat: bundle what is there
    got += n
  }
  return got === size ? buf : buf.subarray(0, got)
}

function processJob(job: WorkerJob): WorkerReply {
  const results: WorkerResult[] = []
  const chunks: Buffer[] = []
  let offset = 0
  // Bytes of file content read by this job: a file that would take it over job.maxBytes, and every file after it,
  // go back unread (deferred), so a job reads at most maxBytes (its first file always fits: inlineLimit ≤ maxBytes).
  let readBytes = 0
  let deferring = false
  for (const f of job.files) {
    if (deferring) {
      results.push({index: f.index, deferred: true})
      continue
    }
    let fd: number
    try {
      fd = openSync(f.source, 'r')
    } catch (err) {
      results.push({index: f.index, error: (err as Error).message})
      continue
    }
    try {
      const st = fstatSync(fd)
      if (!st.isFile()) {
        results.push({index: f.index, error: `${f.source} is no longer a regular file`})
        continue
      }
      if (st.size > job.inlineLimit) {
        results.push({index: f.index, large: true, sourceMode: st.mode})
        continue
      }
      if (readBytes > 0 && readBytes + st.size > job.maxBytes) {
        deferring = true
        results.push({index: f.index, deferred: true})
        continue
      }
      const data = readWhole(fd, st.size)
      readBytes += data.length
      let method = METHOD_STORE
      let out = data
      if (!f.store && job.level > 0 && data.length > 0) {
        const deflated = deflateRawSync(data, {level: job.level})
        // Keep deflate only when it pays, as zip does; incompressible data is stored.
        if (deflated.length < data.length) {
          method = METHOD_DEFLATE
          out = deflated
        }
      }
      results.push({
        index: f.index,
        sourceMode: st.mode,
        size: data.length,
        crc32: crc32(data),
        method,
        offset,
        length: out.length,
        sha256: createHash('sha256').update(data).digest('hex'),
        privateKey: looksLikePrivateKey(data),
      })
      chunks.push(out)
      offset += out.length
    } finally {
      closeSync(fd)
    }
  }
  // One transferable buffer per batch: no per-file copies across threads.
  const data = new Uint8Array(offset)
  let at = 0
  for (const c of chunks) {
    data.set(c, at)
    at += c.length
  }
  return {id: job.id, results, data: data.buffer}
}

/**
 * Each deflateRawSync call leaves its zlib state and output chunks to the garbage collector, which V8 does not see
 * as pressure: over a 20,000-file tree a worker grew by ~130 MiB before any collection ran. A full collection after
 * every GC_EVERY_BYTES of input took the text tree's peak RSS from ~400 to ~270 MiB for ~15% more CPU (every
 * 2 MiB: ~25%; a minor collection frees nothing, the buffers are promoted by then).
 */
const GC_EVERY_BYTES = 8 * 1024 * 1024
const collectGarbage = gcEvery(GC_EVERY_BYTES)

parentPort?.on('message', (job: WorkerJob) => {
  const reply = processJob(job)
  collectGarbage(reply.results.reduce((n, r) => n + ('size' in r && typeof r.size === 'number' ? r.size : 0), 0))
  parentPort?.postMessage(reply, [reply.data])
})
