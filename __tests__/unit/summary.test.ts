import { describe, expect, it } from '@jest/globals'
import { renderSummary, type PromotionSummary } from '../../src/report/summary.js'

const base: PromotionSummary = {
  imageRef: 'ani2fun/note-book:3f2c1ab',
  tag: '3f2c1ab',
  digest: '',
  destination: 'ani2fun/infra@main',
  changes: [{ file: 'deploy/note-book/overlays/prod/kustomization.yaml', line: 12, before: '0.9.0', after: '3f2c1ab' }],
  stale: [],
  skippedReason: '',
  attempts: 2,
  commit: { sha: '0123456789abcdef0123', url: 'https://github.com/ani2fun/infra/commit/0123456789abcdef0123' },
  rendered: [{ target: 'deploy/note-book/overlays/prod', images: ['ani2fun/note-book:3f2c1ab'] }],
  renderWarnings: [],
  dryRun: false,
  diff: undefined,
}

describe('job summary', () => {
  it('tables what was promoted where, old → new, with the commit link, attempts and render result', () => {
    const text = renderSummary(base)
    expect(text).toContain('## Promoted <code>ani2fun/note-book:3f2c1ab</code> into <code>ani2fun/infra@main</code>')
    expect(text).toContain('<td><code>deploy/note-book/overlays/prod/kustomization.yaml:12</code></td><td><code>0.9.0</code></td><td><code>3f2c1ab</code></td>')
    expect(text).toContain('<a href="https://github.com/ani2fun/infra/commit/0123456789abcdef0123">0123456789ab</a>')
    expect(text).toContain('<tr><th align="left">Attempts</th><td>2</td></tr>')
    expect(text).toContain('- <code>deploy/note-book/overlays/prod</code> renders; containers run <code>ani2fun/note-book:3f2c1ab</code>')
  })

  it('says why nothing was committed, lists stale targets, and shows a dry run diff folded', () => {
    const skipped = renderSummary({
      ...base,
      changes: [],
      commit: undefined,
      skippedReason: 'stale',
      stale: [{ path: 'a/kustomization.yaml', currentRef: 'x:new' }],
    })
    expect(skipped).toContain('## Nothing to promote for')
    expect(skipped).toContain('`stale`')
    expect(skipped).toContain('Left alone: <code>a/kustomization.yaml</code> already references the newer image <code>x:new</code>')
    const dry = renderSummary({ ...base, dryRun: true, diff: '-    newTag: 0.9.0\n+    newTag: 3f2c1ab\n' })
    expect(dry).toContain('## Dry run: would promote')
    expect(dry).toContain('Local commit (not pushed)')
    expect(dry).toContain('```diff\n-    newTag: 0.9.0\n+    newTag: 3f2c1ab\n```')
  })

  it('escapes what it quotes', () => {
    expect(renderSummary({ ...base, renderWarnings: ['<script>'] })).toContain('&lt;script&gt;')
  })
})
