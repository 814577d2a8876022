// AwsClients.prepare() loads the clients of the next round trip while the current one is on the wire, but only once
// the current requests have been written: loading a client takes the thread, and started before the SDK had built
// and written the requests (it resolves credentials, endpoints and signatures first), it held them back.
import assert from 'node:assert/strict'
import {subscribe, unsubscribe} from 'node:diagnostics_channel'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type ClientRequest, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {DescribeEnvironmentsCommand} from '@aws-sdk/client-elastic-beanstalk'

import {AwsClients} from '../../../src/aws/clients.ts'

const EMPTY_ANSWER =
  '<DescribeEnvironmentsResponse xmlns="http://elasticbeanstalk.amazonaws.com/docs/2010-12-01/"><DescribeEnvironmentsResult><Environments/></DescribeEnvironmentsResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></DescribeEnvironmentsResponse>'

/** Records which clients prepare() loads, and when. */
class Recording extends AwsClients {
  loaded: string[] = []
  loading?: () => void
  override elbv2(): ReturnType<AwsClients['elbv2']> {
    this.loaded.push('elbv2')
    this.loading?.()
    return super.elbv2()
  }
  override elb(): ReturnType<AwsClients['elb']> {
    this.loaded.push('elb')
    this.loading?.()
    return super.elb()
  }
}

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve))
}

describe('AwsClients: prepareWhile() loads one client at a time while the round trip is unanswered', () => {
  it('loads them in order while the answer is awaited', async () => {
    const clients = new Recording({region: 'us-east-1'})
    clients.prepareWhile(new Promise(() => undefined), ['elbv2', 'elb'])
    await turns(4)
    assert.deepEqual(clients.loaded, ['elbv2', 'elb'])
  })

  it('loads none once the round trip is answered, and stops at the answer', async () => {
    const answered = new Recording({region: 'us-east-1'})
    answered.prepareWhile(Promise.resolve(), ['elbv2', 'elb'])
    await turns(4)
    assert.deepEqual(answered.loaded, [])

    // The answer comes while the first client loads: the second, which the answer may show unneeded, is left.
    const clients = new Recording({region: 'us-east-1'})
    let answer!: () => void
    clients.loading = () => answer()
    clients.prepareWhile(new Promise<void>((resolve) => (answer = resolve)), ['elbv2', 'elb'])
    await turns(4)
    assert.deepEqual(clients.loaded, ['elbv2'])
  })
})

