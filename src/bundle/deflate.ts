/**
 * Reads, checksums, hashes and deflates files for write.ts, on the writer's own thread: batches of small files
 * (BatchProcessor, sync zlib into the writer's pooled buffers) and large files chunk by chunk (ChunkDeflater).
 * Files of moderate size go to libuv's thread pool instead (write.ts: zlib's async API), which needs no isolate:
 * a worker thread cost ~17 MiB of RSS before it deflated a byte.
 * One open + fstat + read + close per file: the mode comes from the same fstat, so listing needs no stat at all.
 *
 * Memory: no buffer per file. A batch reads every file into one read buffer (grown to the largest file read, at
 * most the writer's inline limit) and copies each file's output into the writer's out buffer. What is left per
 * file is small young garbage, which young-generation collections free.
 */
import {closeSync, fstatSync, openSync, readSync} from 'node:fs'
import {hash} from 'node:crypto'
import {constants, crc32, createDeflateRaw, deflateRaw, deflateRawSync} from 'node:zlib'
import type {DeflateRaw} from 'node:zlib'
import {looksLikePrivateKey} from './secrets.ts'
import {METHOD_DEFLATE, METHOD_STORE} from './zip-format.ts'

/** A batch: consecutive files of the bundle, in entry order. */
export interface BatchJob {
  level: number
  /** Files bigger than this are not read: the writer streams them (ChunkDeflater). */
  inlineLimit: number
  /**
   * Files to deflate of at least this size are not read either: the writer deflates them on the thread pool.
   * Undefined: every file up to inlineLimit is read here.
   */
  offloadMin?: number | undefined
  /** Stop reading once this many bytes are read; the rest comes back as deferred. */
  maxBytes: number
  files: Array<{index: number; source: string; store: boolean}>
}

/** What a file's content gives, whoever read it; where its bytes wait to be written (in its owner's buffer). */
export interface ReadFile {
  kind: 'read'
  index: number
  sourceMode: number
  size: number
  crc32: number
  method: number
  sha256: string
  privateKey: boolean
  offset: number
  length: number
  /** The writer's: the buffer holding the bytes. */
  owner: unknown
}

export type BatchResult =
  | ReadFile
  /** Over inlineLimit: streamed by the writer. */
  | {kind: 'large'; index: number; sourceMode: number}
  /** For the thread pool (BatchJob.offloadMin). */
  | {kind: 'offload'; index: number}
  | {kind: 'error'; index: number; error: string}
  | {kind: 'deferred'; index: number}

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
type FastDeflate = DeflateRaw & {
  _handle?: ZlibHandle
  _writeState?: Uint32Array
  // What zlib's async write (the stream's _processChunk, as zlib.deflateRaw drives it) writes into.
  _outBuffer?: Buffer
  _outOffset?: number
  _chunkSize?: number
  _processChunk?: (chunk: Uint8Array, flush: number, cb: () => void) => void
}

// chunkSize 64 (zlib's least): the stream's own output buffer, unused here, is a 64-byte slice of a pooled slab,
// not 16 KiB of garbage per stream.
const freshEngine = (level: number): FastDeflate => createDeflateRaw({level, chunkSize: 64}) as FastDeflate
const isFast = (engine: FastDeflate): boolean =>
  typeof engine._handle?.writeSync === 'function' && engine._writeState instanceof Uint32Array

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
 * written, and what lies past its end is still zeros; a shorter one gets a fresh stream. A batch deflates its files
 * in ascending size, so that happens about once a batch.
 */
export class Deflater {
  private engine: FastDeflate | undefined
  /** The longest input since the stream was made. */
  private longest = 0
  private readonly fast: boolean
  readonly level: number

  constructor(level: number) {
    this.level = level
    this.fast = isFast(this.fresh())
    if (!this.fast) this.close()
  }

