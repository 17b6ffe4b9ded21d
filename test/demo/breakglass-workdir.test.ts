// The demo device's breakglass keeps its working folders in the device's /tmp inside the state folder: one per run, swept on restart, gone with the device.
import {spawn} from 'node:child_process';
import {existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {makeKeyPair} from '../helpers/sshd.js';
import {demoAction, demoService, useDemoDevice, waitFor} from '../helpers/demo-device.js';

function sshRun(port: number, keyPath: string, dir: string, command: string): Promise<{code: number | null; stdout: string}> {
	return new Promise(resolve => {
		const child = spawn('ssh', [
			'-F', '/dev/null', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${path.join(dir, 'known_hosts')}`, '-o', 'StrictHostKeyChecking=no',
			'-o', 'IdentitiesOnly=yes', '-o', 'LogLevel=ERROR', '-i', keyPath, '-p', String(port), 'someuser@127.0.0.1', command,
		], {stdio: ['ignore', 'pipe', 'ignore']});
		let stdout = '';
		child.stdout.on('data', (data: Buffer) => {
			stdout += data.toString();
		});
		child.on('close', code => resolve({code, stdout}));
	});
}

/** Running, not merely a zombie waiting for whoever adopted it (PID 1 in a container may never reap). */
function running(pid: number): boolean {
	try {
		return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
	} catch {
		return false;
	}
}

test('one breakglass<number> folder per breakglass run in <state>/tmp, with the device\'s HOME; restarts and kills leave no others; stop removes them and the commands still running', async t => {
	const stateDir = mkdtempSync(path.join(os.tmpdir(), 'krazy-demo-bgwork-'));
	t.teardown(() => rm(stateDir, {recursive: true, force: true}));
	const key = await makeKeyPair(stateDir, 'id_ed25519');
	const authorizedKeysPath = path.join(stateDir, 'keys');
	writeFileSync(authorizedKeysPath, `${key.publicKey}\n`);
	const device = await useDemoDevice(t, {stateDir, authorizedKeysPath});
	const tmp = path.join(stateDir, 'tmp');
	const folders = () => (existsSync(tmp) ? readdirSync(tmp) : []);
	const run = (command: string) => sshRun(device.ssh.port, key.privatePath, stateDir, command);

	await waitFor(async () => (await demoService(device, '/user/breakglass')).Stopped, 20_000, 'breakglass stopped after boot');
	await demoAction(device, 'restart', '/user/breakglass');
	const first = await waitFor(async () => {
		const answer = await run('pwd; echo $HOME; echo data > kept.txt');
		return answer.code === 0 ? answer.stdout.split('\n') : undefined;
	}, 30_000, 'a command over breakglass');
	t.is(path.dirname(first[0]!), tmp);
	t.regex(path.basename(first[0]!), /^breakglass\d{1,10}$/);
	t.is(first[1], path.join(stateDir, 'perm', 'home'));
	t.deepEqual(folders(), [path.basename(first[0]!)]);

	// A restart (SIGTERM): the old folder goes with the old process.
	const before = (await demoService(device, '/user/breakglass')).Pid;
	await demoAction(device, 'restart', '/user/breakglass');
	const second = await waitFor(async () => {
		const answer = await run('pwd');
		const folder = answer.stdout.trim();
		return answer.code === 0 && folder !== first[0] ? folder : undefined;
	}, 30_000, 'breakglass after its restart');
	t.not((await demoService(device, '/user/breakglass')).Pid, before);
	t.deepEqual(folders(), [path.basename(second)]);

	// Killed outright, it cannot clean up; the supervisor starts it again and the new run sweeps the old folder.
	const pid = (await demoService(device, '/user/breakglass')).Pid;
	process.kill(pid, 'SIGKILL');
	const third = await waitFor(async () => {
		const answer = await run('pwd');
		const folder = answer.stdout.trim();
		return answer.code === 0 && folder !== second ? folder : undefined;
	}, 30_000, 'breakglass after being killed');
	t.deepEqual(folders(), [path.basename(third)]);

	// A command's background child outlives its session (as on a device) but not the demo device.
	const left = await run('sleep 300 >/dev/null 2>&1 & echo $!');
	const sleeper = Number(left.stdout.trim());
	t.true(running(sleeper));

	await device.stop();
	t.false(existsSync(tmp));
	t.false(running(sleeper));
	t.true(existsSync(path.join(stateDir, 'breakglass.host_key')), 'the rest of a given state folder stays');
});
