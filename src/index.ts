/** The action's entry point: the runner executes the bundle of this file. */
import { run } from './main.js'

await run()
