// Test certificates for the local AWS bench: generated with openssl in a temp dir and imported
// into (moto's) ACM through the real @aws-sdk/client-acm ImportCertificate.
import {execFile} from 'node:child_process'
import {mkdtemp, readFile, rm, writeFile, mkdir} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {setTimeout as sleep} from 'node:timers/promises'
import {ACMClient, ImportCertificateCommand} from '@aws-sdk/client-acm'

const run = promisify(execFile)

export type CertKind = 'rsa2048' | 'rsa4096' | 'ec256' | 'expired' | 'wildcard'

/** ACM's KeyAlgorithm names (https://docs.aws.amazon.com/acm/latest/APIReference/API_CertificateDetail.html). */
export type KeyAlgorithm = 'RSA_2048' | 'RSA_4096' | 'EC_prime256v1'

export interface CertOptions {
  kind?: CertKind
  /** Subject CN; default app.example.com, or *.example.com for `wildcard`. */
  domain?: string
  /** Subject alternative names (DNS); the domain is always included first. */
  sans?: string[]
  /** Self-signed instead of signed by a throwaway bench CA (then the chain is sent too). */
  selfSigned?: boolean
  /** Validity in days for non-expired kinds (default 365). */
  validDays?: number
  /**
   * `expired` only: how long after import the certificate expires (default 2000 ms).
   * ACM refuses to import a certificate outside its validity period ("The current time must
   * be between the Not Before and Not After certificate fields",
   * https://docs.aws.amazon.com/acm/latest/APIReference/API_ImportCertificate.html), so an
   * expired ACM certificate can only exist by expiring after import: createCertificate
   * imports it while valid, then waits until it has expired.
   */
  expiresInMs?: number
}

export interface GeneratedCertificate {
  kind: CertKind
  domain: string
  sans: string[]
  keyAlgorithm: KeyAlgorithm
  notBefore: Date
  notAfter: Date
  certificatePem: string
  privateKeyPem: string
  /** The CA certificate, absent for self-signed certificates. */
  chainPem?: string
}

export interface BenchCertificate extends GeneratedCertificate {
  arn: string
  region: string
}

const KEY_OF_KIND: Record<CertKind, KeyAlgorithm> = {
  rsa2048: 'RSA_2048',
  rsa4096: 'RSA_4096',
  ec256: 'EC_prime256v1',
  expired: 'RSA_2048',
  wildcard: 'RSA_2048',
}

async function openssl(args: string[], cwd: string): Promise<string> {
  try {
    const {stdout} = await run('openssl', args, {cwd, maxBuffer: 10 * 1024 * 1024})
    return stdout
  } catch (err) {
    const e = err as {stderr?: string; message: string; code?: string}
    if (e.code === 'ENOENT')
      throw new Error('openssl is needed for bench certificates: apt-get install openssl', {cause: err})
    throw new Error(`openssl ${args[0]} failed: ${e.stderr ?? e.message}`, {cause: err})
  }
}

