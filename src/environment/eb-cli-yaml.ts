// Parses .elasticbeanstalk/config.yml. A module of its own so that the YAML parser loads only when that file exists
// (eb-cli-config.ts imports this one lazily). yaml is CommonJS: it is imported statically here, because a dynamic
// import() of a CommonJS package would expose only `default` in the CLI's esbuild bundle (scripts/build-cli.ts).
import {parse, YAMLParseError} from 'yaml'

/** The parsed document, or the first line of the parser's complaint. */
export function parseYaml(text: string): {doc: unknown} | {error: string} {
  try {
    return {doc: parse(text)}
  } catch (error) {
    return {error: error instanceof YAMLParseError ? (error.message.split('\n')[0] ?? error.message) : String(error)}
  }
}
