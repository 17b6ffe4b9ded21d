// Runs the test command (default: ava) with a temp folder of its own ($TMPDIR and $TMUX_TMPDIR), so what the tests
// leave there is theirs and no other process's, and fails listing it: every krazy-home-*, krazy-demo-* folder and tmux
// socket a test makes must be gone when the run ends. Caches of the tools themselves (tsx's) are not leftovers.
//
//   node --import=tsx scripts/test-leftovers.ts [COMMAND ARGS...]        (npm test runs it around ava)
import {spawn} from 'node:child_process';
import {chmodSync, mkdtempSync, readdirSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Tool caches that live in the temp folder by design, and tmux's folder (its sockets are listed one by one). */
const notLeftovers = [/^tsx-\d+$/, /^node-compile-cache$/, /^v8-compile-cache/];

export function leftovers(dir: string): string[] {
	const found: string[] = [];
	for (const entry of readdirSync(dir, {withFileTypes: true})) {
		if (/^tmux-\d+$/.test(entry.name) && entry.isDirectory()) {
			// tmux's own folder; a socket left in it is a server still running, or one that died without cleaning up.
			found.push(...readdirSync(path.join(dir, entry.name)).map(socket => path.join(entry.name, socket)));
		} else if (!notLeftovers.some(pattern => pattern.test(entry.name))) {
			found.push(entry.name);
		}
	}

	return found.sort();
}

async function main(): Promise<number> {
	const command = process.argv.slice(2);
	const [program, ...args] = command.length > 0 ? command : ['ava'];
	const dir = mkdtempSync(path.join(os.tmpdir(), 'krazy-test-run-'));
	// Like /tmp: tests that run a program as another user hand it files in here.
	chmodSync(dir, 0o1777);
	const child = spawn(program!, args, {stdio: 'inherit', env: {...process.env, TMPDIR: dir, TMUX_TMPDIR: dir}});
	const forward = (signal: NodeJS.Signals) => {
		child.kill(signal);
	};

	process.on('SIGINT', forward);
	process.on('SIGTERM', forward);
	const code = await new Promise<number>(resolve => {
		child.once('exit', (exitCode, signal) => {
			resolve(exitCode ?? (signal ? 128 + os.constants.signals[signal] : 1));
		});
	});
	const left = leftovers(dir);
	rmSync(dir, {recursive: true, force: true});
	if (left.length > 0) {
		console.error(`test-leftovers: the run left ${left.length} entr${left.length === 1 ? 'y' : 'ies'} in its temp folder (${dir}, now removed):`);
		for (const name of left) {
			console.error(`  ${name}`);
		}

		return code === 0 ? 1 : code;
	}

	return code;
}

process.exitCode = await main();
