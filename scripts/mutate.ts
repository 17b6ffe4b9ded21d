// Mutation testing (`npm run mutate [-- NAME…]`, not part of `npm test`: it runs the tests once per mutant): Stryker
// mutates each target's source, its TypeScript checker drops mutants that do not compile, and its command runner runs
// ava on the target's tests; a mutant that no test fails "survives". Scores go to reports/mutation/<NAME>.json.
import {spawnSync} from 'node:child_process';
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';

/** What is mutated (files, or file:lines) and the tests that must notice. */
export const targets: Record<string, {mutate: string[]; tests: string[]}> = {
	'sanitize-terminal': {mutate: ['source/core/sanitize-terminal.ts'], tests: ['test/core/sanitize-terminal.test.ts']},
	// Its constants (the C1 openers among them) and its main loop: what fits a run on the shared 2-core machine.
	'sanitize-loop': {mutate: ['source/core/sanitize-terminal.ts:21-29', 'source/core/sanitize-terminal.ts:37-80'], tests: ['test/core/sanitize-terminal.test.ts']},
	'sse-parser': {mutate: ['source/core/sse-parser.ts'], tests: ['test/core/sse-parser.test.ts', 'test/core/parser-properties.test.ts']},
	// Its field parsing only (endLine, deliver, line): what fits a run on the shared 2-core machine.
	'sse-fields': {mutate: ['source/core/sse-parser.ts:96-145'], tests: ['test/core/sse-parser.test.ts', 'test/core/parser-properties.test.ts']},
	'overview-parser': {mutate: ['source/core/overview-parser.ts'], tests: ['test/core/overview-parser.test.ts', 'test/core/parser-properties.test.ts']},
	// The replay aligner (the log pipeline's de-duplication); the rest of log-stream.ts needs demo devices per mutant.
	'replay-aligner': {mutate: ['source/core/log-stream.ts:41-130'], tests: ['test/core/replay-aligner.test.ts']},
	'known-hosts': {mutate: ['source/core/breakglass/known-hosts.ts'], tests: ['test/core/breakglass/known-hosts.test.ts']},
	'drive-verdict': {mutate: ['source/core/flash/drive-verdict.ts'], tests: ['test/core/flash/drive-verdict.test.ts']},
	// The device client: requests, answers, the XSRF flow of supervision actions, waiting for a new pid.
	'device-client': {
		mutate: ['source/core/device-client.ts'],
		tests: ['test/core/device-client-contract.test.ts', 'test/core/device-client.test.ts', 'test/core/device-client-errors.test.ts', 'test/core/device-client-refused.test.ts', 'test/core/device-client-tls.test.ts', 'test/core/log-stream.test.ts'],
	},
};

const wanted = process.argv.slice(2);
// Stryker's temp folders hold per-target sandboxes; one folder for all of them is ignored by git, eslint and tsc.
const unknown = wanted.filter(name => !(name in targets));
if (unknown.length > 0) {
	console.error(`mutate: unknown target ${unknown.join(', ')}; known: ${Object.keys(targets).join(', ')}`);
	process.exit(2);
}

mkdirSync('reports/mutation', {recursive: true});
let failed = 0;
for (const name of wanted.length > 0 ? wanted : Object.keys(targets)) {
	const {mutate, tests} = targets[name]!;
	console.log(`\n=== mutate ${name}: ${mutate.join(' ')} against ${tests.join(' ')}`);
	// stryker.config.json with this target's files, tests and report file (Stryker takes those only from a config).
	const base = JSON.parse(readFileSync('stryker.config.json', 'utf8')) as Record<string, unknown>;
	const config = `reports/mutation/${name}.config.json`;
	writeFileSync(config, JSON.stringify({
		...base,
		$schema: undefined,
		mutate,
		// Ava by its absolute path: Stryker links node_modules into the sandbox only when it is a folder, not when it is a
		// symlink (as in a git worktree sharing another's node_modules); the sandbox's imports find it one level up anyway.
		commandRunner: {command: `node ${path.resolve('node_modules/.bin/ava')} --fail-fast --timeout=1m ${tests.join(' ')}`},
		// A folder per target, so targets can run side by side.
		tempDirName: `.stryker-tmp/${name}`,
		jsonReporter: {fileName: `reports/mutation/${name}.json`},
	}, null, '\t'));
	const run = spawnSync('npx', ['stryker', 'run', config], {stdio: 'inherit'});
	if (run.status !== 0) {
		failed++;
	}
}

process.exit(failed > 0 ? 1 : 0);
