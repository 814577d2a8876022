/** Messages between writeBundle and its deflate workers. */

export interface WorkerJob {
  id: number
  level: number
  /** Files bigger than this are not read by the worker: the writer streams them itself. */
  inlineLimit: number
  files: Array<{index: number; source: string; store: boolean}>
}

export type WorkerResult =
  | {
      index: number
      sourceMode: number
      size: number
      crc32: number
      method: number
      /** Where this file's (compressed) bytes sit in the reply's data buffer. */
      offset: number
      length: number
      sha256: string
      privateKey: boolean
      large?: undefined
      error?: undefined
    }
  | {index: number; large: true; sourceMode: number; error?: undefined}
  | {index: number; error: string; large?: undefined}

export interface WorkerReply {
  id: number
  results: WorkerResult[]
  data: ArrayBuffer
}