async function genKey(alg: KeyAlgorithm, file: string, cwd: string): Promise<void> {
  const spec =
    alg === 'EC_prime256v1'
      ? ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']
      : ['-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${alg === 'RSA_4096' ? 4096 : 2048}`]
  await openssl(['genpkey', ...spec, '-out', `${file}.p8`], cwd)
  // Traditional PEM ("BEGIN RSA/EC PRIVATE KEY"), the form ACM's import examples use.
  await openssl(['pkey', '-in', `${file}.p8`, '-traditional', '-out', file], cwd)
}

/** openssl ca's UTCTime form YYMMDDHHMMSSZ (second precision). */
function asn1Time(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0')
  return `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`
}

function caConfig(dir: string, sans: string[]): string {
  const sanLines = sans.map((s, i) => `DNS.${i + 1} = ${s}`).join('\n')
  return `[ca]
default_ca = bench
[bench]
dir = ${dir}
database = ${dir}/index.txt
new_certs_dir = ${dir}/issued
serial = ${dir}/serial
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
x509_extensions = leaf
[anything]
commonName = supplied
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
subjectAltName = @sans
[sans]
${sanLines}
[req]
distinguished_name = dn
prompt = no
[dn]
CN = bench
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
`
}

/** Generate a certificate and key with openssl (nothing is imported). */
export async function generateCertificate(opts: CertOptions = {}): Promise<GeneratedCertificate> {
  const kind = opts.kind ?? 'rsa2048'
  const domain = opts.domain ?? (kind === 'wildcard' ? '*.example.com' : 'app.example.com')
  const extra = opts.sans ?? (kind === 'wildcard' ? [domain.replace(/^\*\./, '')] : [])
  const sans = [domain, ...extra.filter((s) => s !== domain)]
  const keyAlgorithm = KEY_OF_KIND[kind]
  const now = Date.now()
  const notBefore = new Date(Math.floor((now - 3600_000) / 1000) * 1000)
  const notAfter =
    kind === 'expired'
      ? new Date(Math.ceil((now + (opts.expiresInMs ?? 2000)) / 1000) * 1000)
      : new Date(Math.floor((now + (opts.validDays ?? 365) * 86400_000) / 1000) * 1000)

  const dir = await mkdtemp(join(tmpdir(), 'ebws-cert-'))
  try {
    await mkdir(join(dir, 'issued'))
    await writeFile(join(dir, 'index.txt'), '')
    await writeFile(join(dir, 'serial'), `${Date.now().toString(16).padStart(16, '0')}\n`)
    await writeFile(join(dir, 'openssl.cnf'), caConfig(dir, sans))
    await genKey(keyAlgorithm, 'leaf.key', dir)
    await openssl(
      ['req', '-new', '-config', 'openssl.cnf', '-key', 'leaf.key', '-subj', `/CN=${domain}`, '-out', 'leaf.csr'],
      dir,
    )
    const dates = ['-startdate', asn1Time(notBefore), '-enddate', asn1Time(notAfter)]
    let chainPem: string | undefined
    if (opts.selfSigned === true) {
      await openssl(
        [
          'ca',
          '-batch',
          '-config',
          'openssl.cnf',
          '-selfsign',
          '-keyfile',
          'leaf.key',
          '-in',
          'leaf.csr',
          '-out',
          'leaf.pem',
          '-notext',
          ...dates,
        ],
        dir,
      )
    } else {
      await genKey('RSA_2048', 'ca.key', dir)
      await openssl(
        [
          'req',
          '-x509',
          '-new',
          '-config',
          'openssl.cnf',
          '-extensions',
          'ca_ext',
          '-key',
          'ca.key',
          '-subj',
          '/CN=ebws bench CA',
          '-days',
          '3650',
          '-out',
          'ca.pem',
        ],
        dir,
      )
      await openssl(
        [
          'ca',
          '-batch',
          '-config',
          'openssl.cnf',
          '-cert',
          'ca.pem',
          '-keyfile',
          'ca.key',
          '-in',
          'leaf.csr',
          '-out',
          'leaf.pem',
          '-notext',
          ...dates,
        ],
        dir,
      )
      chainPem = await readFile(join(dir, 'ca.pem'), 'utf8')
    }
    const cert: GeneratedCertificate = {
      kind,
      domain,
      sans,
      keyAlgorithm,
      notBefore,
      notAfter,
      certificatePem: await readFile(join(dir, 'leaf.pem'), 'utf8'),
      privateKeyPem: await readFile(join(dir, 'leaf.key'), 'utf8'),
    }
    if (chainPem !== undefined) cert.chainPem = chainPem
    return cert
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

export interface CreateCertificateOptions extends CertOptions {
  /** ACM endpoint (the bench's proxy or moto directly). */
  endpoint: string
  region?: string
}

/**
 * Generate a certificate of `kind` and import it with the real SDK's ImportCertificate.
 * For `expired`, returns once the certificate's NotAfter has passed.
 */
export async function createCertificate(opts: CreateCertificateOptions): Promise<BenchCertificate> {
  // Under load, key generation can outlast an `expired` certificate's short validity, and ACM refuses to import it
  // ("The certificate has expired"): then generate it again with twice the time, a few times.
  for (let attempt = 0, expiresInMs = opts.expiresInMs ?? 2000; ; attempt++, expiresInMs *= 2) {
    try {
      return await importOnce(opts.kind === 'expired' ? {...opts, expiresInMs} : opts)
    } catch (e) {
      if (opts.kind !== 'expired' || attempt >= 3 || !/has expired/i.test((e as Error).message)) throw e
    }
  }
}

async function importOnce(opts: CreateCertificateOptions): Promise<BenchCertificate> {
  const region = opts.region ?? 'us-east-1'
  const cert = await generateCertificate(opts)
  const acm = new ACMClient({
    region,
    endpoint: opts.endpoint,
    credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'},
    maxAttempts: 5,
  })
  try {
    const out = await acm.send(
      new ImportCertificateCommand({
        Certificate: Buffer.from(cert.certificatePem),
        PrivateKey: Buffer.from(cert.privateKeyPem),
        ...(cert.chainPem !== undefined ? {CertificateChain: Buffer.from(cert.chainPem)} : {}),
      }),
    )
    if (out.CertificateArn === undefined) throw new Error('ImportCertificate returned no CertificateArn')
    if (cert.kind === 'expired') {
      const wait = cert.notAfter.getTime() - Date.now() + 250
      if (wait > 0) await sleep(wait)
    }
    return {...cert, arn: out.CertificateArn, region}
  } finally {
    acm.destroy()
  }
}
