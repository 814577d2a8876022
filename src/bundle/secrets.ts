/**
 * What must never leave the machine in a source bundle: secrets and key material, and files reached through a
 * symlink that points outside the app folder. Pure rules over bundle paths (plus a content test for the few files
 * whose secrecy depends on what they hold), used the same way for folders and for `--archive` zips.
 *
 * The rule (documented in `ebws bundle --help`, `ebws deploy --help` and the README):
 * - `.ebws-local/` is ebws's own state folder (local up writes a TLS private key there): never part of an app, it is
 *   left out with a notice, as `.elasticbeanstalk/` is. A prebuilt archive cannot leave it out: there it is refused.
 * - Every other secret is refused (exit 2, SECRET_IN_BUNDLE, every path named), before anything is written or
 *   uploaded, so a CI run stops instead of shipping it or silently shipping an app without its config.
 * - `--allow-secret PATH` (repeatable, a bundle path or a folder of it) lets one path through.
 */
import {badInput} from '../cli/errors.ts'
import type {EbwsError} from '../cli/errors.ts'

export interface SecretFinding {
  path: string
  /** Why it is a secret, for the message. */
  reason: string
}

/** ebws's state folder, at any depth. */
const EBWS_LOCAL_RE = /(^|\/)\.ebws-local(\/|$)/

const NAME_RULES: ReadonlyArray<{re: RegExp; reason: string}> = [
  {re: /(^|\/)\.aws\//, reason: 'AWS credentials folder (.aws/)'},
  {re: /(^|\/)\.ssh\//, reason: 'SSH folder (.ssh/)'},
  {re: /(^|\/)\.env(\.[^/]+)?$/, reason: '.env file (environment secrets: use environment properties instead)'},
  {re: /(^|\/)id_(rsa|dsa|ecdsa|ed25519)[^/]*$/, reason: 'SSH private key'},
  {re: /\.(p12|pfx)$/i, reason: 'PKCS#12 keystore'},
  {re: /\.(jks|keystore)$/i, reason: 'Java keystore'},
  {re: /\.key$/i, reason: 'private key file (*.key)'},
]

/** `.env.example` and friends are templates, meant to be committed and shipped. `id_rsa.pub` is a public key. */
const NOT_SECRET_RE = /(^|\/)(\.env\.[^/]*\.?(example|sample|template|dist|defaults)|id_[a-z0-9]+\.pub)$/

/** Files whose secrecy depends on their content: read them (they are small) and test. */
const TOKEN_FILES: ReadonlyArray<{re: RegExp; content: RegExp; reason: string}> = [
  // https://docs.npmjs.com/cli/v10/configuring-npm/npmrc#auth-related-configuration
  {re: /(^|\/)\.npmrc$/, content: /(_authToken|_auth|_password)\s*=/, reason: '.npmrc with a registry auth token'},
  // https://yarnpkg.com/configuration/yarnrc#npmAuthToken
  {re: /(^|\/)\.yarnrc\.yml$/, content: /npmAuth(Token|Ident)\s*:/, reason: '.yarnrc.yml with a registry auth token'},
]

/** Whether this entry lies in ebws's state folder (left out of folder bundles). */
export const isEbwsLocal = (path: string): boolean => EBWS_LOCAL_RE.test(path)

/** The name-based verdict for one bundle path, or undefined. */
export function secretByName(path: string): string | undefined {
  if (isEbwsLocal(path)) return "ebws's local state (.ebws-local/, holds a TLS private key)"
  if (NOT_SECRET_RE.test(path)) return undefined
  return NAME_RULES.find((r) => r.re.test(path))?.reason
}

/** Paths whose content must be read to decide. */
export const needsContentCheck = (path: string): boolean => TOKEN_FILES.some((t) => t.re.test(path))

export function secretByContent(path: string, text: string): string | undefined {
  return TOKEN_FILES.find((t) => t.re.test(path) && t.content.test(text))?.reason
}

const PRIVATE_KEY_MARK = 'PRIVATE KEY-----'
const PRIVATE_KEY_RE = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/

/** Whether the bytes hold a PEM private key block (`-----BEGIN [RSA |EC |ENCRYPTED ]PRIVATE KEY-----`). */
export function looksLikePrivateKey(buf: Buffer): boolean {
  let at = buf.indexOf(PRIVATE_KEY_MARK)
  while (at !== -1) {
    const window = buf.toString('latin1', Math.max(0, at - 40), at + PRIVATE_KEY_MARK.length)
    if (PRIVATE_KEY_RE.test(window)) return true
    at = buf.indexOf(PRIVATE_KEY_MARK, at + 1)
  }
  return false
}

/** Bytes kept from the end of one chunk so a PEM header split across two chunks is still seen. */
export const PEM_OVERLAP = 64

/** Normalises a user-given --allow-secret / --allow-link-outside path to a bundle path. */
export function normaliseAllowed(path: string): string {
  return path
    .replace(/\\/g, '/')
    .replace(/^(\.\/)+/, '')
    .replace(/\/+$/, '')
}

/** Whether `path` is allowed: named exactly, or inside a named folder. */
export function isAllowed(path: string, allowed: readonly string[]): boolean {
  return allowed.some((a) => a === '' || path === a || path.startsWith(a + '/'))
}

export const ALLOW_SECRET_HINT =
  'Leave them out (.ebignore, or move them out of the app folder), or ship one on purpose with --allow-secret PATH.'

export function secretError(findings: readonly SecretFinding[], where: string): EbwsError {
  const sorted = [...findings].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return badInput(
    'SECRET_IN_BUNDLE',
    `${where} would ship secrets; nothing was written or uploaded:\n  ${sorted.map((f) => `${f.path}: ${f.reason}`).join('\n  ')}`,
    [ALLOW_SECRET_HINT],
    {paths: sorted.map((f) => f.path), findings: sorted},
  )
}

/**
 * Every secret among `entries` that `allowSecret` does not let through: by name, by content for token files
 * (read through `readText`), and the files already found to hold a PEM private key.
 */
export async function findSecrets(
  entries: ReadonlyArray<{path: string; kind: string}>,
  readText: (path: string) => Promise<string>,
  o: {allowSecret?: readonly string[] | undefined; privateKeyFiles?: readonly string[] | undefined} = {},
): Promise<SecretFinding[]> {
  const allowed = (o.allowSecret ?? []).map(normaliseAllowed)
  const findings = new Map<string, string>()
  for (const e of entries) {
    if (e.kind === 'directory' || isAllowed(e.path, allowed)) continue
    const byName = secretByName(e.path)
    if (byName) findings.set(e.path, byName)
    else if (e.kind === 'file' && needsContentCheck(e.path)) {
      const byContent = secretByContent(e.path, await readText(e.path))
      if (byContent) findings.set(e.path, byContent)
    }
  }
  for (const p of o.privateKeyFiles ?? []) {
    if (!isAllowed(p, allowed) && !findings.has(p))
      findings.set(p, 'holds a PEM private key (-----BEGIN … PRIVATE KEY-----)')
  }
  return [...findings].map(([path, reason]) => ({path, reason}))
}
