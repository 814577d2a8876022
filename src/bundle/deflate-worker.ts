/**
 * Reads, checksums, hashes and deflates a batch of files: in a worker thread (this file is the worker's entry) and
 * on the writer's own thread (write.ts runs one lane itself). Deflate is the bulk of the work, and sync zlib costs
 * ~15 µs of overhead per file, where 20,000 async zlib calls on the main thread cost seconds.
 * One open + fstat + read + close per file: the mode comes from the same fstat, so listing needs no stat at all.
 *
 * Memory: no buffer per file. A lane reads every file into one read buffer of its own (grown to the largest file
 * read, at most inlineLimit) and copies each file's output into the job's out buffer, a pooled buffer of the writer
 * that travels to the worker and back. What is left per file is zlib's output, garbage before the next file, which
 * young-generation collections free; so no forced full collection is needed (they cost the text tree ~1.4 s of CPU).
 */
import {closeSync, fstatSync, openSync, readSync} from 'node:fs'
import {createHash} from 'node:crypto'
import {parentPort, workerData} from 'node:worker_threads'
import {constants, crc32, createDeflateRaw, deflateRawSync} from 'node:zlib'
import type {DeflateRaw} from 'node:zlib'
import type {WorkerJob, WorkerReply, WorkerResult} from './worker-protocol.ts'
import {DEFLATE_WORKER} from './worker-protocol.ts'
import {looksLikePrivateKey} from './secrets.ts'
import {METHOD_DEFLATE, METHOD_STORE} from './zip-format.ts'

/** The part of a zlib object's native handle that its own sync API (zlib.deflateRawSync) drives. */
interface ZlibHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOff: number,
    inLen: number,
    out: Uint8Array,
    outOff: number,
    outLen: number,
  ): void
}

/**
 * Raw deflate of a whole buffer straight into a caller's buffer, one zlib stream reused (reset) from file to file.
 * deflateRawSync builds a stream object, 256 KiB of zlib state and a 16 KiB output buffer per call, then drops them:
 * ~15 µs and ~16 KiB of garbage a file, which V8 does not see as pressure (on the 20,000-file text tree: 0.7 s of
 * CPU and tens of MiB). This drives the native handle the way deflateRawSync itself does (a zlib object's
 * `_handle.writeSync` and `_writeState`, in Node since v12; the tests run on 22.2 and 24), and falls back to
 * deflateRawSync where they are missing.
 *
 * Same bytes as a fresh stream, so as deflateRawSync: reset clears zlib's hash heads but not its window, and the
 * match search reads up to ~260 bytes past the end of the input, which in a reused window are left from earlier,
 * longer inputs (a fresh window is zeroed): that changes which of two equal matches wins, so the output would
 * depend on what the stream deflated before. An input at least as long as every earlier one covers all that was
 * written, and what lies past its end is still zeros; a shorter one gets a fresh stream. Lanes deflate a batch in
 * ascending size, so that happens about once a batch.
 */
export class Deflater {
  private engine: (DeflateRaw & {_handle?: ZlibHandle; _writeState?: Uint32Array}) | undefined
  /** The longest input since the stream was made. */
  private longest = 0
  private readonly fast: boolean
  readonly level: number

  constructor(level: number) {
    this.level = level
    const engine = this.fresh()
    this.fast = typeof engine._handle?.writeSync === 'function' && engine._writeState instanceof Uint32Array
    if (!this.fast) this.close()
  }

  private fresh() {
    this.engine?.close()
    this.longest = 0
    return (this.engine = createDeflateRaw({level: this.level}) as DeflateRaw & {
      _handle?: ZlibHandle
      _writeState?: Uint32Array
    })
  }

  /**
   * Deflates `data` into out[offset, offset + limit): the compressed length, or -1 when it needs `limit` bytes or
   * more (the caller then stores the data: deflate does not pay).
   */
  deflateInto(data: Uint8Array, out: Uint8Array, offset: number, limit: number): number {
    if (limit <= 0) return -1
    if (!this.fast) {
      const deflated = deflateRawSync(data, {level: this.level})
      if (deflated.length >= limit) return -1
      out.set(deflated, offset)
      return deflated.length
    }
    let engine = this.engine!
    if (data.length < this.longest) engine = this.fresh()
    else engine.reset()
    this.longest = data.length
    engine._handle!.writeSync(constants.Z_FINISH, data, 0, data.length, out, offset, limit)
    // _writeState = [avail_out, avail_in]. With Z_FINISH, zlib stops either done (Z_STREAM_END) or with no output
    // space left; no space left means the output would not be smaller than `limit`.
    const availOut = engine._writeState![0]!
    return availOut === 0 ? -1 : limit - availOut
  }

