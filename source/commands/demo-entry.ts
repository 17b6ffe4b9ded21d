// `krazy-tui demo`: the embedded demo device and the dashboard on it (`--serve` runs the device alone, for scripts and tests).
import {existsSync} from 'node:fs';
import {mkdir, readFile, writeFile} from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import {registryOptionsFrom} from '../core/device-registry.js';
import {readSettings, settingsDirectory} from '../core/settings.js';
import type {DeviceTarget} from '../core/device-target.js';
import {parseCommandArgs, type Command} from './command-io.js';
import {writeLine} from './device-options.js';

const help = `Usage: krazy-tui demo [--readonly]
       krazy-tui demo --serve [--json] [--port N] [--count N] [--extra weird,flood,late,exit0] …

Starts the embedded demo device (a gokrazy init with real supervised programs and a breakglass SSH server) and
opens the dashboard on it. Press b on it for a breakglass shell: your ~/.ssh/id_*.pub are authorised (or a key
krazy-tui makes for the demo). With --serve only the device runs; see krazy-tui demo --serve --help.`;

/** The demo's breakglass port stays the same between runs when it is free, so its host key is remembered once. */
const preferredSshPort = 22_022;

async function portIsFree(port: number): Promise<boolean> {
	const server = net.createServer();
	return new Promise(resolve => {
		server.once('error', () => {
			resolve(false);
		});
		server.listen(port, '127.0.0.1', () => {
			server.close(() => {
				resolve(true);
			});
		});
	});
}

/**
 * krazy-tui made the demo's host key itself, so it can vouch for it: it is written to krazy-tui's known_hosts before
 * the first connection. No device's key is ever trusted unseen; this one never came from a device.
 */
async function trustOwnDemoHostKey(configDir: string, hostKeyPath: string, port: number): Promise<void> {
	const [{default: ssh2}, {KnownHosts, knownHostsPath}, {ed25519KeyPair}] = await Promise.all([
		import('ssh2'),
		import('../core/breakglass/known-hosts.js'),
		import('../core/breakglass/key-pair.js'),
	]);
	if (!existsSync(hostKeyPath)) {
		await mkdir(path.dirname(hostKeyPath), {recursive: true});
		const pair = ed25519KeyPair('krazy-tui demo breakglass host key');
		await writeFile(hostKeyPath, pair.private, {mode: 0o600});
	}

	const parsed = ssh2.utils.parseKey(await readFile(hostKeyPath, 'utf8'));
	const key = Array.isArray(parsed) ? parsed[0] : parsed;
	if (key instanceof Error || key === undefined) {
		return;
	}

	const knownHosts = new KnownHosts(knownHostsPath(configDir));
	const verdict = await knownHosts.verify('127.0.0.1', port, key.getPublicSSH());
	if (verdict.status === 'changed') {
		await knownHosts.remove('127.0.0.1', port);
	}

	if (verdict.status !== 'known') {
		await knownHosts.add('127.0.0.1', port, key.getPublicSSH());
	}
}

export const demoEntryCommand: Command = async (args, io) => {
	if (args.includes('--serve')) {
		const {demoCommand} = await import('./demo.js');
		return demoCommand(args, io);
	}

	const {values} = parseCommandArgs('demo', args, {
		readonly: {type: 'boolean'},
		help: {type: 'boolean', short: 'h'},
	});
	if (values.help) {
		writeLine(io.stdout, help);
		return 0;
	}

	const location = registryOptionsFrom(io.env);
	const configDir = settingsDirectory(location);
	const stateDir = path.join(configDir, 'demo', 'device');
	await mkdir(stateDir, {recursive: true, mode: 0o700});
	const [{startDemoDevice}, {prepareDemoKeys}, {launchDashboard}, {settings}] = await Promise.all([
		import('../demo/demo-device.js'),
		import('../core/breakglass/demo-keys.js'),
		import('./dashboard.js'),
		readSettings(location),
	]);
	const keys = await prepareDemoKeys({configDir, home: location.home});
	const sshPort = (await portIsFree(preferredSshPort)) ? preferredSshPort : 0;
	const demo = await startDemoDevice({stateDir, authorizedKeysPath: keys.authorizedKeysPath, sshPort});
	try {
		// The good and bad update archives (in the state folder's archives/), made from what the demo runs now;
		// krazy-tui made that build, so it remembers its SBOM for the package list of an update.
		const [{makeDemoArchives}, {sbomJson}, {updateRecordsAt}] = await Promise.all([
			import('../demo/demo-archives.js'),
			import('../demo/demo-build.js'),
			import('../core/update/update-records.js'),
		]);
		const archives = await makeDemoArchives(demo);
		await updateRecordsAt(location).rememberSbom(sbomJson(archives.runningSbom)).catch(() => undefined);
		await trustOwnDemoHostKey(configDir, demo.hostKeyPath, demo.ssh.port);
		const target: DeviceTarget = {
			name: 'demo',
			url: demo.baseUrl,
			password: demo.password,
			sshPort: demo.ssh.port,
			source: 'demo',
		};
		return await launchDashboard({targets: [target], settings, readonly: values.readonly ?? false, suggestedArchive: archives.good, io});
	} finally {
		await demo.stop();
	}
};
