import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {parse} from 'yaml'

import {validateConfig} from '../../../src/bundle/validate.ts'
import {configuredFromOptionSettings} from '../../../src/listeners/option-settings.ts'
import {shippedEbextensions} from '../../../src/listeners/shipped-ebextensions.ts'
import {ROOT} from '../../helpers/cli.ts'

const DIR = join(ROOT, '.ebextensions')
const committed = (): string[] =>
  readdirSync(DIR, {recursive: true, withFileTypes: true})
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(DIR.length + 1))
    .sort()

describe('shipped .ebextensions', () => {
  it('are exactly what the generator writes (run `npm run generate:ebextensions` after changing the settings code)', () => {
    const generated = shippedEbextensions()
    assert.deepEqual(committed(), Object.keys(generated).sort())
    for (const [name, content] of Object.entries(generated))
      assert.equal(readFileSync(join(DIR, name), 'utf8'), content, name)
  })

  it('parse as YAML and use only documented namespaces and top-level keys', () => {
    for (const name of committed()) {
      const text = readFileSync(join(DIR, name), 'utf8')
      const report = validateConfig(name, text)
      assert.deepEqual(report.errors, [], name)
      assert.ok(parse(text).option_settings, name)
    }
  })

  it('describe the layout they are named after, as ebws itself reads option settings', () => {
    for (const mode of ['websocket', 'http', 'proxy']) {
      const doc = parse(readFileSync(join(DIR, 'layouts', `${mode}.config`), 'utf8')) as {
        option_settings: Record<string, Record<string, string>>
      }
      const settings = Object.entries(doc.option_settings).flatMap(([namespace, options]) =>
        Object.entries(options).map(([optionName, value]) => ({namespace, optionName, value: String(value)})),
      )
      const configured = configuredFromOptionSettings(settings)
      const listeners = configured.listeners.map(
        (l) => `${l.protocol} ${l.loadBalancerPort} -> ${l.instanceProtocol} ${l.instancePort}`,
      )
      const expected = {
        websocket: ['HTTP 80 -> HTTP 80', 'SSL 443 -> TCP 80'],
        http: ['HTTP 80 -> HTTP 80', 'HTTPS 443 -> HTTP 80'],
        proxy: ['TCP 80 -> TCP 80', 'SSL 443 -> TCP 80'],
      }[mode]!
      assert.deepEqual(listeners.sort(), [...expected].sort(), mode)
      assert.equal(
        configured.policies.some((p) => p.proxyProtocol),
        mode === 'proxy',
      )
    }
  })
})
