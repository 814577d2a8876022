// fast-levenshtein ships no types (the same library @oclif/plugin-not-found suggests commands with).
declare module 'fast-levenshtein' {
  const levenshtein: {get(a: string, b: string, options?: {useCollator?: boolean}): number}
  export default levenshtein
}
