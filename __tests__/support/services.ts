/**
 * Tests that need a service (git's HTTP backend, a Docker daemon, a registry) skip with a loud
 * message when it is absent on a laptop; CI sets PROMOTE_REQUIRE_SERVICES=1, which makes an absent
 * service a failure instead of a skip.
 */

export function requireService(name: string, available: () => boolean): boolean {
  let ok: boolean
  try {
    ok = available()
  } catch {
    ok = false
  }
  if (ok) return true
  if (process.env.PROMOTE_REQUIRE_SERVICES === '1') {
    throw new Error(`${name} is required (PROMOTE_REQUIRE_SERVICES=1) but is not available: run .ci/run, which installs and starts it.`)
  }
  console.warn(`\n*** SKIPPED: ${name} is not available on this machine; these tests did not run. .ci/run installs it. ***\n`)
  return false
}
