// Imports only go down: commands -> features -> load-balancer registry -> load-balancer adapters -> the load-balancer
// core (interface, pipeline, detection) -> AWS service modules -> AWS clients. This walks every import in src/ and
// commands/ and fails on one that goes up a layer. Files in no layer (src/cli, src/format, ...) are not judged.
import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import {test} from 'node:test'
import {fileURLToPath} from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')

/** Path prefixes (relative to the repository) by layer, lowest first; the longest matching prefix wins. */
export const LAYERS: Array<{name: string; paths: string[]}> = [
  // src/aws/sdk/: the SDK names ebws uses, one module per client, re-exported so the bundle keeps only those.
  {name: 'AWS clients', paths: ['src/aws/']},
  {
    name: 'AWS service modules',
    // src/dns/names.ts (domain-name syntax) and src/bundle/ (the source-bundle format, read by the Proxy Protocol
    // app check) are pure helpers that these modules and the adapters share.
    paths: ['src/elb/', 'src/acm/', 'src/ec2/', 'src/environment/', 'src/route53/', 'src/dns/names.ts', 'src/bundle/'],
  },
  {
    name: 'load-balancer core',
    paths: ['src/lb/types.ts', 'src/lb/pipeline.ts', 'src/lb/detect.ts', 'src/lb/first-round-trip.ts'],
  },
  {
    name: 'load-balancer adapters',
    paths: [
      'src/lb/classic/',
      'src/lb/application/',
      'src/lb/network/',
      'src/listeners/',
      'src/proxy-protocol/plan.ts',
      'src/proxy-protocol/app-check.ts',
    ],
  },
  {name: 'load-balancer registry', paths: ['src/lb/registry.ts']},
  {
    name: 'features',
    paths: [
      'src/lb/',
      'src/proxy-protocol/',
      'src/deploy/',
      'src/doctor/',
      'src/local/',
      'src/cert/',
      'src/dns/',
      'src/security-groups/',
      'src/https-path/',
      'src/bundle/command.ts',
    ],
  },
  {name: 'commands', paths: ['commands/']},
]

export function layerOf(file: string): number | undefined {
  let best: {rank: number; length: number} | undefined
  LAYERS.forEach((layer, rank) => {
    for (const p of layer.paths)
      if ((p.endsWith('/') ? file.startsWith(p) : file === p) && (!best || p.length > best.length))
        best = {rank, length: p.length}
  })
  return best?.rank
}

function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(join(ROOT, dir), {withFileTypes: true})) {
    const path = `${dir}/${e.name}`
    if (e.isDirectory()) yield* sources(path)
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) yield path
  }
}

/** Every relative import and re-export of a file (type-only ones too: a type is a dependency as well). */
export function importsOf(file: string, text: string): string[] {
  const out: string[] = []
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s+'(\.[^']+)'/g))
    out.push(relative(ROOT, resolve(ROOT, dirname(file), m[1]!)))
  for (const m of text.matchAll(/\bimport\(\s*'(\.[^']+)'\s*\)/g))
    out.push(relative(ROOT, resolve(ROOT, dirname(file), m[1]!)))
  return out
}

export function violations(files: Array<{file: string; text: string}>): string[] {
  const found: string[] = []
  for (const {file, text} of files) {
    const from = layerOf(file)
    if (from === undefined) continue
    for (const target of importsOf(file, text)) {
      const to = layerOf(target)
      if (to !== undefined && to > from)
        found.push(`${file} (${LAYERS[from]!.name}) imports ${target} (${LAYERS[to]!.name})`)
    }
  }
  return found
}

test('the layer table judges by the longest prefix', () => {
  assert.equal(LAYERS[layerOf('src/lb/fix.ts')!]!.name, 'features')
  assert.equal(LAYERS[layerOf('src/lb/pipeline.ts')!]!.name, 'load-balancer core')
  assert.equal(LAYERS[layerOf('src/lb/classic/adapter.ts')!]!.name, 'load-balancer adapters')
  assert.equal(LAYERS[layerOf('src/proxy-protocol/run.ts')!]!.name, 'features')
  assert.equal(layerOf('src/cli/errors.ts'), undefined)
})

test('an import that goes up a layer is reported (and one going down is not)', () => {
  const found = violations([
    {
      file: 'src/elb/read-state.ts',
      text: "import type {X} from '../lb/types.ts'\nimport {y} from '../aws/clients.ts'\n",
    },
    {file: 'src/lb/classic/adapter.ts', text: "export {fixAnyListeners} from '../fix.ts'\n"},
    {file: 'src/lb/fix.ts', text: "const m = await import('./registry.ts')\n"},
  ])
  assert.deepEqual(found, [
    'src/elb/read-state.ts (AWS service modules) imports src/lb/types.ts (load-balancer core)',
    'src/lb/classic/adapter.ts (load-balancer adapters) imports src/lb/fix.ts (features)',
  ])
})

test('imports only go down: commands -> features -> load-balancer adapters -> AWS clients', () => {
  const files = [...sources('src'), ...sources('commands')].map((file) => ({
    file,
    text: readFileSync(join(ROOT, file), 'utf8'),
  }))
  assert.ok(files.length > 100, `read ${files.length} files`)
  assert.deepEqual(violations(files), [])
})
