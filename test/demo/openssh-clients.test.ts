// Debian's OpenSSH clients (ssh, scp in both modes, sftp -b) against the demo's breakglass and a real sshd: the same where the behaviour is OpenSSH's, breakglass's own (as recorded from a real one) where it is breakglass's.
import {spawn} from 'node:child_process';
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import anyTest, {type ExecutionContext, type TestFn} from 'ava';
import {breakglassBanner} from '../../source/demo/breakglass-server.js';
import {startSshAgent} from '../helpers/ssh-agent.js';
import {freePort, makeKeyPair, startSshd, type Sshd} from '../helpers/sshd.js';
import {startDemoBreakglass, type DemoBreakglass} from './demo-server.js';

/** One SSH server as the clients see it; `remote(name)` is how a user names a file in its working folder. */
type Target = {
	kind: 'breakglass' | 'sshd';
	port: number;
	user: string;
	/** The working folder: breakglass's `breakglass<number>`, sshd's SFTP root. */
	workDir: string;
	remote(name: string): string;
	/** A shell command run in the working folder. */
	command(line: string): string;
	log(): string;
};

type Context = {dir: string; key: {privatePath: string; publicKey: string}; breakglass: Target; sshd: Target};
const test = anyTest as TestFn<Context>;

const banner = {hostname: 'casa', model: 'unknown model', build: '2026-11-20T09:14:03+01:00'};
const captures = path.join(path.dirname(new URL(import.meta.url).pathname), '../fixtures/gokrazy-real');

type Result = {code: number | null; stdout: string; stderr: string};

function runClient(file: string, args: string[], options: {input?: string; env?: NodeJS.ProcessEnv} = {}): Promise<Result> {
	return new Promise(resolve => {
		const child = spawn(file, args, {env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe']});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (data: Buffer) => {
			stdout += data.toString();
		});
		child.stderr.on('data', (data: Buffer) => {
			stderr += data.toString();
		});
		child.stdin.on('error', () => {});
		child.stdin.end(options.input ?? '');
		child.on('close', code => resolve({code, stdout, stderr}));
	});
}

