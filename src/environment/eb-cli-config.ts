import {existsSync, readFileSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'

import {badInput} from '../cli/errors.ts'

/**
 * What we read from the eb CLI's project file, `.elasticbeanstalk/config.yml` (written by `eb init` / `eb use`):
 * `branch-defaults.<git branch>.environment`, falling back to `branch-defaults.default.environment`, and
 * `global.application_name`, `global.default_region`, `global.profile`.
 * https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/eb-cli3-configuration.html
 * https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/eb3-use.html ("eb use sets the default environment for the current branch")
 */
export interface EbCliConfig {
  path: string
  environment?: string | undefined
  application?: string | undefined
  region?: string | undefined
  profile?: string | undefined
  branch?: string | undefined
}

/** The eb CLI looks for .elasticbeanstalk/ in the working directory and its parents. */
export function findEbCliConfig(start: string = process.cwd()): string | undefined {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    const candidate = join(dir, '.elasticbeanstalk', 'config.yml')
    if (existsSync(candidate)) return candidate
    if (dirname(dir) === dir) return undefined
  }
}

/** The current git branch, read from .git/HEAD (no git process); undefined when detached or not a repo. */
export function currentGitBranch(projectDir: string): string | undefined {
  for (let dir = resolve(projectDir); ; dir = dirname(dir)) {
    const head = join(dir, '.git', 'HEAD')
    if (existsSync(head)) {
      const match = /^ref: refs\/heads\/(.+)$/m.exec(readFileSync(head, 'utf8'))
      return match?.[1]?.trim()
    }
    if (dirname(dir) === dir) return undefined
  }
}

const asString = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined)
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Pure: interpret the parsed YAML document. */
export function interpretEbCliConfig(doc: unknown, path: string, branch: string | undefined): EbCliConfig {
  if (doc === null || doc === undefined) return {path, branch}
  if (!isRecord(doc))
    throw badInput('CONFIG_INVALID', `${path} is not an eb CLI config file (expected a YAML mapping).`, [
      'Run `eb init` again, or pass --environment and --region.',
    ])
  const branches = isRecord(doc['branch-defaults']) ? doc['branch-defaults'] : {}
  const global = isRecord(doc.global) ? doc.global : {}
  const forBranch = branch && isRecord(branches[branch]) ? (branches[branch] as Record<string, unknown>) : undefined
  const fallback = isRecord(branches.default) ? branches.default : undefined
  return {
    path,
    branch,
    environment: asString(forBranch?.environment) ?? asString(fallback?.environment),
    application: asString(global.application_name),
    region: asString(global.default_region),
    profile: asString(global.profile),
  }
}

export async function loadEbCliConfig(start: string = process.cwd()): Promise<EbCliConfig | undefined> {
  const path = findEbCliConfig(start)
  if (!path) return undefined
  const {parseYaml} = await import('./eb-cli-yaml.ts')
  const parsed = parseYaml(readFileSync(path, 'utf8'))
  if ('error' in parsed) {
    throw badInput('CONFIG_INVALID', `Could not parse ${path}: ${parsed.error}`, [
      'Fix the YAML, run `eb init` again, or pass --environment and --region.',
    ])
  }
  const doc = parsed.doc
  return interpretEbCliConfig(doc, path, currentGitBranch(dirname(dirname(path))))
}
