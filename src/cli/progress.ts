/**
 * Progress for long work, on stderr so stdout stays clean for --json and pipes. On a terminal: short lines; off a
 * terminal (CI logs): plain lines with a UTC timestamp. On GitHub Actions, errors also become ::error:: annotations.
 */
export function createProgress(stream: NodeJS.WriteStream = process.stderr): (line: string) => void {
  const tty = Boolean(stream.isTTY)
  return (line: string) => {
    const prefix = tty ? '› ' : `${new Date().toISOString().slice(0, 19)}Z `
    stream.write(`${prefix}${line}\n`)
  }
}

export function annotateError(message: string, stream: NodeJS.WriteStream = process.stderr): void {
  if (process.env.GITHUB_ACTIONS === 'true')
    stream.write(`::error::${message.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}\n`)
}