/** Options every client gets: this test's key and known_hosts, no config files, no questions. */
function common(context: Context, logLevel = 'ERROR'): string[] {
	return [
		'-F', '/dev/null', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${path.join(context.dir, 'known_hosts')}`, '-o', 'StrictHostKeyChecking=accept-new',
		'-o', 'IdentitiesOnly=yes', '-i', context.key.privatePath, '-o', `LogLevel=${logLevel}`,
	];
}

/** ssh with options, then the command (the last element; none when it is empty). */
const ssh = (context: Context, target: Target, args: string[], options: {logLevel?: string; input?: string; env?: NodeJS.ProcessEnv} = {}) => {
	const command = args.at(-1)!;
	return runClient('ssh', [...common(context, options.logLevel), '-p', String(target.port), ...args.slice(0, -1), `${target.user}@127.0.0.1`, ...(command ? [command] : [])], options);
};
const scp = (context: Context, target: Target, args: string[]) => runClient('scp', [...common(context), '-P', String(target.port), ...args]);
const sftp = (context: Context, target: Target, batch: string[]) =>
	runClient('sftp', [...common(context), '-P', String(target.port), '-b', '-', `${target.user}@127.0.0.1`], {input: `${batch.join('\n')}\n`});
const at = (target: Target, name: string) => `${target.user}@127.0.0.1:${target.remote(name)}`;

test.before(async t => {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'krazy-openssh-'));
	const key = await makeKeyPair(dir, 'id_ed25519');
	const authorizedKeysPath = path.join(dir, 'breakglass.authorized_keys');
	writeFileSync(authorizedKeysPath, `${key.publicKey}\n`);
	const home = path.join(dir, 'perm', 'home');
	mkdirSync(home, {recursive: true});
	const server: DemoBreakglass = await startDemoBreakglass({
		host: '127.0.0.1',
		port: 0,
		hostKeyPath: path.join(dir, 'perm', 'breakglass.host_key'),
		authorizedKeysPath,
		home,
		tmpDir: path.join(dir, 'tmp'),
		banner,
	});
	const sshd: Sshd = await startSshd({authorizedKeys: [key.publicKey]});
	const context: Context = {dir, key, breakglass: undefined as never, sshd: undefined as never};
	const breakglass: Target = {
		kind: 'breakglass',
		port: server.port,
		user: 'someuser',
		workDir: '',
		remote: name => name,
		command: line => line,
		log: () => server.stderr(),
	};
	context.breakglass = breakglass;
	const pwd = await ssh(context, breakglass, ['pwd']);
	breakglass.workDir = pwd.stdout.trim();
	context.sshd = {
		kind: 'sshd',
		port: sshd.port,
		user: 'root',
		workDir: sshd.sftpRoot,
		remote: name => `${sshd.sftpRoot}/${name}`,
		command: line => `cd ${sshd.sftpRoot} && ${line}`,
		log: () => sshd.log(),
	};
	t.context = context;
	(t.context as Context & {stop?: () => Promise<void>}).stop = async () => {
		await server.stop();
		await sshd.stop();
		await rm(dir, {recursive: true, force: true});
	};
});

test.after.always(async t => {
	await (t.context as Context & {stop?: () => Promise<void>}).stop?.();
});

/** A folder of the test's own on this side, for files to send and receive. */
async function localDir(t: ExecutionContext<Context>): Promise<string> {
	const dir = await mkdtemp(path.join(t.context.dir, 'local-'));
	return dir;
}

async function tarOf(t: ExecutionContext<Context>, name: string, tool: string, script: string): Promise<string> {
	const dir = await localDir(t);
	mkdirSync(path.join(dir, 'src'));
	writeFileSync(path.join(dir, 'src', tool), script, {mode: 0o755});
	const tarball = path.join(dir, name);
	const result = await runClient('tar', ['-C', path.join(dir, 'src'), '-cf', tarball, tool]);
	if (result.code !== 0) {
		throw new Error(result.stderr);
	}

	return tarball;
}

for (const kind of ['breakglass', 'sshd'] as const) {
	test(`${kind}: default scp (SFTP mode) creates a file, overwrites a longer one exactly, and fetches it back`, async t => {
		const target = t.context[kind];
		const local = await localDir(t);
		writeFileSync(path.join(local, 'short.txt'), 'short\n');
		writeFileSync(path.join(local, 'long.txt'), 'a much longer line that was there before\n');
		const created = await scp(t.context, target, [path.join(local, 'short.txt'), at(target, `scp-new-${kind}.txt`)]);
		t.is(created.code, 0, created.stderr);
		t.is(readFileSync(path.join(target.workDir, `scp-new-${kind}.txt`), 'utf8'), 'short\n');
		t.is((await scp(t.context, target, [path.join(local, 'long.txt'), at(target, `scp-over-${kind}.txt`)])).code, 0);
		const over = await scp(t.context, target, [path.join(local, 'short.txt'), at(target, `scp-over-${kind}.txt`)]);
		t.is(over.code, 0, over.stderr);
		t.is(readFileSync(path.join(target.workDir, `scp-over-${kind}.txt`), 'utf8'), 'short\n');
		const back = await scp(t.context, target, [at(target, `scp-over-${kind}.txt`), path.join(local, 'back.txt')]);
		t.is(back.code, 0, back.stderr);
		t.is(readFileSync(path.join(local, 'back.txt'), 'utf8'), 'short\n');
	});

	test(`${kind}: sftp -b: mkdir, put, rename, chmod, ls -l with owner names, hardlink, df, get, rm, rmdir`, async t => {
		const target = t.context[kind];
		const local = await localDir(t);
		writeFileSync(path.join(local, 'a.txt'), 'payload\n');
		const folder = target.remote(`sftp-${kind}`);
		const result = await sftp(t.context, target, [
			`mkdir ${folder}`,
			`put ${path.join(local, 'a.txt')} ${folder}/a.txt`,
			`rename ${folder}/a.txt ${folder}/b.txt`,
			`chmod 600 ${folder}/b.txt`,
			`ln ${folder}/b.txt ${folder}/c.txt`,
			`ls -l ${folder}`,
			`df ${folder}`,
			`get ${folder}/c.txt ${path.join(local, 'c.txt')}`,
			`rm ${folder}/b.txt`,
			`rm ${folder}/c.txt`,
			`rmdir ${folder}`,
		]);
		t.is(result.code, 0, result.stderr);
		// The link count is the server's (2 for a hard link), or `?` where the sftp client writes the line itself.
		t.regex(result.stdout, /^-rw------- +[2?] root +root +8 .* (\S+\/)?b\.txt$/m);
		t.regex(result.stdout, /^-rw------- +[2?] root +root +8 .* (\S+\/)?c\.txt$/m);
		t.regex(result.stdout, /Size +Used +Avail +\(root\) +%Capacity\n +\d+ +\d+ +\d+ +\d+ +\d+%/);
		t.is(readFileSync(path.join(local, 'c.txt'), 'utf8'), 'payload\n');
		t.false((await runClient('ls', [target.workDir])).stdout.includes(`sftp-${kind}`));

		const missing = await sftp(t.context, target, [`chmod 600 ${target.remote('no-such-file')}`]);
		t.is(missing.code, 1);
		t.regex(missing.stderr, /setstat .*no-such-file": No such file or directory/);
	});

	test(`${kind}: ssh exec: stdout and stderr apart, the exit status`, async t => {
		const target = t.context[kind];
		const result = await ssh(t.context, target, [target.command('echo out; echo err >&2; exit 3')]);
		t.is(result.code, 3);
		t.is(result.stdout, 'out\n');
		t.is(result.stderr, 'err\n');
		t.is((await ssh(t.context, target, ['true'])).code, 0);
	});
}

test('scp -O (the scp protocol): breakglass\'s sink unpacks a tar onto $PATH and refuses anything else; sshd stores files as they are', async t => {
	const {breakglass, sshd} = t.context;
	const tarball = await tarOf(t, 'legacy.tar', 'legacytool', '#!/bin/sh\necho legacy tool ran\n');
	const sent = await scp(t.context, breakglass, ['-O', tarball, `${breakglass.user}@127.0.0.1:`]);
	t.is(sent.code, 0, sent.stderr);
	const ran = await ssh(t.context, breakglass, ['legacytool; ls']);
	t.is(ran.stdout.split('\n')[0], 'legacy tool ran');
	t.false(ran.stdout.includes('legacy.tar'), 'the sink unpacks, it does not store the tar');
	t.regex(breakglass.log(), /scp\.go:\d+: extracting "legacytool"/);

	const local = await localDir(t);
	writeFileSync(path.join(local, 'notes.txt'), 'x'.repeat(2048));
	const refused = await scp(t.context, breakglass, ['-O', path.join(local, 'notes.txt'), `${breakglass.user}@127.0.0.1:`]);
	t.is(refused.code, 1);
	t.regex(refused.stderr, /archive\/tar: invalid tar header/);

	const stored = await scp(t.context, sshd, ['-O', tarball, at(sshd, 'legacy.tar')]);
	t.is(stored.code, 0, stored.stderr);
	t.deepEqual(readFileSync(path.join(sshd.workDir, 'legacy.tar')), readFileSync(tarball));
});

test('scp -O from the device (scp -f): breakglass refuses it with Go\'s flag error; sshd sends the file', async t => {
	const {breakglass, sshd} = t.context;
	const local = await localDir(t);
	writeFileSync(path.join(breakglass.workDir, 'fetch-me.txt'), 'fetch\n');
	writeFileSync(path.join(sshd.workDir, 'fetch-me.txt'), 'fetch\n');
	const refused = await scp(t.context, breakglass, ['-O', at(breakglass, 'fetch-me.txt'), path.join(local, 'a.txt')]);
	t.is(refused.code, 1);
	const log = breakglass.log();
	t.regex(log, /ssh\.go:129: request\("exec"\): flag provided but not defined: -f/);
	t.regex(log, /^Usage of scp:\n {2}-t\tsink \(to\)$/m);
	const served = await scp(t.context, sshd, ['-O', at(sshd, 'fetch-me.txt'), path.join(local, 'b.txt')]);
	t.is(served.code, 0, served.stderr);
	t.is(readFileSync(path.join(local, 'b.txt'), 'utf8'), 'fetch\n');
});

test('a command killed by a signal: breakglass sends exit-status 0xFFFFFFFF (ssh: "Exit status -1"), sshd sends exit-signal; ssh exits 255 for both', async t => {
	const {breakglass, sshd} = t.context;
	const fromBreakglass = await ssh(t.context, breakglass, ['kill -9 $$'], {logLevel: 'DEBUG1'});
	t.is(fromBreakglass.code, 255);
	t.regex(fromBreakglass.stderr, /rtype exit-status reply 0/);
	t.regex(fromBreakglass.stderr, /Exit status -1/);
	t.regex(breakglass.log(), /ssh\.go:410: err: signal: killed/);
	const fromSshd = await ssh(t.context, sshd, ['kill -9 $$'], {logLevel: 'DEBUG1'});
	t.is(fromSshd.code, 255);
	t.regex(fromSshd.stderr, /rtype exit-signal reply 0/);
});

test('ssh -A: breakglass does not know the request and ends the session with its text; sshd forwards the agent', async t => {
	const {breakglass, sshd, key} = t.context;
	const agent = await startSshAgent();
	t.teardown(() => agent.stop());
	await agent.add(key.privatePath);
	const env = {...process.env, SSH_AUTH_SOCK: agent.socket};
	const refused = await ssh(t.context, breakglass, ['-A', 'echo ran'], {env});
	t.is(refused.code, 255);
	t.is(refused.stdout, 'unknown request type: "auth-agent-req@openssh.com"\n');
	t.regex(breakglass.log(), /request\("auth-agent-req@openssh\.com"\): unknown request type/);
	const forwarded = await ssh(t.context, sshd, ['-A', 'test -S "$SSH_AUTH_SOCK" && echo ran'], {env});
	t.is(forwarded.code, 0, forwarded.stderr);
	t.is(forwarded.stdout, 'ran\n');
});

test('ssh -X: breakglass refuses the request and ends the session; sshd (X11Forwarding no) refuses it and runs the command', async t => {
	const {breakglass, sshd} = t.context;
	const env = {...process.env, DISPLAY: ':0'};
	const refused = await ssh(t.context, breakglass, ['-X', 'echo ran'], {env});
	t.is(refused.code, 255);
	t.is(refused.stdout, 'unknown request type: "x11-req"\n');
	t.regex(refused.stderr, /X11 forwarding request failed/);
	const ran = await ssh(t.context, sshd, ['-X', 'echo ran'], {env});
	t.is(ran.code, 0);
	t.is(ran.stdout, 'ran\n');
	t.regex(ran.stderr, /X11 forwarding request failed/);
});

test('a background child holding stdout: breakglass ends the session with the command, sshd waits for the child', async t => {
	const {breakglass, sshd} = t.context;
	const line = '(sleep 3; echo late) & echo started';
	const fromBreakglass = await ssh(t.context, breakglass, [line]);
	t.is(fromBreakglass.code, 0);
	t.is(fromBreakglass.stdout, 'started\n');
	const fromSshd = await ssh(t.context, sshd, [line]);
	t.is(fromSshd.code, 0);
	t.is(fromSshd.stdout, 'started\nlate\n');
});

test('port forwarding (ssh -W): breakglass refuses with "port forwarding is disabled", sshd tries the connection', async t => {
	const {breakglass, sshd} = t.context;
	const closedPort = await freePort();
	const refused = await ssh(t.context, breakglass, ['-W', `127.0.0.1:${closedPort}`, ''], {logLevel: 'VERBOSE'});
	t.is(refused.code, 255);
	t.regex(refused.stderr, /open failed: administratively prohibited: port forwarding is disabled/);
	const tried = await ssh(t.context, sshd, ['-W', `127.0.0.1:${closedPort}`, ''], {logLevel: 'VERBOSE'});
	t.is(tried.code, 255);
	t.regex(tried.stderr, /open failed: connect failed: Connection refused/);
});

test('breakglass\'s shell: the banner reaches the terminal before the first prompt', async t => {
	const {breakglass} = t.context;
	// stdout and stderr into one pipe, as on a terminal: ssh writes them in the order they arrived, stdout first when together.
	const line = `exec ssh -tt ${[...common(t.context), '-p', String(breakglass.port), 'someuser@127.0.0.1'].map(arg => `'${arg}'`).join(' ')} 2>&1`;
	const child = spawn('bash', ['-c', line], {env: {...process.env, TERM: 'xterm'}, stdio: ['pipe', 'pipe', 'inherit']});
	let output = '';
	child.stdout.on('data', (data: Buffer) => {
		output += data.toString();
	});
	const closed = new Promise(resolve => child.once('close', resolve));
	// stdin stays open until the prompt shows: breakglass ends a PTY session at the client's EOF.
	const deadline = Date.now() + 60_000;
	while (!/breakglass\d+ # /.test(output) && Date.now() < deadline && child.exitCode === null) {
		await new Promise(resolve => setTimeout(resolve, 50));
	}

	child.stdin.end();
	await closed;
	const bannerAt = output.indexOf(breakglassBanner(banner));
	const promptAt = output.search(/breakglass\d+ # /);
	t.true(bannerAt !== -1, output);
	t.true(promptAt > bannerAt, output);
});

test('breakglass as recorded: the work folder\'s name, PATH with it first, HOME, and what sftp and exec show, as the captures of a real one', async t => {
	const {breakglass} = t.context;
	const recordedPath = /PATH=(\/tmp\/breakglass\d+)(:\S+)/.exec(readFileSync(path.join(captures, 'bg-ssh-exec-withshell-v.txt'), 'utf8'))!;
	const recordedPwd = /Remote working directory: \/tmp\/(breakglass\d+)/.exec(readFileSync(path.join(captures, 'bg-sftp-v.txt'), 'utf8'))!;
	t.regex(path.basename(breakglass.workDir), /^breakglass\d{1,10}$/);
	t.regex(recordedPwd[1], /^breakglass\d{1,10}$/);
	const result = await ssh(t.context, breakglass, ['echo PATH=$PATH HOME=$HOME TERM=$TERM pwd=$(pwd); exit 3']);
	t.is(result.code, 3);
	t.is(result.stdout, `PATH=${breakglass.workDir}${recordedPath[2]} HOME=${path.join(t.context.dir, 'perm', 'home')} TERM= pwd=${breakglass.workDir}\n`);
	t.regex(result.stdout, /HOME=\S*\/perm\/home /);
	const listing = await sftp(t.context, breakglass, ['pwd']);
	t.is(listing.stdout, `sftp> pwd\nRemote working directory: ${breakglass.workDir}\n`);
});
