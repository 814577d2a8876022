import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {ZipFile} from 'yazl'

import {configOverridesListener, ebextensionsConfigs} from '../../../src/lb/application/bundle-override.ts'
import {ebextensionsOverride} from '../../../src/lb/application/plan.ts'

function zip(files: Record<string, string>, compress: boolean): Promise<Buffer> {
  const z = new ZipFile()
  for (const [p, d] of Object.entries(files)) z.addBuffer(Buffer.from(d), p, {compress})
  z.end()
  const chunks: Buffer[] = []
  return new Promise((resolve) => {
    z.outputStream.on('data', (c: Buffer) => chunks.push(c))
    z.outputStream.on('end', () => resolve(Buffer.concat(chunks)))
  })
}

describe("the deployed bundle's .ebextensions (zip reader)", () => {
  for (const compress of [true, false]) {
    it(`reads top-level .ebextensions/*.config files only (${compress ? 'deflated' : 'stored'})`, async () => {
      const buf = await zip(
        {
          'app.js': 'x',
          '.ebextensions/a.config': ebextensionsOverride([]),
          '.ebextensions/sub/b.config': 'no',
          '.ebextensions/c.txt': 'no',
        },
        compress,
      )
      const configs = ebextensionsConfigs(buf)
      assert.deepEqual([...configs.keys()], ['.ebextensions/a.config'])
      assert.equal(await configOverridesListener(configs.get('.ebextensions/a.config')!), true)
    })
  }
  it('not a zip: nothing, no throw', () => {
    assert.deepEqual([...ebextensionsConfigs(Buffer.from('not a zip at all, just text'))], [])
  })
})