  private fresh() {
    this.engine?.close()
    this.longest = 0
    return (this.engine = freshEngine(this.level))
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

/**
 * One file deflated chunk by chunk (a large file, read in pieces), its output handed to `sink` in pieces of one
 * reused buffer: nothing is allocated per chunk, so a 1 GiB file leaves no garbage to collect. Same bytes as
 * deflateRawSync of the whole file: zlib's output does not depend on how its input is split (Z_NO_FLUSH).
 * Drives the native handle as Deflater does; where it is missing, a zlib stream (its output chunks are its own).
 */
export class ChunkDeflater {
  private readonly engine: FastDeflate
  private readonly out: Buffer
  private readonly fast: boolean
  private readonly pieces: Buffer[] = []

  /** `out`: where the output goes (the caller's, reused from file to file). */
  constructor(level: number, out: Buffer) {
    this.engine = freshEngine(level)
    this.fast = isFast(this.engine)
    this.out = out
    if (!this.fast) this.engine.on('data', (b: Buffer) => this.pieces.push(b))
  }

  /** Feeds `data` (`final`: the end of the file), passing each piece of output to `sink` (valid during the call). */
  async write(data: Uint8Array, final: boolean, sink: (piece: Buffer) => void): Promise<void> {
    if (this.fast) {
      const flush = final ? constants.Z_FINISH : constants.Z_NO_FLUSH
      let inOff = 0
      let inLen = data.length
      for (;;) {
        this.engine._handle!.writeSync(flush, data, inOff, inLen, this.out, 0, this.out.length)
        const [availOut, availIn] = this.engine._writeState! as unknown as [number, number]
        if (availOut < this.out.length) sink(this.out.subarray(0, this.out.length - availOut))
        inOff += inLen - availIn
        inLen = availIn
        // Output space left over: zlib took all the input (and, with Z_FINISH, ended the stream).
        if (availOut !== 0) return
      }
    }
    if (final) {
      const ended = new Promise<void>((resolve, reject) => this.engine.once('end', resolve).once('error', reject))
      this.engine.end(data)
      await ended
    } else
      await new Promise<void>((resolve, reject) => this.engine.write(data, (err) => (err ? reject(err) : resolve())))
    for (const piece of this.pieces.splice(0)) sink(piece)
  }

  close(): void {
    this.engine.close()
  }
}

/**
 * Raw deflate on libuv's thread pool, straight into a caller's buffer: one zlib stream reused as Deflater reuses
 * its (a fresh one for an input shorter than an earlier one: same bytes as deflateRawSync), driven through the
 * stream's `_processChunk` with its output buffer pointed at the caller's. zlib.deflateRaw would give each file an
 * output buffer of its own: garbage that V8 collects late (on the text tree, ArrayBuffers reached 56 MiB). Where
 * those fields are missing, zlib.deflateRaw and a copy.
 */
export class PoolDeflater {
  private engine: FastDeflate | undefined
  private longest = 0
  private readonly level: number

  constructor(level: number) {
    this.level = level
  }

  /**
   * Deflates `data` into out[0, limit): calls back with the compressed length, or -1 when it needs `limit` bytes
   * or more. Neither buffer may change until then.
   */
  deflateInto(data: Uint8Array, out: Buffer, limit: number, cb: (err: Error | null, length: number) => void): void {
    let engine = this.engine
    if (!engine || data.length < this.longest) {
      engine?.close()
      engine = this.engine = freshEngine(this.level)
      engine.resume() // what it pushes (views of `out`) is not kept
    } else engine.reset()
    this.longest = data.length
    if (typeof engine._processChunk !== 'function' || !(engine._outBuffer instanceof Buffer)) {
      deflateRaw(data, {level: this.level}, (err, deflated) => {
        if (err) return cb(err, -1)
        if (deflated.length >= limit) return cb(null, -1)
        deflated.copy(out)
        cb(null, deflated.length)
      })
      return
    }
    const e = engine
    e._outBuffer = out
    e._outOffset = 0
    e._chunkSize = limit
    e._processChunk!(data, constants.Z_FINISH, () => {
      // Output that fills `limit` makes the stream take a buffer of its own: deflate does not pay.
      const length = e._outBuffer === out ? e._outOffset! : -1
      cb(null, length >= limit ? -1 : length)
    })
  }

  close(): void {
    this.engine?.close()
    this.engine = undefined
  }
}

/** A file's checksums and secret scan: the same whoever reads it. */
export function describe(
  index: number,
  data: Buffer,
  sourceMode: number,
  method: number,
  offset: number,
  length: number,
): ReadFile {
  return {
    kind: 'read',
    index,
    sourceMode,
    size: data.length,
    crc32: crc32(data),
    method,
    sha256: hash('sha256', data, 'hex'),
    privateKey: looksLikePrivateKey(data),
    offset,
    length,
    owner: undefined,
  }
}

/** Reads up to `size` bytes of an open file into `buf` from its start: what is there (the file may have shrunk). */
export function readWhole(fd: number, buf: Buffer, size: number): Buffer {
  let got = 0
  while (got < size) {
    const n = readSync(fd, buf, got, size - got, got)
    if (n === 0) break // the file shrank since fstat: bundle what is there
    got += n
  }
  return buf.subarray(0, got)
}

/** The writer's own lane: its read buffer and its deflate stream. */
export class BatchProcessor {
  private readBuffer = Buffer.alloc(0)
  private deflater: Deflater | undefined

  get readBufferBytes(): number {
    return this.readBuffer.length
  }

  /**
   * Processes `job` into out[outOffset, outOffset + job.maxBytes): the results, in the job's order, the bytes of
   * `out` used and the bytes of content read. Every file is opened and fstat'ed first (what to read is decided in
   * the job's order), then read and deflated smallest first (Deflater). `firstFits`: the first file to read is read
   * even past maxBytes (the caller made room for inlineLimit); otherwise it may come back deferred.
   */
  process(
    job: BatchJob,
    out: Uint8Array,
    outOffset: number,
    firstFits: boolean,
  ): {results: BatchResult[]; used: number; read: number} {
    const results = new Array<BatchResult>(job.files.length)
    const open: Array<{at: number; fd: number | undefined; size: number; mode: number; store: boolean}> = []
    // Bytes of file content read by this job: a file that would take it over job.maxBytes, and every file after it,
    // go back unread (deferred). Each file's output is at most its size (deflate is kept only when it is smaller),
    // so the output fits where the content did.
    let readBytes = 0
    let full = false
    let offset = outOffset
    try {
      for (let at = 0; at < job.files.length; at++) {
        const f = job.files[at]!
        if (full) {
          results[at] = {kind: 'deferred', index: f.index}
          continue
        }
        let fd: number
        try {
          fd = openSync(f.source, 'r')
        } catch (err) {
          results[at] = {kind: 'error', index: f.index, error: (err as Error).message}
          continue
        }
        let kept = false
        try {
          const st = fstatSync(fd)
          if (!st.isFile())
            results[at] = {kind: 'error', index: f.index, error: `${f.source} is no longer a regular file`}
          else if (st.size > job.inlineLimit) results[at] = {kind: 'large', index: f.index, sourceMode: st.mode}
          else if (job.offloadMin !== undefined && !f.store && job.level > 0 && st.size >= job.offloadMin)
            results[at] = {kind: 'offload', index: f.index}
          else if (readBytes + st.size > job.maxBytes && !(firstFits && open.length === 0)) {
            full = true // defer this file and every one after it
            results[at] = {kind: 'deferred', index: f.index}
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
        // 64 KiB, then straight to inlineLimit: one buffer, not one per size reached (each left to the GC, and to
        // malloc's fragmentation). Pages not written to cost no memory.
        if (o.size > this.readBuffer.length)
          this.readBuffer = Buffer.allocUnsafeSlow(o.size <= 64 * 1024 ? 64 * 1024 : Math.max(o.size, job.inlineLimit))
        const data = readWhole(o.fd!, this.readBuffer, o.size)
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
        const index = job.files[o.at]!.index
        results[o.at] = describe(index, data, o.mode, method, offset, length)
        offset += length
      }
    } finally {
      for (const o of open) if (o.fd !== undefined) closeSync(o.fd)
    }
    return {results, used: offset - outOffset, read: readBytes}
  }

  close(): void {
    this.deflater?.close()
    freeNow(this.readBuffer)
    this.readBuffer = Buffer.alloc(0)
  }
}

/**
 * Frees a buffer's memory now rather than at a later garbage collection (ArrayBuffer.prototype.transfer, ES2024:
 * Node 22 has it; the buffer is detached, so only for buffers of our own nothing else still views).
 */
export function freeNow(buf: Buffer): void {
  if (buf.length === 0) return
  ;(buf.buffer as ArrayBuffer & {transfer?: (length: number) => ArrayBuffer}).transfer?.(0)
}
