// The published tables (docs/cli-contract.md): the README's exit-code and error-code tables, and every command's
// EXIT CODES in --help, are the ones in src/cli/exit-codes.ts and src/cli/errors.ts.
import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {ERROR_CODES} from '../../src/cli/errors.ts'
import {exitCodeTable} from '../../src/cli/exit-codes.ts'
import {ROOT, runCli} from '../helpers/cli.ts'

/** The rows of the first markdown table after `heading`, as cells (backticks removed). */
function tableAfter(markdown: string, heading: string): string[][] {
  const start = markdown.indexOf(`\n${heading}\n`)
  assert.notEqual(start, -1, `a "${heading}" section`)
  const lines = markdown.slice(start).split('\n')
  const first = lines.findIndex((l) => l.startsWith('|'))
  const rows: string[][] = []
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break
    rows.push(
      line
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim().replace(/^`|`$/g, '')),
    )
  }
  return rows
}

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
const contract = readFileSync(join(ROOT, 'docs', 'cli-contract.md'), 'utf8')
const exitRows = Object.entries(exitCodeTable).map(([code, meaning]) => [code, meaning])
const errorRows = Object.entries(ERROR_CODES).map(([code, v]) => [code, String(v.exitCode), v.meaning])

describe('the exit-code and error-code tables', () => {
  it('the README prints the exit-code table of src/cli/exit-codes.ts', () => {
    assert.deepEqual(tableAfter(readme, '### Exit codes'), exitRows)
  })

  it('the README prints the error-code table of src/cli/errors.ts (code, exit code, meaning)', () => {
    assert.deepEqual(tableAfter(readme, '### Error codes'), errorRows)
  })

  it('docs/cli-contract.md prints the same tables and is linked from the README', () => {
    assert.deepEqual(tableAfter(contract, '## Exit codes'), exitRows)
    assert.deepEqual(tableAfter(contract, '## Error codes'), errorRows)
    assert.match(readme, /\]\(docs\/cli-contract\.md\)/)
  })

  // A command may word a code's meaning for itself (deploy: "0 deployed: Ready on the new version ..."), never add,
  // drop or reorder codes. Rewording is listed here, so that a new one is a deliberate change.
  const REWORDED: Record<string, string[]> = {deploy: ['0', '1', '2', '3']}

  it("every command's --help shows EXIT CODES equal to the table", async () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {
      commands: Record<string, unknown>
    }
    // ebws's own commands (commands/**.ts): help, version and autocomplete are oclif plugins' and print no table.
    const ids = Object.keys(manifest.commands).filter((id) =>
      existsSync(join(ROOT, 'commands', ...id.split(':')) + '.ts'),
    )
    assert.ok(ids.length >= 10)
    for (const id of ids) {
      const r = await runCli([...id.split(':'), '--help'], {env: {PATH: process.env.PATH ?? ''}})
      assert.equal(r.code, 0, r.stderr)
      const section = r.stdout.split('\nEXIT CODES\n')[1]
      assert.ok(section, `${id}: an EXIT CODES section`)
      const rows = section
        .split('\n')
        .filter((l) => /^\s+\d+\s/.test(l))
        .map((l) => /^\s+(\d+)\s+(.*)$/.exec(l)!.slice(1, 3) as [string, string])
      const name = id.split(':').join(' ')
      assert.deepEqual(
        rows.map(([code]) => code),
        Object.keys(exitCodeTable),
        `${name}: the codes of the table, in order`,
      )
      for (const [code, meaning] of rows) {
        if ((REWORDED[name] ?? []).includes(code)) assert.notEqual(meaning, '', `${name} ${code}`)
        else assert.equal(meaning, exitCodeTable[code], `${name}: exit ${code}`)
      }
    }
  })
})
