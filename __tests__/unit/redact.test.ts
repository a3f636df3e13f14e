/** No credential in a URL reaches an error or a debug line. */
import { describe, expect, it } from '@jest/globals'
import { errorMessage, GitError, InputError } from '../../src/errors.js'
import { withoutCredentials } from '../../src/redact.js'

describe('credentials in URLs', () => {
  it.each([
    ['https://user:s3cret@host/org/infra.git', 'https://***@host/org/infra.git'],
    ['http://x-access-token:ghp_abc@127.0.0.1:8080/infra', 'http://***@127.0.0.1:8080/infra'],
    ['git at https://tok@github.com/o/r and https://a:b@c/d', 'git at https://***@github.com/o/r and https://***@c/d'],
    ['https://user:p@ss@host/x?y=z@w', 'https://***@host/x?y=z@w'],
    ['https://host/path@v1 and owner/name and git@github.com:o/r.git', 'https://host/path@v1 and owner/name and git@github.com:o/r.git'],
  ])('%s → %s', (text, shown) => expect(withoutCredentials(text)).toBe(shown))

  it('are masked in every typed error, its fix, and any other error shown', () => {
    const error = new InputError('infra-repo', "'https://u:s3cret@host:99999/x' is neither owner/name nor a URL", 'Try https://u:s3cret@host/x without it.')
    expect(error.report).not.toContain('s3cret')
    expect(errorMessage(new GitError('at https://u:s3cret@h/x.', ''))).toBe('at https://***@h/x.')
    expect(errorMessage(new Error('fetch https://u:s3cret@h/x failed'))).toBe('fetch https://***@h/x failed')
  })
})
