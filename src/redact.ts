/**
 * What may be shown: a URL's userinfo (`https://user:secret@host/…`) is a credential, and is replaced
 * by `***` wherever a URL is shown (errors, debug lines). Pure.
 */

/** `scheme://` then userinfo up to the last `@` before the host ends (a password may hold an unescaped `@`). */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/\s?#]*@/gi

export function withoutCredentials(text: string): string {
  return text.replace(USERINFO, '$1***@')
}
