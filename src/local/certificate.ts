import {execFileSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

export interface LocalCertificate {
  certPath: string
  keyPath: string
  /** Certificate followed by key: the form HAProxy's `crt` wants. */
  pemPath: string
}

/**
 * A self-signed certificate for localhost and 127.0.0.1 (EC P-256, 30 days), made with openssl and reused while it
 * has more than a day left.
 */
export function ensureLocalCertificate(dir: string, openssl = 'openssl'): LocalCertificate {
  // Only this user can read the key, whatever the umask or the openssl version.
  mkdirSync(dir, {recursive: true, mode: 0o700})
  chmodSync(dir, 0o700)
  const cert: LocalCertificate = {
    certPath: join(dir, 'localhost.crt'),
    keyPath: join(dir, 'localhost.key'),
    pemPath: join(dir, 'localhost.pem'),
  }
  if (existsSync(cert.pemPath) && stillValid(cert.certPath, openssl)) return cert
  execFileSync(
    openssl,
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '30',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      cert.keyPath,
      '-out',
      cert.certPath,
    ],
    {stdio: 'pipe'},
  )
  chmodSync(cert.keyPath, 0o600)
  writeFileSync(cert.pemPath, readFileSync(cert.certPath, 'utf8') + readFileSync(cert.keyPath, 'utf8'), {mode: 0o600})
  return cert
}

function stillValid(certPath: string, openssl: string): boolean {
  try {
    execFileSync(openssl, ['x509', '-checkend', '86400', '-noout', '-in', certPath], {stdio: 'pipe'})
    return true
  } catch {
    return false
  }
}