describe('AwsClients: prepare() waits until the requests in flight are written', () => {
  // The server answers only when told to: the request stays in flight while the test looks.
  const held: ServerResponse[] = []
  const received: string[] = []
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      received.push(body)
      held.push(res)
    })
  })
  const saved = {...process.env}
  const dir = mkdtempSync(join(tmpdir(), 'ebws-clients-'))
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const {port} = server.address() as AddressInfo
    // Credentials from a credential_process, as with many SSO and vault setups: the SDK runs it before the first
    // request exists, so the request is written several event-loop turns after send().
    const credentials = join(dir, 'credentials')
    const answer = JSON.stringify({Version: 1, AccessKeyId: 'testing', SecretAccessKey: 'testing'})
    writeFileSync(
      credentials,
      `[default]\ncredential_process = "${process.execPath}" -e "process.stdout.write(process.argv[1])" ${JSON.stringify(answer)}\n`,
    )
    for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k]
    Object.assign(process.env, {
      AWS_CONFIG_FILE: join(dir, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: credentials,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ENDPOINT_URL_ELASTIC_BEANSTALK: `http://127.0.0.1:${port}`,
    })
  })
  after(async () => {
    for (const res of held) res.destroy()
    await new Promise((resolve) => server.close(resolve))
    process.env = saved
    rmSync(dir, {recursive: true, force: true})
  })

  it('resolves at once when nothing is in flight', async () => {
    const clients = new AwsClients({region: 'us-east-1'})
    await clients.elasticBeanstalk()
    let done = false
    void clients.requestsWritten().then(() => (done = true))
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(done, true)
  })

  it('starts loading only after the request is written, while its answer is still awaited', async () => {
    const requests: ClientRequest[] = []
    const onRequest = (m: unknown) => requests.push((m as {request: ClientRequest}).request)
    subscribe('http.client.request.start', onRequest)
    try {
      const clients = new Recording({region: 'us-east-1'})
      const eb = await clients.elasticBeanstalk()
      let answered = false
      const sent = eb.send(new DescribeEnvironmentsCommand({})).then((out) => {
        answered = true
        return out
      })
      const seen = new Promise<{requests: number; written: boolean; answered: boolean}>((resolve) => {
        clients.loading = () =>
          resolve({
            requests: requests.length,
            written: requests.every((r) => r.writableFinished),
            answered,
          })
      })
      // As src/lb/first-round-trip.ts calls it: right after the round trip's sends have started.
      setImmediate(() => clients.prepare('elbv2'))
      const atLoad = await seen
      assert.deepEqual(atLoad, {requests: 1, written: true, answered: false})
      // The request that was written is the send's, and it is answered only now.
      await new Promise<void>((resolve) => {
        const wait = () => (held.length > 0 ? resolve() : setTimeout(wait, 5))
        wait()
      })
      assert.match(received[0]!, /Action=DescribeEnvironments/)
      held.shift()!.writeHead(200, {'content-type': 'text/xml'}).end(EMPTY_ANSWER)
      assert.deepEqual((await sent).Environments, [])
      await clients.requestsWritten()
    } finally {
      unsubscribe('http.client.request.start', onRequest)
    }
  })
})

describe('AwsClients: the clients share one credentials lookup', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ebws-credentials-'))
  const runs = join(dir, 'runs')
  // Answers every call at once with an error the SDK does not retry: only the credentials lookups matter here.
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume()
    req.on('end', () =>
      res
        .writeHead(400, {'content-type': 'text/xml'})
        .end(
          '<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>no</Message></Error></ErrorResponse>',
        ),
    )
  })
  const saved = {...process.env}
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const {port} = server.address() as AddressInfo
    // A credential_process that counts its runs (SSO, assumed roles and vaults cost a round trip or a process alike).
    const script = join(dir, 'credentials.cjs')
    writeFileSync(
      script,
      `require('node:fs').appendFileSync(${JSON.stringify(runs)}, 'run\\n'); process.stdout.write(JSON.stringify({Version: 1, AccessKeyId: 'testing', SecretAccessKey: 'testing'}))`,
    )
    writeFileSync(join(dir, 'credentials'), `[default]\ncredential_process = "${process.execPath}" "${script}"\n`)
    for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k]
    Object.assign(process.env, {
      AWS_CONFIG_FILE: join(dir, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_MAX_ATTEMPTS: '1',
      AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
    })
  })
  after(async () => {
    await new Promise((resolve) => server.close(resolve))
    process.env = saved
    rmSync(dir, {recursive: true, force: true})
  })

  it('three services, one credential_process run', async () => {
    const clients = new AwsClients({region: 'us-east-1'})
    const eb = await clients.elasticBeanstalk()
    const {DescribeLoadBalancersCommand} = await import('@aws-sdk/client-elastic-load-balancing-v2')
    const {ListCertificatesCommand} = await import('@aws-sdk/client-acm')
    const [elbv2, acm] = await Promise.all([clients.elbv2(), clients.acm()])
    const sends = await Promise.allSettled([
      eb.send(new DescribeEnvironmentsCommand({})),
      elbv2.send(new DescribeLoadBalancersCommand({})),
      acm.send(new ListCertificatesCommand({})),
    ])
    // Each send reached the server (and failed there), so each had its credentials.
    for (const s of sends) assert.equal(s.status, 'rejected')
    assert.equal(readFileSync(runs, 'utf8'), 'run\n')
  })
})
