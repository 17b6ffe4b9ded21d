// Benchmark: `krazy-tui shell DEVICE -- CMD` against a real sshd, as ratios to OpenSSH's `ssh` running the same command in the same run.
import {spawn} from 'node:child_process';
import {mkdirSync, writeFileSync} from 'node:fs';
import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {startDeviceStub} from '../test/core/breakglass/device-stub.js';
import {makeKeyPair, startSshd} from '../test/helpers/sshd.js';
import {median, report} from './bench-util.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 15);
const throughputRounds = Number(process.env.BENCH_THROUGHPUT_ROUNDS ?? 5);
const bytes = 100_000_000;
const cli = new URL('../dist/cli.js', import.meta.url).pathname;

const dir = await mkdtemp(path.join(os.tmpdir(), 'krazy-bench-ssh-'));
const home = path.join(dir, 'home');
mkdirSync(path.join(home, '.ssh'), {recursive: true});
const key = await makeKeyPair(path.join(home, '.ssh'), 'id_ed25519');
const sshd = await startSshd({authorizedKeys: [key.publicKey]});
const device = await startDeviceStub({initially: 'started'});
const sshKnownHosts = path.join(dir, 'ssh_known_hosts');
writeFileSync(sshKnownHosts, `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}\n`);
const env: NodeJS.ProcessEnv = {...process.env, HOME: home, KRAZY_TUI_CONFIG_DIR: path.join(dir, 'config'), GOKRAZY_PARENT_DIR: '/nonexistent-krazy-bench'};
delete env.SSH_AUTH_SOCK;

const ours = (command: string) => [cli, 'shell', device.url, '--ssh-port', String(sshd.port), '--user', 'root', '--', command];
const theirs = (command: string) => [
	'-F', '/dev/null', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${sshKnownHosts}`, '-o', 'IdentitiesOnly=yes',
	'-i', key.privatePath, '-p', String(sshd.port), 'root@127.0.0.1', command,
];

/** Runs to completion with stdout drained and counted (not kept), so both clients pay the same for the reader. */
async function timed(file: string, args: string[]): Promise<{ms: number; bytes: number}> {
	const started = performance.now();
	const child = spawn(file, args, {env, stdio: ['ignore', 'pipe', 'pipe']});
	let count = 0;
	let stderr = '';
	child.stdout.on('data', (chunk: Buffer) => {
		count += chunk.length;
	});
	child.stderr.on('data', (chunk: Buffer) => {
		stderr += chunk.toString();
	});
	const code = await new Promise<number | null>(resolve => child.on('close', resolve));
	if (code !== 0) {
		throw new Error(`${file} ${args.join(' ')} exited ${code}: ${stderr}`);
	}

	return {ms: performance.now() - started, bytes: count};
}

try {
	// Remember the host key for krazy-tui and warm both (file cache, sshd's first fork).
	await timed(process.execPath, [cli, 'shell', device.url, '--ssh-port', String(sshd.port), '--user', 'root', '--accept-new', '--', 'true']);
	await timed('ssh', theirs('true'));

	const oursTrue: number[] = [];
	const theirsTrue: number[] = [];
	for (let round = 0; round < rounds; round++) {
		oursTrue.push((await timed(process.execPath, ours('true'))).ms);
		theirsTrue.push((await timed('ssh', theirs('true'))).ms);
	}

	const oursRate: number[] = [];
	const theirsRate: number[] = [];
	const produce = `head -c ${bytes} /dev/zero`;
	for (let round = 0; round < throughputRounds; round++) {
		const a = await timed(process.execPath, ours(produce));
		const b = await timed('ssh', theirs(produce));
		if (a.bytes !== bytes || b.bytes !== bytes) {
			throw new Error(`short output: krazy-tui ${a.bytes}, ssh ${b.bytes} of ${bytes}`);
		}

		oursRate.push(bytes / 1e6 / (a.ms / 1000));
		theirsRate.push(bytes / 1e6 / (b.ms / 1000));
	}

	const trueRatio = median(oursTrue) / median(theirsTrue);
	const rateRatio = median(oursRate) / median(theirsRate);
	report('krazy-tui shell vs OpenSSH ssh (same sshd, same run)', [
		{name: 'krazy-tui shell -- true (median)', value: median(oursTrue), unit: 'ms'},
		{name: 'ssh -- true (median)', value: median(theirsTrue), unit: 'ms'},
		{name: 'time to run true: krazy-tui / ssh', value: trueRatio, unit: 'ratio', goal: '≤ 1.5', pass: trueRatio <= 1.5},
		{name: 'krazy-tui 100 MB of remote output (median)', value: median(oursRate), unit: 'MB/s'},
		{name: 'ssh 100 MB of remote output (median)', value: median(theirsRate), unit: 'MB/s'},
		{name: 'throughput: krazy-tui / ssh', value: rateRatio, unit: 'ratio', goal: '≥ 0.7', pass: rateRatio >= 0.7},
	]);
} finally {
	await device.close();
	await sshd.stop();
	await rm(dir, {recursive: true, force: true});
}
