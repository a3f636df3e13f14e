/** "Did you mean …?" for names the user may have misspelled. Pure. */

/** The candidate closest to `word`, when it is close enough to be a likely typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: { candidate: string; distance: number } | undefined
  for (const candidate of new Set(candidates)) {
    if (candidate === word) continue
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase())
    if (!best || distance < best.distance) best = { candidate, distance }
  }
  return best && best.distance <= Math.max(2, Math.floor(word.length / 4)) ? best.candidate : undefined
}

/** Levenshtein distance (names are short; quadratic is fine). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]
}

/** ` (did you mean 'x'?)` or ''. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const suggestion = closest(word, candidates)
  return suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`
}

/** `'a', 'b'` (at most `max`, then "and N more"). */
export function quoteList(items: readonly string[], max = 8): string {
  const unique = [...new Set(items)]
  const shown = unique
    .slice(0, max)
    .map((item) => `'${item}'`)
    .join(', ')
  return unique.length > max ? `${shown} and ${unique.length - max} more` : shown
}
