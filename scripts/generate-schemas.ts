// Writes schemas/<command>.json (each command's --json `result`) and schemas/envelope.json from the TypeScript types
// in src/cli/results.ts, with ts-json-schema-generator. `--check` writes nothing and exits 1 when a committed
// schema differs from what the types give (the test in test/commands/contract-schemas.test.ts does the same).
import {mkdirSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import ts from 'typescript'
import {
  createFormatter,
  createParser,
  createProgram,
  DEFAULT_CONFIG,
  LiteralType,
  SchemaGenerator,
} from 'ts-json-schema-generator'
import type {BaseType, CompletedConfig, Definition, SubNodeParser} from 'ts-json-schema-generator'

import {schemaFileName} from '../src/cli/results.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const SCHEMA_DIR = join(ROOT, 'schemas')

type Schema = Definition & {definitions?: Record<string, Definition>}

/** Every schema file's name and text, as the types give them today. */
export function generateSchemas(): Map<string, string> {
  const config: CompletedConfig = {
    ...DEFAULT_CONFIG,
    path: join(ROOT, 'src/cli/results.ts'),
    tsconfig: join(ROOT, 'tsconfig.json'),
    expose: 'all',
    topRef: true,
    jsDoc: 'extended',
    additionalProperties: false,
    skipTypeCheck: true,
  }
  const program = createProgram(config)
  const checker = program.getTypeChecker()
  const parser = createParser(program, config, (chain) => chain.addNodeParser(new ConstMemberParser(checker)))
  const generator = new SchemaGenerator(program, parser, createFormatter(config), config)
  const out = new Map<string, string>()
  const commands = generator.createSchema('CommandResults') as Schema
  const defs = commands.definitions ?? {}
  const root = defs.CommandResults as Schema
  for (const [command, ref] of Object.entries(root.properties ?? {})) {
    const file = schemaFileName(command)
    out.set(file, render(standalone(ref as Definition, defs, {title: `result of ebws ${command} --json`})))
  }
  const envelope = generator.createSchema('EnvelopeDocument') as Schema
  const envDefs = envelope.definitions ?? {}
  out.set(
    'envelope.json',
    render(
      standalone({$ref: '#/definitions/EnvelopeDocument'}, envDefs, {
        title: 'the one --json document of every ebws command',
      }),
    ),
  )
  return out
}

/**
 * `ExitCode.Failed` inside `typeof ERROR_CODES` (a const object member, not an enum member): the generator's own
 * property-access parser cannot type it, the checker can (a literal).
 */
class ConstMemberParser implements SubNodeParser {
  readonly checker: ts.TypeChecker
  constructor(checker: ts.TypeChecker) {
    this.checker = checker
  }
  supportsNode(node: ts.Node): boolean {
    return ts.isPropertyAccessExpression(node) && this.checker.getTypeAtLocation(node).isLiteral()
  }
  createType(node: ts.Node): BaseType {
    return new LiteralType((this.checker.getTypeAtLocation(node) as ts.LiteralType).value as string | number)
  }
}

/** One schema for `top`, carrying only the definitions it reaches (so each file stands alone). */
function standalone(top: Definition, defs: Record<string, Definition>, meta: {title: string}): Schema {
  const needed = new Set<string>()
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit)
    if (!node || typeof node !== 'object') return
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') {
        const name = decodeURIComponent(v.replace('#/definitions/', ''))
        if (!needed.has(name)) {
          needed.add(name)
          visit(defs[name])
        }
      } else visit(v)
    }
  }
  visit(top)
  const definitions = Object.fromEntries([...needed].sort().map((n) => [n, defs[n]!]))
  return {$schema: 'http://json-schema.org/draft-07/schema#', ...meta, ...top, definitions}
}

const render = (schema: Schema): string => `${JSON.stringify(schema, null, 2)}\n`

/** Committed schema files (name -> text). */
export function committedSchemas(): Map<string, string> {
  const files = readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.json'))
  return new Map(files.sort().map((f) => [f, readFileSync(join(SCHEMA_DIR, f), 'utf8')]))
}

if (import.meta.main) {
  const generated = generateSchemas()
  if (process.argv.includes('--check')) {
    const committed = committedSchemas()
    const stale = [...new Set([...generated.keys(), ...committed.keys()])].filter(
      (f) => generated.get(f) !== committed.get(f),
    )
    if (stale.length > 0) {
      process.stderr.write(`schemas/ is out of date (${stale.join(', ')}): run npm run generate:schemas\n`)
      process.exit(1)
    }
  } else {
    mkdirSync(SCHEMA_DIR, {recursive: true})
    for (const [file, text] of generated) writeFileSync(join(SCHEMA_DIR, file), text)
    process.stdout.write(`wrote ${generated.size} schemas to schemas/\n`)
  }
}
