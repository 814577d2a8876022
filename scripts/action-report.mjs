// The GitHub Action's report (action.yml, step "deploy"): reads the --json envelope ebws deploy wrote to $RESULT
// (the deploy result is .result, also on failure; .error says why it failed) and the CLI's exit code ($CODE), and
// writes the step's outputs to $GITHUB_OUTPUT and a job summary to $GITHUB_STEP_SUMMARY. Plain JavaScript: it runs
// on the runner's Node, before or without any build. The step's exit status is the CLI's, set by action.yml.
import {appendFileSync, readFileSync} from 'node:fs'

const code = Number(process.env.CODE)
let doc
try {
  doc = JSON.parse(readFileSync(process.env.RESULT, 'utf8'))
} catch {
  doc = undefined
}
const r = doc?.result ?? {}
const error = doc?.error ?? null

const oneLine = (v) => String(v ?? '').replace(/[\r\n]+/g, ' ')
const outputs = {
  status: r.status,
  'version-label': r.version?.label,
  url: r.url,
  health: r.health,
  'error-code': error?.code,
  'result-file': process.env.RESULT,
}
appendFileSync(
  process.env.GITHUB_OUTPUT,
  Object.entries(outputs)
    .map(([k, v]) => `${k}=${oneLine(v)}\n`)
    .join(''),
)

// The CLI annotates its own errors on GitHub Actions; only a run that printed no envelope at all is annotated here.
if (!doc) console.log(`::error::ebws deploy printed no result (exit ${code}); see the log above.`)

const cell = (v) => oneLine(v).replace(/\|/g, '\\|') || '-'
const title =
  r.status === 'deployed'
    ? 'deployed'
    : r.status === 'planned'
      ? 'planned (dry run)'
      : r.status
        ? r.status
        : error
          ? `stopped: ${error.code}`
          : 'no result'
const lines = [`### ebws deploy: ${title}`, '']
if (r.environment || r.version) {
  lines.push('| | |', '|---|---|')
  lines.push(
    `| Environment | ${cell(r.environment)} |`,
    `| Version | ${cell(r.version?.label)} (${cell(r.version?.source)}) |`,
  )
  if (r.previousVersion) lines.push(`| Previous version | ${cell(r.previousVersion)} |`)
  lines.push(
    `| Health | ${cell(r.health)} |`,
    `| URL | ${cell(r.url)} |`,
    `| Duration | ${cell(r.durationSeconds)} s |`,
    `| Exit code | ${code} |`,
  )
  if (r.reason) lines.push('', `${oneLine(r.reason)}`)
}
if (error) {
  lines.push('', `**${error.code}** (exit ${error.exitCode}): ${oneLine(error.message)}`)
  if (error.hint) lines.push('', ...error.hint.split('\n').map((h) => `    ${h}`))
}
if (!doc) lines.push(`ebws deploy printed no result (exit ${code}); see the step's log.`)
appendFileSync(process.env.GITHUB_STEP_SUMMARY, `${lines.join('\n')}\n`)
