/**
 * Generates a Node-app-like tree for the bundle benchmark: mostly small JS/JSON files, a tail of larger ones, some
 * already-compressed assets, plus a node_modules folder that the bundle must leave out. Seeded, so every run of the
 * benchmark measures the same bytes.
 */
import {mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

const WORDS = (
  'const let var function return if else for while await async import export default from require module exports ' +
  'this new class extends super null undefined true false socket io emit on connection disconnect message room ' +
  'user id name value data error result request response next app router get post put delete json status send ' +
  'config options handler callback promise resolve reject length push map filter reduce Object keys assign'
).split(' ')

/** Mulberry32: tiny, fast, good enough for shaping test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function sourceText(random: () => number, bytes: number): string {
  const parts: string[] = []
  let size = 0
  let line = ''
  while (size < bytes) {
    const word = WORDS[Math.floor(random() * WORDS.length)] ?? 'x'
    const token = random() < 0.15 ? `${word}${Math.floor(random() * 1000)}` : word
    line += line === '' ? '  '.repeat(Math.floor(random() * 4)) + token : ' ' + token
    if (line.length > 40 + random() * 60) {
      parts.push(line + (random() < 0.5 ? ';' : ' {'))
      size += line.length + 2
      line = ''
    }
  }
  return parts.join('\n') + '\n'
}

/** Mostly small files (median ~1.5 KB), some tens of KB, a few hundreds of KB. */
function fileSize(random: () => number): number {
  const r = random()
  if (r < 0.88) return 200 + Math.floor(random() * 3000)
  if (r < 0.99) return 4000 + Math.floor(random() * 26_000)
  return 50_000 + Math.floor(random() * 200_000)
}

export interface GeneratedTree {
  root: string
  /** Top-level names that belong in the bundle (everything but node_modules). */
  included: string[]
  includedFiles: number
  includedBytes: number
  excludedFiles: number
}

/** Writes `files` bundled files (and `nodeModulesFiles` excluded ones) under `root`. */
export async function generateTree(root: string, files = 20_000, nodeModulesFiles = 3_000, seed = 42): Promise<GeneratedTree> {
  const random = rng(seed)
  const writes: Array<[string, string | Buffer]> = []
  const top = ['src', 'lib', 'public', 'views', 'test']
  let bytes = 0
  const add = (path: string, content: string | Buffer) => {
    writes.push([path, content])
    bytes += typeof content === 'string' ? Buffer.byteLength(content) : content.length
  }
  add('package.json', JSON.stringify({name: 'bench-app', version: '1.0.0', scripts: {start: 'node src/index.js'}}, null, 2))
  add('Procfile', 'web: node src/index.js\n')
  add('.ebextensions/01-options.config', 'option_settings:\n  aws:elasticbeanstalk:application:environment:\n    NODE_ENV: production\n')
  add('.platform/hooks/predeploy/01-echo.sh', '#!/bin/sh\necho predeploy\n')
  for (let i = writes.length; i < files; i++) {
    const dir = `${top[i % top.length]}/m${Math.floor(i / 400)}/d${Math.floor(i / 40) % 10}`
    const kind = random()
    if (kind < 0.03) {
      // Already-compressed asset (image, font): incompressible bytes.
      const buf = Buffer.alloc((500 + Math.floor(random() * 15_000)) * 4)
      for (let j = 0; j < buf.length; j += 4) buf.writeUInt32LE(Math.floor(random() * 2 ** 32), j)
      add(`${dir}/asset${i}.png`, buf)
    } else if (kind < 0.2) {
      add(`${dir}/data${i}.json`, JSON.stringify({id: i, words: sourceText(random, fileSize(random)).split(' ')}))
    } else {
      add(`${dir}/file${i}.js`, sourceText(random, fileSize(random)))
    }
  }
  for (let i = 0; i < nodeModulesFiles; i++) {
    writes.push([`node_modules/pkg${i % 200}/lib/f${i}.js`, sourceText(random, 1000)])
  }
  const dirs = new Set(writes.map(([p]) => join(root, p, '..')))
  for (const d of [...dirs].sort()) await mkdir(d, {recursive: true})
  // Bounded parallel writes: fast without exhausting file descriptors.
  let next = 0
  await Promise.all(
    Array.from({length: 16}, async () => {
      while (next < writes.length) {
        const [p, c] = writes[next++]!
        await writeFile(join(root, p), c, p.endsWith('.sh') ? {mode: 0o644} : {})
      }
    }),
  )
  return {
    root,
    included: ['.ebextensions', '.platform', 'Procfile', 'package.json', ...top],
    includedFiles: files,
    includedBytes: bytes,
    excludedFiles: nodeModulesFiles,
  }
}