  close(): void {
    this.engine?.close()
    this.engine = undefined
  }
}

/** One lane's state: its read buffer and its deflate stream. */
export class BatchProcessor {
  private readBuffer = Buffer.alloc(0)
  private deflater: Deflater | undefined

  get readBufferBytes(): number {
    return this.readBuffer.length
  }

  private readWhole(fd: number, size: number): Buffer {
    if (size > this.readBuffer.length) this.readBuffer = Buffer.allocUnsafeSlow(Math.max(size, 64 * 1024))
    const buf = this.readBuffer
    let got = 0
    while (got < size) {
      const n = readSync(fd, buf, got, size - got, got)
      if (n === 0) break // the file shrank since fstat: bundle what is there
      got += n
    }
    return buf.subarray(0, got)
  }

  /**
   * Processes `job` into `out` (at least job.maxBytes long): the results, in the job's order, and the bytes of
   * `out` used. Every file is opened and fstat'ed first (what to read is decided in the job's order), then read and
   * deflated smallest first (Deflater).
   */
  process(job: Omit<WorkerJob, 'out'>, out: Uint8Array): {results: WorkerResult[]; used: number} {
    const results = new Array<WorkerResult>(job.files.length)
    const open: Array<{at: number; fd: number | undefined; size: number; mode: number; store: boolean}> = []
    // Bytes of file content read by this job: a file that would take it over job.maxBytes, and every file after it,
    // go back unread (deferred), so a job reads at most maxBytes (its first file always fits: inlineLimit ≤
    // maxBytes). Each file's output is at most its size (deflate is kept only when it is smaller), so it fits too.
    let readBytes = 0
    let offset = 0
    try {
      for (let at = 0; at < job.files.length; at++) {
        const f = job.files[at]!
        if (readBytes > job.maxBytes) {
          results[at] = {index: f.index, deferred: true}
          continue
        }
        let fd: number
        try {
          fd = openSync(f.source, 'r')
        } catch (err) {
          results[at] = {index: f.index, error: (err as Error).message}
          continue
        }
        let kept = false
        try {
          const st = fstatSync(fd)
          if (!st.isFile()) results[at] = {index: f.index, error: `${f.source} is no longer a regular file`}
          else if (st.size > job.inlineLimit) results[at] = {index: f.index, large: true, sourceMode: st.mode}
          else if (readBytes > 0 && readBytes + st.size > job.maxBytes) {
            readBytes = job.maxBytes + 1 // defer this file and every one after it
            results[at] = {index: f.index, deferred: true}
          } else {
            readBytes += st.size
            open.push({at, fd, size: st.size, mode: st.mode, store: f.store})
            kept = true
          }
        } finally {
          if (!kept) closeSync(fd)
        }
      }
      open.sort((a, b) => a.size - b.size || a.at - b.at)
      for (const o of open) {
        const data = this.readWhole(o.fd!, o.size)
        closeSync(o.fd!)
        o.fd = undefined
        let method = METHOD_STORE
        let length = data.length
        if (!o.store && job.level > 0 && data.length > 0) {
          if (this.deflater?.level !== job.level) {
            this.deflater?.close()
            this.deflater = new Deflater(job.level)
          }
          // Keep deflate only when it pays (smaller than the data), as zip does; incompressible data is stored.
          const deflated = this.deflater.deflateInto(data, out, offset, data.length)
          if (deflated >= 0) {
            method = METHOD_DEFLATE
            length = deflated
          }
        }
        if (method === METHOD_STORE) out.set(data, offset)
        results[o.at] = {
          index: job.files[o.at]!.index,
          sourceMode: o.mode,
          size: data.length,
          crc32: crc32(data),
          method,
          offset,
          length,
          sha256: createHash('sha256').update(data).digest('hex'),
          privateKey: looksLikePrivateKey(data),
        }
        offset += length
      }
    } finally {
      for (const o of open) if (o.fd !== undefined) closeSync(o.fd)
    }
    return {results, used: offset}
  }

  close(): void {
    this.deflater?.close()
  }
}

// Only in a worker started by writeBundle: imported elsewhere (the writer's own lane), this module listens to nothing.
if (parentPort && workerData === DEFLATE_WORKER) {
  const port = parentPort
  const lane = new BatchProcessor()
  port.on('message', (job: WorkerJob) => {
    const {results, used} = lane.process(job, new Uint8Array(job.out))
    port.postMessage(
      {id: job.id, results, out: job.out, used, readBufferBytes: lane.readBufferBytes} satisfies WorkerReply,
      [job.out],
    )
  })
}
