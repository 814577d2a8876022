// The CLI as shipped: bin/run.js loading the esbuild bundle (dist/cli/ebws.cjs and its chunks), oclif finding every command and the
// help class in the bundle. `npm test` builds first. (oclif's plugins in the bundle: plugins.test.ts.)
import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {ROOT, runCli} from '../helpers/cli.ts'

const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {
  version: string
  commands: Record<string, unknown>
}
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {version: string}
const baseEnv = {PATH: process.env.PATH ?? ''}

describe('ebws CLI (bundled)', () => {
  it('--version names the package version and the Node version', async () => {
    const r = await runCli(['--version'], {env: baseEnv})
    assert.equal(r.code, 0, r.stderr)
    assert.match(
      r.stdout,
      new RegExp(
        `^ebws/${pkg.version.replace(/\./g, '\\.')} \\S+ node-v${process.versions.node.replace(/\./g, '\\.')}`,
      ),
    )
  })

  it('the manifest lists exactly the command files, and each runs --help from the bundle with examples and exit codes', async () => {
    const files = readdirSync(join(ROOT, 'commands'), {recursive: true, withFileTypes: true})
      .filter((e) => e.isFile() && e.name.endsWith('.ts'))
      .map((e) =>
        join(e.parentPath, e.name)
          .slice(join(ROOT, 'commands').length + 1)
          .replace(/\.ts$/, '')
          .split(/[\\/]/)
          .join(':'),
      )
      .sort()
    // ...and the commands of oclif's plugins bundled with them (scripts/build-cli.ts).
    const plugins = ['autocomplete', 'autocomplete:create', 'autocomplete:script', 'help', 'version']
    assert.deepEqual(Object.keys(manifest.commands).sort(), [...files, ...plugins].sort())
    assert.equal(manifest.version, pkg.version)
    for (const id of files) {
      const r = await runCli([...id.split(':'), '--help'], {env: baseEnv})
      assert.equal(r.code, 0, `${id}: ${r.stderr}`)
      assert.match(r.stdout, /USAGE/, id)
      assert.match(r.stdout, /EXAMPLES/, id)
      assert.match(r.stdout, /EXIT CODES\n\s+0\s/, `${id}: the help class from the bundle adds EXIT CODES`)
    }
  })
})
