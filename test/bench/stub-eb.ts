// A minimal Query-protocol Elastic Beanstalk backend for testing the bench's own wiring
// (fault proxy, endpoint variables) while the real EB fake lives in test/bench/eb-fake/.
import {createServer} from 'node:http'
import type {EbFakeHandle} from './index.ts'

export interface StubEb extends EbFakeHandle {
  /** Actions that reached the stub, in order. */
  hits: string[]
}

const NS = 'http://elasticbeanstalk.amazonaws.com/docs/2010-12-01/'

export async function startStubEb(): Promise<StubEb> {
  const hits: string[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const action = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('Action') ?? 'Unknown'
      hits.push(action)
      const result = action === 'DescribeApplications' ? '<Applications/>' : ''
      const body = `<${action}Response xmlns="${NS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>stub</RequestId></ResponseMetadata></${action}Response>`
      res.writeHead(200, {'content-type': 'text/xml', 'content-length': String(Buffer.byteLength(body))})
      res.end(body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const addr = server.address()
  if (addr === null || typeof addr === 'string') throw new Error('stub EB: no port')
  return {
    url: `http://127.0.0.1:${addr.port}`,
    hits,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}
