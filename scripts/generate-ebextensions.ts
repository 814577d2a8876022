// Writes the shipped .ebextensions files from src/listeners/shipped-ebextensions.ts.
import {mkdirSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {shippedEbextensions} from '../src/listeners/shipped-ebextensions.ts'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '.ebextensions')
for (const [name, content] of Object.entries(shippedEbextensions())) {
  const file = join(root, name)
  mkdirSync(dirname(file), {recursive: true})
  writeFileSync(file, content)
  console.log(`wrote ${file}`)
}
